"""The course in two languages (course_utils.i18n): the catalogue, how the language is chosen, and that
claims, checker hints, widget readouts and figures speak Korean in Korean and stay English otherwise."""

from __future__ import annotations

import ast
import json
import logging
import re
import string
import sys
import types
from collections import Counter
from pathlib import Path

import matplotlib
import nbformat
import pytest
import torch

from course_utils import claims, config, i18n, widgets
from course_utils.ch5_vae import exercises as vae_exercises

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = (
    "ch1_mle",
    "ch2_manifold",
    "ch3_autoencoders",
    "ch4_elbo",
    "ch5_vae",
    "ch6_conditional",
    "ch7_vae_lab",
    "ch8_beyond_pixels",
)
#: What already speaks Korean everywhere: every course string of these files is in the catalogue.
COVERED = [
    "course_utils/exercises.py",
    *[f"course_utils/{chapter}/exercises.py" for chapter in CHAPTERS],
    *[
        f"course_utils/{chapter}/widgets.py"
        for chapter in ("ch1_mle", "ch2_manifold", "ch4_elbo", "ch6_conditional", "ch8_beyond_pixels")
    ],  # the other chapters' widgets show only the readouts their notebooks pass
    *sorted(f"notebooks/{path.name}" for path in (ROOT / "notebooks").glob("0*.ipynb")),
]


@pytest.fixture
def korean(monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "ko")


def test_every_message_has_korean_with_the_same_placeholders():
    catalogue = i18n.catalogue()
    assert len(catalogue) > 150
    for english, korean in catalogue.items():
        passes_on = korean == english and i18n.fields(english)  # only its placeholders are translated
        assert korean.strip() and (i18n.has_hangul(korean) or passes_on), f"no Korean for {english!r}"
        assert Counter(i18n.fields(english)) == Counter(i18n.fields(korean)), english
        names = [name for name, _ in i18n.fields(english)]
        assert all(name.isidentifier() for name in names), english


def test_the_catalogue_file_is_one_flat_object_without_duplicate_keys():
    pairs = json.loads(i18n.CATALOGUE.read_text(encoding="utf-8"), object_pairs_hook=lambda p: p)
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys))
    assert all(isinstance(v, str) for _, v in pairs)


def test_course_lang_overrides_the_marker_and_a_bad_value_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv(i18n.VARIABLE, raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert i18n.language() == "en"
    (tmp_path / i18n.MARKER).write_text("ko\n", encoding="utf-8")
    assert i18n.language() == "ko"
    monkeypatch.setenv(i18n.VARIABLE, "en")
    assert i18n.language() == "en"
    monkeypatch.setenv(i18n.VARIABLE, "fr")
    with pytest.raises(ValueError, match="COURSE_LANG='fr' is not a course language: use en or ko"):
        i18n.language()


def test_the_marker_beside_the_notebook_jupyter_names_counts(tmp_path, monkeypatch):
    monkeypatch.delenv(i18n.VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ko").mkdir()
    (tmp_path / "ko" / i18n.MARKER).write_text("ko", encoding="utf-8")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "ko" / "05_vae.ipynb"))
    assert i18n.language() == "ko"


