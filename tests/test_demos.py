"""The projector demos (demos/, served by `voila demos/`): one per chapter with live widgets, each at most six
cells that load the lesson's models and show its explorers, nothing else to scroll past; the Korean set has
the same code. Static and cheap: tests/browser/test_demos_voila.py serves one and moves a slider."""

import ast
import importlib
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMOS, LESSONS = ROOT / "demos", ROOT / "notebooks"
CHAPTERS = sorted(p.parent.name for p in (ROOT / "course_utils").glob("ch*_*/widgets.py"))
ENGLISH = sorted(DEMOS.glob("*.ipynb"))
MAX_CELLS = 6
#: What a demo may not do: print, plot, claim, assert (the lesson does that; the demo shows the widgets).
FORBIDDEN_CALLS = {"print", "claim", "display"}


def chapter_of(demo: Path) -> str:
    """``ch5_vae`` for ``demos/05_vae_sliders.ipynb``."""
    number = int(demo.name[:2])
    return next(c for c in CHAPTERS if c.startswith(f"ch{number}_"))


def lesson_of(demo: Path) -> Path:
    return next(LESSONS.glob(f"{demo.name[:2]}_*.ipynb"))


def code_trees(nb) -> list[ast.Module]:
    return [ast.parse(c.source) for c in nb.cells if c.cell_type == "code"]


def test_every_chapter_with_widgets_has_one_demo_in_each_language():
    numbers = sorted(int(c[2:].split("_")[0]) for c in CHAPTERS)
    assert [int(p.name[:2]) for p in ENGLISH] == numbers, "one demos/NN_*_sliders.ipynb per chapter"
    assert [p.name for p in sorted((DEMOS / "ko").glob("*.ipynb"))] == [p.name for p in ENGLISH]


@pytest.mark.parametrize("demo", ENGLISH, ids=lambda p: p.stem)
def test_a_demo_is_six_cells_at_most_that_show_widgets_only(demo):
    nb = nbformat.read(demo, as_version=4)
    assert len(nb.cells) <= MAX_CELLS and nb.cells[0].cell_type == "markdown", demo.name
    assert all(c.cell_type == "code" for c in nb.cells[1:]), f"{demo.name}: one title cell, then code"
    assert all(not c.get("outputs") for c in nb.cells[1:]), f"{demo.name} is committed with outputs"
    shown = 0
    for tree in code_trees(nb):
        for node in ast.walk(tree):
            assert not isinstance(node, ast.Assert), (
                f"{demo.name}: an assert (the lesson checks, not the demo)"
            )
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                assert name not in FORBIDDEN_CALLS and not name.startswith("plt."), f"{demo.name}: {name}"
        last = tree.body[-1]
        if isinstance(last, ast.Expr):  # what the cell displays: one explorer from a widgets module
            assert len(tree.body) == 1 and isinstance(last.value, ast.Call), (
                f"{demo.name}: {ast.unparse(last)}"
            )
            module, _, function = ast.unparse(last.value.func).rpartition(".")
            assert module.endswith("widgets"), f"{demo.name} shows {ast.unparse(last)}, not a widget"
            shown += 1
    assert shown >= 2 or (shown >= 1 and len(nb.cells) <= 3), f"{demo.name} shows {shown} widgets"


@pytest.mark.parametrize("demo", ENGLISH, ids=lambda p: p.stem)
def test_a_demo_loads_the_lessons_models_with_the_lessons_calls(demo):
    """Every training or loading call, and every function defined, appears as is in the lesson, so the
    cache key is the lesson's (the same recipe and arguments) and the cached model loads."""
    lesson_calls, lesson_defs = set(), set()
    for tree in code_trees(nbformat.read(lesson_of(demo), as_version=4)):
        lesson_calls |= {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        lesson_defs |= {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for tree in code_trees(nbformat.read(demo, as_version=4)):
        for node in ast.walk(tree):
            text = ast.unparse(node)
            if isinstance(node, ast.Call) and re.match(r"(recipes|trained|checkpoints)\.\w+\(", text):
                assert text in lesson_calls, f"{demo.name}: {text} is not the lesson's call"
            if isinstance(node, ast.FunctionDef):
                assert text in lesson_defs, f"{demo.name}: def {node.name} differs from the lesson's"


@pytest.mark.parametrize("demo", ENGLISH, ids=lambda p: p.stem)
def test_the_widgets_a_demo_shows_exist_in_its_chapter(demo):
    chapter = importlib.import_module(f"course_utils.{chapter_of(demo)}.widgets")
    core = importlib.import_module("course_utils.widgets")
    for tree in code_trees(nbformat.read(demo, as_version=4)):
        last = tree.body[-1]
        if isinstance(last, ast.Expr):
            module, _, function = ast.unparse(last.value.func).rpartition(".")
            owner = core if module == "widgets" else chapter
            assert callable(getattr(owner, function, None)), f"{demo.name}: no {module}.{function}"


@pytest.mark.parametrize("demo", ENGLISH, ids=lambda p: p.stem)
def test_the_korean_demo_has_the_same_code_and_a_korean_title(demo):
    english, korean = (nbformat.read(p, as_version=4) for p in (demo, DEMOS / "ko" / demo.name))
    assert [c.source for c in english.cells[1:]] == [c.source for c in korean.cells[1:]]
    assert re.search(r"[\uac00-\ud7a3]", korean.cells[0].source), f"ko/{demo.name}: no Korean title"
