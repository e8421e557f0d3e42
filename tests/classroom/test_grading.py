"""nbgrader's metadata on the exercises (course_utils/classroom/grading.py): every exercise of both editions
carries it with a grade cell that calls its checker, nbgrader's own clearing blanks what the course's
student copy blanks, and the student copy still runs through without nbgrader."""

import copy
import re
from pathlib import Path

import nbformat
import pytest

from course_utils.classroom import copies, grading

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EDITIONS = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((NOTEBOOKS / "ko").glob("*.ipynb"))
ONE = NOTEBOOKS / "01_mle_and_mse.ipynb"


def exercise_and_grade_cells(nb):
    """``[(exercise cell, the cell after it)]`` for every cell with a ``# BEGIN SOLUTION`` line."""
    cells = nb.cells
    return [
        (c, cells[i + 1] if i + 1 < len(cells) else None)
        for i, c in enumerate(cells)
        if grading.has_solution(c)
    ]


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_every_exercise_has_nbgrader_metadata_and_a_grade_cell_calling_its_checker(path):
    nb = nbformat.read(path, as_version=4)
    pairs = exercise_and_grade_cells(nb)
    where = f"{path.relative_to(NOTEBOOKS)}: run python -m course_utils.classroom.grading --overwrite"
    assert pairs, f"{path.name} has no exercise"
    for exercise, grade in pairs:
        checker, function = grading.checker_call(exercise.source)
        assert copies.is_exercise(exercise), f"{where} ({exercise.id} is not tagged exercise)"
        assert exercise.metadata.get("nbgrader") == grading.solution_metadata(function), where
        assert grade is not None and grade.cell_type == "code", where
        assert grade.metadata.get("nbgrader") == grading.grade_metadata(checker.split(".")[-1]), where
        hidden = grade.source.split(grading.HIDDEN_BEGIN)[1].split(grading.HIDDEN_END)[0]
        assert hidden.strip() == f"assert {checker}({function})", where
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)) == 2 * len(pairs), f"{path.name}: grade ids repeat: {ids}"
    assert all(re.fullmatch(r"[\w-]+", i) for i in ids), ids
    if path.parent == NOTEBOOKS:  # the function reproduces the committed notebook exactly
        assert grading.with_grading(nb) == 0, where


def test_with_grading_adds_the_cells_once_and_names_a_missing_checker():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("### Your turn: the KL"),
            nbformat.v4.new_code_cell(
                "def my_kl(mu):\n    # BEGIN SOLUTION\n    return mu\n    # END SOLUTION\n\n"
                "exercises.check_kl_std_normal(my_kl);"
            ),
            nbformat.v4.new_markdown_cell("after"),
        ]
    )
    assert grading.with_grading(nb) > 0
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code", "markdown"]
    assert nb.cells[1].metadata["tags"] == ["exercise"] and nb.cells[2].id == f"{nb.cells[1].id}-grade"
    assert "assert exercises.check_kl_std_normal(my_kl)" in nb.cells[2].source
    assert grading.with_grading(nb) == 0 and len(nb.cells) == 4  # a second run changes nothing
    nb.cells[1].source = nb.cells[1].source.replace("exercises.check_kl_std_normal(my_kl);", "print(1)")
    with pytest.raises(ValueError, match="without an `exercises.check_NAME"):
        grading.with_grading(nb)


def test_the_student_copy_runs_an_unsolved_exercise_and_its_grade_cell_without_nbgrader():
    student, _ = copies.student_notebook(nbformat.read(ONE, as_version=4))
    namespace = {}
    exec(
        "import math\nimport torch\nimport torch.nn.functional as F\n"
        "from course_utils.ch1_mle import exercises",
        namespace,
    )
    for exercise, grade in exercise_and_grade_cells(nbformat.read(ONE, as_version=4)):
        blanked = next(c for c in student.cells if c.id == exercise.id)
        released_grade = next(c for c in student.cells if c.id == grade.id)
        assert grading.HIDDEN_BEGIN not in released_grade.source and "assert" not in released_grade.source
        exec(blanked.source, namespace)  # prints the checker's "not implemented yet", raises nothing
        exec(released_grade.source, namespace)


def _stubbed(source: str, stub: str) -> str:
    """``source`` with the stub lines (course's or nbgrader's) replaced by one line ``<STUB>``."""
    return re.sub(rf"^([ \t]*){stub}", r"\1<STUB>", source, flags=re.M)


def test_nbgrader_clearing_blanks_what_the_course_student_copy_blanks():
    preprocessors = pytest.importorskip("nbgrader.preprocessors", reason="nbgrader is not installed")
    original = nbformat.read(ONE, as_version=4)
    course, _ = copies.student_notebook(original)
    released = copy.deepcopy(original)
    resources = {}
    for step in (
        preprocessors.CheckCellMetadata(),
        preprocessors.ClearSolutions(),
        preprocessors.ClearHiddenTests(),
    ):
        released, resources = step.preprocess(released, resources)  # enforce_metadata: a missing mark raises
    assert [c.id for c in released.cells] == [c.id for c in course.cells]
    blanked = 0
    for ours, theirs, source in zip(course.cells, released.cells, original.cells):
        if ours.source == source.source:
            assert theirs.source == source.source, f"nbgrader changed cell {source.id}, the course did not"
            continue
        blanked += copies.is_exercise(source)
        ours_text = _stubbed(ours.source, r'raise NotImplementedError\("Your turn: [^\n]*"\)')
        theirs_text = _stubbed(theirs.source, r"# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)")
        assert ours_text == theirs_text, f"cell {source.id}:\n{ours_text}\n---\n{theirs_text}"
        assert "BEGIN SOLUTION" not in theirs_text and "HIDDEN TESTS" not in theirs_text
    assert blanked == 3  # the three exercises; their checker calls are kept by both (compared above)