def test_colab_reads_the_open_notebooks_edition(tmp_path, monkeypatch):
    monkeypatch.delenv(i18n.VARIABLE, raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    message = types.ModuleType("google.colab._message")
    message.blocking_request = lambda *a, **k: {"ipynb": {"metadata": {"course_edition": {"lang": "ko"}}}}
    colab = types.ModuleType("google.colab")
    colab._message = message
    for name, module in [("google", types.ModuleType("google")), ("google.colab", colab)]:
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    i18n._colab_language.cache_clear()
    try:
        assert i18n.language() == "ko"
    finally:
        i18n._colab_language.cache_clear()


@pytest.mark.parametrize("folder", ["notebooks", "demos"])
def test_the_korean_edition_has_its_marker(folder):
    """The Korean lessons and the Korean projector demos (Voila runs a demo in its folder) speak Korean."""
    marker = ROOT / folder / "ko" / i18n.MARKER
    assert marker.read_text(encoding="utf-8").strip() == "ko"
    assert not (ROOT / folder / i18n.MARKER).exists()


def test_translate_fills_placeholders_with_translated_text(korean):
    assert i18n.translate("fast mode (COURSE_FAST=1)") == "빠른 모드 (COURSE_FAST=1)"
    assert i18n.translate("IWAE_64 is a tighter bound than the ELBO (by over 3 standard errors)").startswith(
        "IWAE_64는"
    )
    assert i18n.translate("2-D VAE: reconstruction") == "2차원 VAE: 재구성"  # a placeholder translated too
    assert i18n.translate("words the catalogue does not know") == "words the catalogue does not know"
    assert i18n.tr("training {model}", model="VAE") == "VAE 학습"


def test_english_stays_english(monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "en")
    assert i18n.translate("2-D VAE: reconstruction") == "2-D VAE: reconstruction"
    assert i18n.tr("training {model}", model="VAE") == "training VAE"


def _wrong_sign(logits, x, mu, logvar):
    recon = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
    kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1)
    return recon.flatten(1).sum(1) - kl


def test_checker_hints_and_claim_notes_in_korean(korean, capsys, monkeypatch):
    assert not vae_exercises.check_vae_loss_from_parts(_wrong_sign)
    assert not vae_exercises.check_reparameterize(lambda mu, lv: mu + lv.exp() * torch.randn_like(mu))
    monkeypatch.setattr(config, "STRICT", False)
    claims.claim(False, "both bounds are Monte Carlo estimates", measured="1 vs 2", why="a short run")
    claims.claim(True, "the bound converges: each further factor of k gains less", measured="1", why="x")
    out = capsys.readouterr().out
    assert "KL의 부호" in out and "막혔다면?" in out and "분산인 exp(logvar)를 표준편차로 썼습니다" in out
    assert "이번 실행에서는 성립하지 않았습니다: 두 하한 모두 몬테카를로 추정값입니다." in out
    assert "✓ 하한이 수렴합니다" in out
    monkeypatch.setattr(config, "STRICT", True)
    with pytest.raises(claims.ClaimFailed, match="^예상: 두 하한 모두"):
        claims.claim(False, "both bounds are Monte Carlo estimates", measured="1", why="x")


def test_a_widgets_readout_and_labels_in_korean(korean):
    import ipywidgets as W

    box = widgets.live_widget(
        {"d": W.Dropdown(options=[2, 20], value=2, description="latent d")},
        lambda d: (torch.zeros(28, 28), f"d = {d}: reconstruction 1.0 + KL 2.0 nats per test image"),
        captions=["pixel space: (1-α)·x0 + α·x1"],
    )
    assert box.readout.value == "d = 2: 테스트 이미지당 재구성 1.0 + KL 2.0 nats"
    assert box.controls["d"].description == "잠재 차원 d"
    assert box._captions == ["픽셀 공간: (1-α)·x0 + α·x1"]


def _draw(title: str, xlabel: str, caplog) -> tuple[str, str, list[str]]:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set(title=title, xlabel=xlabel)
    ax.plot([1, 2], [1, 2], label="score function: measured")
    ax.legend()
    with caplog.at_level(logging.WARNING):
        fig.savefig(Path(plt.matplotlib.get_cachedir()) / "i18n-test.png")
    texts = ax.get_title(), ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)
    return texts


def test_korean_figures_draw_hangul_without_missing_glyphs(korean, caplog):
    title, xlabel, legend = _draw("20-D VAE: bounds on log p(x)", "VAE: test codes $\\mu(x)$", caplog)
    assert (title, xlabel, legend) == (
        "20차원 VAE: log p(x)의 하한들",
        "VAE: 테스트 코드 $\\mu(x)$",
        ["스코어 함수: 측정값"],
    )
    assert not [r for r in caplog.records if "glyph" in r.getMessage()]


