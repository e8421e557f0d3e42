"""The shape of a lesson (issue 23), read from the English notebooks' cells.

Each notebook opens with what it needs and what it teaches; every "What you should see" answer follows a
"**Predict ...**" prompt a few cells earlier, and every "**Predict, then ...**" prompt gets its answer; no
markdown cell runs past 250 words and no code cell past 30 lines; the markdown never narrates the checking
or the plumbing (that belongs in docs/teaching.md and in the claims' notes).
"""

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))
PROMPT, ANSWER = re.compile(r"\*\*Predict\b"), "What you should see"
NEAR = 4  # cells between a prompt and its answer (the widget, a readout, an exercise and its grade cell)
#: Words about how the lesson is checked or where its data came from: none belongs in a lesson's text.
NARRATION = re.compile(
    r"\bassert(ed|s|ion)?\b|fast mode|COURSE_FAST|MNIST-sized|offline (digits|fallback)|data source|"
    r"in our runs|tolerance|the run prints|strict mode",
    re.IGNORECASE,
)


def markdown(path: Path) -> list[tuple[int, str]]:
    return [
        (i, c.source)
        for i, c in enumerate(nbformat.read(path, as_version=4).cells)
        if c.cell_type == "markdown"
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_opens_with_what_it_needs_and_teaches(path):
    opening = " ".join(text for i, text in markdown(path) if i < 5).lower()
    assert "what you need" in opening and "what you will learn" in opening, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_prediction_gets_its_answer(path):
    cells = dict(markdown(path))
    prompts = [i for i, text in cells.items() if PROMPT.search(text)]
    answers = [i for i, text in cells.items() if ANSWER in text]
    for i in answers:
        assert any(i - NEAR <= p < i for p in prompts), (
            f"{path.name} cell {i}: an answer with no prompt before it"
        )
    for p in prompts:
        if re.search(r"\*\*Predict, then", cells[p]):
            assert any(p < i <= p + NEAR for i in answers), f"{path.name} cell {p}: a prompt never answered"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_cells_fit_a_sitting(path):
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "markdown":
            assert len(cell.source.split()) <= 250, f"{path.name} cell {i}: over 250 words"
        elif cell.cell_type == "code":
            assert len(cell.source.splitlines()) <= 30, f"{path.name} cell {i}: over 30 lines"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_text_never_narrates_the_checking(path):
    found = [f"cell {i}: {m.group(0)!r}" for i, text in markdown(path) for m in NARRATION.finditer(text)]
    assert not found, f"{path.name}: " + "; ".join(found)


def test_the_korean_edition_answers_as_often():
    for path in NOTEBOOKS:
        korean = path.parent / "ko" / path.name
        if korean.exists():
            count = sum(text.count("무엇이 보여야") for _, text in markdown(korean))
            assert count == sum(text.count(ANSWER) for _, text in markdown(path)), korean.name
