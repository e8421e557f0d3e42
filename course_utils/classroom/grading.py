"""nbgrader's cell metadata on the "Your turn" exercises, so that a teacher who grades with nbgrader can run
``nbgrader generate_assignment`` and ``nbgrader autograde`` on the course's notebooks as they are.

Every code cell holding ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` is an exercise: it is tagged
``exercise`` (what :mod:`.copies` blanks) and is nbgrader's "autograded answer" (``solution: true``,
grade id: the function it defines). Right after it comes its grade cell, nbgrader's "autograder tests"
(one point, locked, grade id: the checker's name): it calls the exercise's checker between nbgrader's
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, so the released copy shows only its comment and
autograding fails the cell when the checker does. The course's own student copy drops the hidden lines
too (:func:`.copies.without_hidden_tests`): it runs through without nbgrader, an unsolved exercise included.

    python -m course_utils.classroom.grading               # which notebooks lack the metadata (exit 1 if any)
    python -m course_utils.classroom.grading --overwrite   # write it, then rebuild the Korean edition:
    python -m course_utils.classroom edition ko
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from course_utils.classroom import copies, edition

SCHEMA_VERSION = 3
HIDDEN_BEGIN, HIDDEN_END = copies.HIDDEN_BEGIN, copies.HIDDEN_END
GRADE_COMMENT = (
    "# Graded by nbgrader's autograde: one point when the checker above passes. Nothing to write here."
)
POINTS = 1
_CHECKER_CALL = re.compile(r"^(exercises\.check_\w+)\((\w+)\);?\s*$", flags=re.M)


def has_solution(cell) -> bool:
    """A code cell with a ``# BEGIN SOLUTION`` line: an exercise, tagged or not."""
    return cell.cell_type == "code" and any(line.strip() == copies.BEGIN for line in cell.source.splitlines())


def checker_call(source: str) -> tuple[str, str]:
    """``(checker, function)`` of the exercise's last line ``exercises.check_NAME(my_fn)``.

    Raises ``ValueError`` when the cell calls no checker (a grade cell would have nothing to call)."""
    calls = _CHECKER_CALL.findall(source)
    if not calls:
        raise ValueError(f"exercise cell without an `exercises.check_NAME(my_fn)` line:\n{source}")
    return calls[-1]


def solution_metadata(grade_id: str) -> dict:
    """nbgrader's metadata of an autograded answer."""
    return {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": SCHEMA_VERSION,
            "solution": True, "task": False}  # fmt: skip


def grade_metadata(grade_id: str) -> dict:
    """nbgrader's metadata of an autograder-tests cell worth :data:`POINTS`."""
    return {"grade": True, "grade_id": grade_id, "locked": True, "points": POINTS,
            "schema_version": SCHEMA_VERSION, "solution": False, "task": False}  # fmt: skip


def grade_source(checker: str, function: str) -> str:
    """The grade cell: a comment, then the checker call asserted between nbgrader's hidden-test lines."""
    return f"{GRADE_COMMENT}\n{HIDDEN_BEGIN}\nassert {checker}({function})\n{HIDDEN_END}"


def with_grading(nb) -> int:
    """Give every exercise of notebook ``nb`` (in place) its tag, its nbgrader metadata and the grade cell
    that follows it (made, or brought up to date). Returns the number of cells changed or added."""
    changed, index = 0, 0
    while index < len(nb.cells):
        cell = nb.cells[index]
        index += 1
        if not has_solution(cell):
            continue
        checker, function = checker_call(cell.source)
        tags = cell.metadata.get("tags", [])
        wanted = {**cell.metadata, "tags": tags + [copies.EXERCISE_TAG] * (copies.EXERCISE_TAG not in tags)}
        wanted["nbgrader"] = solution_metadata(function)
        if cell.metadata != wanted:
            cell.metadata, changed = nbformat.from_dict(wanted), changed + 1
        grade_id = f"{cell.id}-grade"[:64]
        follows = nb.cells[index] if index < len(nb.cells) else None
        if follows is None or follows.get("id") != grade_id:
            follows = nbformat.v4.new_code_cell(id=grade_id)
            nb.cells.insert(index, follows)
            changed += 1
        want_source = grade_source(checker, function)
        want_meta = {"nbgrader": grade_metadata(checker.split(".")[-1])}
        if follows.source != want_source or follows.metadata != want_meta:
            follows.source, follows.metadata = want_source, nbformat.from_dict(want_meta)
            changed += 1
        index += 1
    return changed


def stamp_notebooks(notebooks: Path | None = None, write: bool = False) -> list[str]:
    """The English notebooks whose exercises lack their grading cells or metadata; written if ``write``
    (each read fresh and written at once: others may be editing other notebooks)."""
    folder, needing = edition.course_notebooks(notebooks), []
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if with_grading(nb):
            needing.append(path.name)
            if write:
                nbformat.write(nb, path)
    return needing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.classroom.grading", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--notebooks", type=Path, help="the English notebooks (default: notebooks/)")
    parser.add_argument("--overwrite", action="store_true", help="write the metadata and grade cells")
    args = parser.parse_args(argv)
    needing = stamp_notebooks(args.notebooks, write=args.overwrite)
    if args.overwrite or not needing:
        print(f"nbgrader metadata written into {len(needing)} notebook(s); now run: edition ko")
        return 0
    print(f"{len(needing)} notebook(s) need nbgrader metadata (--overwrite writes it): {', '.join(needing)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