def test_english_figures_stay_english(monkeypatch, caplog):
    monkeypatch.setenv(i18n.VARIABLE, "en")
    assert _draw("20-D VAE: bounds on log p(x)", "epoch", caplog)[:2] == (
        "20-D VAE: bounds on log p(x)",
        "epoch",
    )


# ---- the course's strings are in the catalogue -----------------------------------------------------

FIGURE_KEYWORDS = {"title", "xlabel", "ylabel", "label", "caption", "readout", "name", "why"}
FIGURE_CALLS = {"set_title", "suptitle", "set_xlabel", "set_ylabel"}


def _template(node) -> str | None:
    """A string literal or f-string as a catalogue template with ``{}`` for each value, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "\0" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        return None if left is None and right is None else (left or "\0") + (right or "\0")
    return None


def _is_words(text: str) -> bool:
    return bool(re.search(r"[a-z]{2,} [a-z]{2,}", text)) or text.strip() in {"digit", "class", "epoch"}


def _module_strings(tree) -> list[str]:
    """The user-facing strings of a checker or widget module: Hint(...), Case(...), mistakes, returns."""
    found, templates = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr":
            if isinstance(node.args[0], ast.Constant):
                templates.append(_shape(node.args[0].value))  # already a template
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"Hint", "Case"}:
            found += [node.args[0]] + ([node.args[2]] if len(node.args) > 2 else [])
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Lambda):
            found.append(node.elts[0])
        elif isinstance(node, ast.keyword) and node.arg == "buttons" and isinstance(node.value, ast.Dict):
            found += node.value.keys  # a button's label
        elif isinstance(node, (ast.Return, ast.keyword)) and _shown(node):
            found.append(node.value)
    return [t for t in map(_template, found) if t and _is_words(t)] + templates


def _shown(node) -> bool:
    """A returned value (a checker's summary), or a keyword argument that the reader sees."""
    if isinstance(node, ast.Return):
        return node.value is not None
    return node.arg in FIGURE_KEYWORDS | {"nan_hint", "hint", "description"}


def _notebook_strings(path: Path) -> list[str]:
    """Claim statements and whys, figure titles, axis labels, legends and readouts of a notebook."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if (name == "claim" and len(node.args) > 1) or (name in FIGURE_CALLS and node.args):
                found.append(node.args[1 if name == "claim" else 0])
            for keyword in node.keywords:
                value = keyword.value.body if isinstance(keyword.value, ast.Lambda) else keyword.value
                if keyword.arg in FIGURE_KEYWORDS and (keyword.arg != "why" or name == "claim"):
                    found.append(value)
    return [t for t in map(_template, found) if t and _is_words(t)]


def _shape(template: str) -> str:
    """A catalogue template with ``\\0`` for each placeholder and its literal braces unescaped."""
    parts = string.Formatter().parse(template)
    return "".join(literal + ("\0" if name is not None else "") for literal, name, _, _ in parts)


@pytest.mark.parametrize("relative", COVERED)
def test_every_course_string_is_in_the_catalogue(relative):
    path = ROOT / relative
    if path.suffix == ".ipynb":
        strings = _notebook_strings(path)
    else:
        strings = _module_strings(ast.parse(path.read_text(encoding="utf-8")))
    shapes = {_shape(key) for key in i18n.catalogue()}
    pieces = {s for s in strings if "\0" not in s or s.strip("\0 ")}
    missing = sorted(s.replace("\0", "{}") for s in pieces if s not in shapes and not _is_piece(s, shapes))
    assert strings and not missing, f"{relative}: not in course_utils/messages.ko.json:\n" + "\n".join(
        missing
    )


def _is_piece(text: str, shapes: set[str]) -> bool:
    """A part of a longer message (a hint inside "on ... (inputs ...): {hint}") counts where a catalogue
    template holds it whole, with its values as placeholders."""
    core = text.replace("\0", "").strip(" :")
    return any(core in shape.replace("\0", "") for shape in shapes)
