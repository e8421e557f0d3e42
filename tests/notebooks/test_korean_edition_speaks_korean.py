"""The Korean edition, run as a student runs it (a kernel in notebooks/ko/, no COURSE_LANG), prints its
checker hints and claim lines in Korean and titles its figures in Hangul, with code cells identical to the
English notebook's. Runs notebook 5's setup, its exercises and one claim, then a wrong answer, a failed
claim and a figure (the whole notebook runs in English under nbval; Korean differs only in the text)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_utils import i18n
from course_utils.classroom import copies

KOREAN = Path(__file__).resolve().parents[2] / "notebooks" / "ko"
#: Notebook 5's cells run here: the setup, the imports and data, the two exercises and a claim.
CELLS = ["setup-anywhere", "071a0e10", "46124bff", "4354b1b5", "63c6685e"]
PROBE = """
def wrong_sign(logits, x, mu, logvar):
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    return recon - 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1)
exercises.check_vae_loss_from_parts(wrong_sign)
try:
    claim(False, "both bounds are Monte Carlo estimates", measured="1 vs 2", why="a short run")
except Exception as err:
    print(type(err).__name__, err)
fig, ax = plt.subplots()
ax.set(title="20-D VAE: bounds on log p(x)", xlabel="k (importance samples)")
fig.canvas.draw()
print("title:", ax.get_title(), "/", ax.get_xlabel())
plt.close(fig)
"""


@pytest.fixture(scope="module")
def korean_run() -> str:
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(KOREAN / "05_vae.ipynb", as_version=4)
    cells = {cell.id: cell for cell in nb.cells}
    nb.cells = [cells[i] for i in CELLS] + [nbformat.v4.new_code_cell(PROBE)]
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(i18n.VARIABLE, raising=False)
        nbclient.NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(KOREAN)}}).execute()
    return "".join(o.get("text", "") for cell in nb.cells for o in cell.outputs if o.output_type == "stream")


def test_checker_hints_and_passes_in_korean(korean_run):
    assert "✅ check_vae_loss_from_parts: 통과" in korean_run
    assert "✅ check_reparameterize: 통과" in korean_run
    assert "❌ check_vae_loss_from_parts:" in korean_run and "KL의 부호" in korean_run
    assert "막혔다면? 모범 답안은" in korean_run


def test_claims_and_the_run_summary_in_korean(korean_run):
    assert "✓ 재매개변수화한 샘플 200,000개의 평균은 mu(0.02 이내)" in korean_run
    assert "ClaimFailed 예상: 두 하한 모두 몬테카를로 추정값입니다." in korean_run
    assert "빠른 모드 (COURSE_FAST=1)" in korean_run


def test_figure_titles_in_hangul(korean_run):
    assert "title: 20차원 VAE: log p(x)의 하한들 / k (중요도 샘플 수)" in korean_run
    assert "glyph" not in korean_run


def test_the_korean_student_copies_speak_korean_too(tmp_path):
    copies.make_student_copies(tmp_path, KOREAN)
    assert (tmp_path / i18n.MARKER).read_text(encoding="utf-8").strip() == "ko"


def test_the_korean_reading_copy_shows_a_widget_in_korean(monkeypatch):
    import ipywidgets as W
    import torch

    from course_utils import widgets
    from course_utils.classroom import reading

    monkeypatch.setenv(i18n.VARIABLE, "ko")
    box = widgets.live_widget(
        {"a": W.FloatSlider(value=0.0, min=0.0, max=1.0, description="alpha")},
        lambda a: (torch.full((28, 28), a), f"d = {a:g}: reconstruction 1.0 + KL 2.0 nats per test image"),
    )
    data, metadata = reading.static_picture(box, {})
    assert "JupyterLab에서는 직접 조작할 수 있습니다: “alpha”을(를) 움직여 보세요." in data["text/html"]
    assert "테스트 이미지당 재구성 1.0 + KL 2.0 nats" in data["text/html"]
    assert metadata["image/png"]["alt"].startswith(
        "위젯 그림들 (alpha = 0.00 (시작값), alpha = 0.50, alpha = 1.00)."
    )
