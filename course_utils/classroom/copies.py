"""Classroom commands: student copies with the exercises blanked, an HTML reading copy, the Korean edition.

    python -m course_utils.classroom student --out student/   # notebooks with blank exercises + solutions.md
    python -m course_utils.classroom html --out site/         # execute every notebook, HTML readable offline
    python -m course_utils.classroom edition ko               # build notebooks/ko/ (see .edition)
    python -m course_utils.classroom student --lang ko        # (html --lang ko too): the Korean edition

An exercise is a code cell tagged ``exercise`` whose solution lines sit between ``# BEGIN SOLUTION``
and ``# END SOLUTION`` (see :mod:`course_utils.exercises`). The student copy replaces those lines,
markers included, by ``raise NotImplementedError("Your turn: ...")`` at the marker's indentation,
drops the hidden tests of the grade cell that follows each exercise (nbgrader's, :mod:`.grading`)
and changes nothing else; the original cells go to ``solutions.md`` so a stuck student can go on.
The HTML copy runs each notebook with nbclient in the environment's mode (``COURSE_FAST`` as set) and
writes pages that need no network (:mod:`course_utils.classroom.reading`).

Nothing is lost: a command refuses an ``--out`` that holds source notebooks, keeps every file already in
``--out`` (a student's saved work, a teacher's page) unless ``--overwrite`` is given, and names the kept
files in one line (exit status 1); a read-only or file ``--out`` is one line (exit status 2)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from pathlib import Path

import nbformat

from course_utils import i18n

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
# nbgrader's hidden tests: the grade cell after each exercise asserts its checker there (see .grading)
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
EXERCISE_TAG = "exercise"
# "### Your turn: <title>", in the Korean edition "### 직접 해 보기 (Your turn): <title>"
TITLE = r"^#+[ \t]*(?:Your turn|직접 해 보기)[^:\n]*:[ \t]*(\S.*)$"


def is_exercise(cell) -> bool:
    """A code cell tagged ``exercise``."""
    return cell.cell_type == "code" and EXERCISE_TAG in cell.get("metadata", {}).get("tags", [])


def blank_solution(source: str, task: str) -> str:
    """Replace each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block (markers included) by a
    ``raise NotImplementedError("Your turn: <task>")`` at the BEGIN marker's indentation.

    Raises ``ValueError`` if the markers are missing, nested or unbalanced.
    """
    out, indent, found = [], None, False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if indent is not None:
                raise ValueError(f"nested {BEGIN!r} in:\n{source}")
            indent = line[: len(line) - len(line.lstrip())]
            found = True
            out.append(
                f"{indent}raise NotImplementedError({json.dumps('Your turn: ' + task, ensure_ascii=False)})"
            )
        elif stripped == END:
            if indent is None:
                raise ValueError(f"{END!r} without {BEGIN!r} in:\n{source}")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise ValueError(f"{BEGIN!r} without {END!r} in:\n{source}")
    if not found:
        raise ValueError(f"exercise cell without {BEGIN!r} ... {END!r} markers:\n{source}")
    return "\n".join(out) + ("\n" if source.endswith("\n") else "")


def without_hidden_tests(source: str) -> str:
    """``source`` without its ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` lines, markers
    included, as nbgrader's release removes them: a grade cell's assert never stops a student's run."""
    out, hidden = [], False
    for line in source.splitlines():
        if line.strip() in (HIDDEN_BEGIN, HIDDEN_END):
            hidden = line.strip() == HIDDEN_BEGIN
        elif not hidden:
            out.append(line)
    return "\n".join(out) + ("\n" if source.endswith("\n") else "")


def _task_title(cells, index: int) -> str:
    """The exercise's title: the nearest markdown "### Your turn: <title>" above cell ``index``."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            titles = re.findall(TITLE, cell.source, flags=re.M | re.I)
            if titles:
                return titles[-1].strip()
    match = re.search(r"^\s*def\s+(\w+)", cells[index].source, flags=re.M)
    return f"write {match.group(1)}" if match else "complete this cell"


def student_notebook(nb) -> tuple[object, list[tuple[str, str]]]:
    """A copy of notebook ``nb`` with every exercise blanked, and its ``[(title, solution cell source)]``."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # deep copy
    solutions = []
    for i, cell in enumerate(nb.cells):
        if is_exercise(cell):
            title = _task_title(nb.cells, i)
            solutions.append((title, cell.source))
            cell.source = blank_solution(cell.source, title)
        elif cell.cell_type == "code" and HIDDEN_BEGIN in cell.source:
            cell.source = without_hidden_tests(cell.source)
    return nb, solutions


class Refused(Exception):
    """A classroom command will not write where it was asked to; the message says why, in one line."""


def _source_folders(notebooks: Path) -> set[Path]:
    """The folders whose notebooks a command must never replace: ``notebooks``, the course's English
    notebooks under the current folder (if any), and every edition's folder (``notebooks/ko``), resolved."""
    from course_utils.classroom.edition import DEFAULT_FOLDER, LANGUAGES

    english = {Path(notebooks), Path(DEFAULT_FOLDER)}
    if Path(notebooks).name in LANGUAGES:
        english.add(Path(notebooks).parent)  # the English next to an edition
    folders = english | {folder / lang for folder in english for lang in LANGUAGES}
    return {folder.resolve() for folder in folders}


class OutputFolder:
    """Where one classroom command writes: never into a folder of source notebooks, and never over a file
    it did not write in this run unless ``overwrite`` (a student's work, a teacher's page). Files that
    were there are kept and listed in :meth:`kept_line`.

    Raises :class:`Refused` for an ``out`` that holds source notebooks or is a file."""

    def __init__(self, out: Path, notebooks: Path, overwrite: bool = False):
        self.out, self.overwrite = Path(out), overwrite
        self.written: list[Path] = []
        self.kept: list[str] = []
        if self.out.resolve() in _source_folders(notebooks):
            raise Refused(
                f"--out {self.out} is a folder of source notebooks: the copies would replace them. "
                "Choose another folder, e.g. --out student/"
            )
        if self.out.exists() and not self.out.is_dir():
            raise Refused(f"--out {self.out} is a file, not a folder")
        self.out.mkdir(parents=True, exist_ok=True)

    def wants(self, name: str) -> bool:
        """Whether this run may write ``out/name`` (a file or a folder); records it as kept if not."""
        path = self.out / name
        if self.overwrite or path in self.written or not (path.exists() or path.is_symlink()):
            return True
        if name not in self.kept:
            self.kept.append(name)
        return False

    def write_text(self, name: str, text: str) -> Path | None:
        """Write ``out/name`` unless :meth:`wants` says no; returns the path written, or None."""
        if not self.wants(name):
            return None
        path = self.out / name
        if path.exists() or path.is_symlink():  # ours from this run, or --overwrite: replace the file itself
            from course_utils.classroom import edition

            edition.replace_text(path, text)
        else:
            with open(path, "x", encoding="utf-8") as file:  # "x": fails rather than replace a newcomer
                file.write(text)
        self.written.append(path)
        return path

    def kept_line(self) -> str:
        """One line naming the files kept as they were ("" when none)."""
        if not self.kept:
            return ""
        names = ", ".join(self.kept[:6]) + (", ..." if len(self.kept) > 6 else "")
        return (
            f"kept {len(self.kept)} existing file(s) in {self.out}/ as they are (--overwrite replaces "
            f"them): {names}"
        )


def _notebook_text(nb) -> str:
    text = nbformat.writes(nb)
    return text + ("" if text.endswith("\n") else "\n")  # as nbformat.write does


def make_student_copies(
    out: Path, notebooks: Path | None = None, overwrite: bool = False
) -> tuple[list[Path], OutputFolder]:
    """Write a student copy of every ``notebooks/*.ipynb`` into ``out``, plus ``out/solutions.md``.

    Existing files are kept unless ``overwrite`` (they may hold a student's work): returns the paths
    written and the :class:`OutputFolder`, whose ``kept`` lists the others."""
    from course_utils.classroom.edition import course_notebooks

    notebooks = course_notebooks(notebooks)
    folder = OutputFolder(out, notebooks, overwrite)
    lines = [
        '# Solutions to the "Your turn" exercises',
        "",
        "Try first; the checker's hint usually says what is wrong. Paste a solution into",
        "its cell if you are stuck, so you can go on with the notebook.",
        "",
    ]
    for path in sorted(notebooks.glob("*.ipynb")):
        nb, solutions = student_notebook(nbformat.read(path, as_version=4))
        folder.write_text(path.name, _notebook_text(nb))
        if solutions:
            lines.append(f"## {path.name}\n")
            for title, source in solutions:
                lines += [f"### Your turn: {title}\n", "```python", source.rstrip(), "```", ""]
    folder.write_text("solutions.md", "\n".join(lines))
    marker = notebooks / i18n.MARKER  # the Korean edition's copies speak Korean when they run, too
    if marker.is_file():
        folder.write_text(i18n.MARKER, marker.read_text(encoding="utf-8"))
    return [p for p in folder.written if p.suffix == ".ipynb"], folder


def _execute(path: Path, timeout: int, kernel: str, lang: str = "en"):
    """Run notebook ``path`` in its own folder, the course speaking ``lang`` (``COURSE_LANG``); returns
    ``(notebook with outputs, error line or None)``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from course_utils.classroom import reading

    nb = nbformat.read(path, as_version=4)
    try:
        with reading.reading_copy_environment(), _course_language(lang):
            NotebookClient(
                nb,
                timeout=timeout,
                kernel_name=kernel,
                extra_arguments=reading.KERNEL_ARGUMENTS,
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()
    except CellExecutionError as err:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # drop the traceback's terminal colours
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        errors = [line for line in lines if re.match(r"[\w.]*(Error|Exception)\b", line)]
        return nb, (errors or lines or ["?"])[-1].strip()
    return nb, None


@contextlib.contextmanager
def _course_language(lang: str):
    """Set ``COURSE_LANG`` for the kernels started inside the block; restore it afterwards."""
    old = os.environ.get(i18n.VARIABLE)
    os.environ[i18n.VARIABLE] = lang
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(i18n.VARIABLE, None)
        else:
            os.environ[i18n.VARIABLE] = old


def _copy_reading_files(folder: OutputFolder, lang: str) -> str:
    """Put MathJax (and for Korean the Hangul font) into the site, unless a copy is there and may not be
    replaced; returns what the pages' ``<head>`` needs for the font ("" for English)."""
    from course_utils.classroom import reading

    if folder.wants("mathjax"):
        reading.copy_mathjax(folder.out)
    if lang != "ko":
        return ""
    if folder.wants("fonts"):  # Hangul from a font shipped with the page: readable without a Korean font
        reading.copy_hangul_font(folder.out)
    return reading.hangul_font_css()


def make_html(
    out: Path,
    notebooks: Path | None = None,
    timeout: int = 1200,
    kernel: str = "python3",
    lang: str = "en",
    overwrite: bool = False,
) -> tuple[list[Path], list[str], OutputFolder]:
    """Execute every ``notebooks/*.ipynb`` (in its own folder, environment inherited) and write
    ``out/<name>.html`` with the outputs, plus an ``index.html`` linking them, ``out/mathjax/`` and, for the
    Korean edition (``lang="ko"``), ``out/fonts/`` with a Hangul font.

    The pages read offline (see :mod:`course_utils.classroom.reading`): formulas by the local MathJax,
    each live widget as a static strip of pictures, alt text on every figure, nothing loaded from the web.
    A notebook that fails is still written (up to the failing cell, whose error is shown) and goes
    on the returned list of failures, ``["name: error", ...]``; the others are not affected. A page (or
    index.html, mathjax/, fonts/) already in ``out`` is kept, its notebook not run, unless ``overwrite``;
    the returned :class:`OutputFolder` lists what was kept.
    """
    from course_utils.classroom import edition, reading

    notebooks = edition.course_notebooks(notebooks)
    folder = OutputFolder(out, notebooks, overwrite)
    head_extra = _copy_reading_files(folder, lang)
    exporter, failures = reading.exporter(language_code=lang), []
    for path in sorted(notebooks.glob("*.ipynb")):
        if not folder.wants(f"{path.stem}.html"):
            continue
        print(f"executing {path.name} ...", flush=True)
        nb, error = _execute(path, timeout, kernel, lang)
        if error:
            failures.append(f"{path.name}: {error}")
            print(f"FAILED {failures[-1]}", flush=True)
        for warning in reading.prepare_for_reading(nb):
            print(f"  {path.name} {warning}", flush=True)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        loads = reading.web_references(body)
        if loads:  # a new nbconvert template part, or an output that links a script: say so, never hide it
            failures.append(f"{path.name}: the page would load from the web: {', '.join(loads[:3])}")
            print(f"FAILED {failures[-1]}", flush=True)
        folder.write_text(f"{path.stem}.html", body.replace("</head>", head_extra + "</head>", 1))
    pages = [folder.out / f"{p.stem}.html" for p in sorted(notebooks.glob("*.ipynb"))]
    links = "\n".join(f'<li><a href="{p.name}">{p.stem}</a></li>' for p in pages if p.exists())
    folder.write_text(
        "index.html",
        f"<!doctype html><html lang='{lang}'><meta charset='utf-8'>{head_extra}"
        f"<title>All about Autoencoders</title>"
        f"<h1>All about Autoencoders (오토인코더의 모든 것)</h1>\n"
        f"<ul>\n{links}\n</ul>\n",
    )
    return [p for p in folder.written if p.suffix == ".html" and p.name != "index.html"], failures, folder


def _parser():
    from course_utils.classroom import edition

    parser = argparse.ArgumentParser(
        prog="python -m course_utils.classroom",
        description=__doc__.splitlines()[0],
        epilog="site: the course website (Jupyter Book) from the executed notebooks of both editions; "
        "python -m course_utils.classroom site --help",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser("student", help="student copies with the solutions blanked, and solutions.md")
    student.add_argument("--out", type=Path, help="default: student/ (student/ko/ for --lang ko)")
    html = sub.add_parser("html", help="execute the notebooks, write HTML with outputs, readable offline")
    html.add_argument("--out", type=Path, help="default: site/ (site/ko/ for --lang ko)")
    html.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    for command in (student, html):
        command.add_argument(
            "--lang",
            default="en",
            choices=["en", *edition.LANGUAGES],
            help="the edition: en (notebooks/) or ko (notebooks/ko/, built by `edition ko`)",
        )
        command.add_argument("--notebooks", type=Path, help="the notebooks' folder (default: the edition's)")
    build = sub.add_parser("edition", help="build notebooks/<lang>/ from the English and the translations")
    build.add_argument("lang", choices=sorted(edition.LANGUAGES))
    launch_cells = sub.add_parser("launch", help="the Open-in-Colab link and setup cell in every notebook")
    for command in (build, launch_cells):
        command.add_argument("--notebooks", type=Path, help="the English notebooks (default: notebooks/)")
    build.add_argument("--check", action="store_true", help="exit 1 when a translation is missing or stale")
    build.add_argument("--stubs", action="store_true", help="add empty entries for missing translations")
    build.add_argument(
        "--stamp",
        nargs="+",
        metavar=("NOTEBOOK", "CELL_ID"),
        help="mark these cells' translations as up to date with the English, then build",
    )
    archive = sub.add_parser("weights", help="the cached checkpoints of this mode and data in one archive")
    archive.add_argument("action", choices=["export"])
    archive.add_argument("file", type=Path, help="the archive to write (a .tar)")
    for command, what in (
        (student, "notebooks and solutions.md"),
        (html, "pages"),
        (build, "notebooks"),
        (archive, "the archive"),
        (launch_cells, "the notebooks' launch cells"),
    ):
        command.add_argument(
            "--overwrite",
            action="store_true",
            help=f"replace {what} already there (default: keep them, they may hold someone's work)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line; exit status 0 done, 1 a notebook failed or a file was kept, 2 refused."""
    from course_utils.classroom import edition

    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "weights":
        from course_utils.classroom import weights_archive

        return weights_archive.main(args.file, args.overwrite)
    try:
        if args.command in ("edition", "launch"):
            args.notebooks = edition.course_notebooks(args.notebooks)
            if not args.notebooks.is_dir():
                raise edition.NotebooksNotFound(f"no folder {args.notebooks} (--notebooks)")
        if args.command == "edition":
            return _edition(args)
        if args.command == "launch":
            return _launch(args)
        return _copies(args, parser)
    except edition.NotebooksNotFound as err:
        print(f"error: {err}", file=sys.stderr)
    except Refused as err:
        print(f"error: {err}", file=sys.stderr)
    except OSError as err:  # a read-only folder, a full disk, a path through a file
        where = f" ({err.filename})" if err.filename else ""
        out = args.out or "the output folder"
        print(f"error: cannot write the copies into {out}: {err.strerror or err}{where}", file=sys.stderr)
    return 2


def _launch(args) -> int:
    from course_utils.classroom import launch

    try:
        changed = launch.stamp_notebooks(args.notebooks, write=args.overwrite)
    except OSError as err:
        print(f"error: cannot write {err.filename or 'a notebook'}: {err.strerror or err}", file=sys.stderr)
        return 2
    if args.overwrite or not changed:
        print(f"launch cells written into {len(changed)} notebook(s); now run: edition ko")
        return 0
    names = ", ".join(changed)
    print(f"{len(changed)} notebook(s) need new launch cells (--overwrite writes them): {names}")
    return 1


def _copies(args, parser) -> int:
    """``student`` and ``html``."""
    from course_utils.classroom import edition

    notebooks = args.notebooks or edition.edition_dir(args.lang)
    if not notebooks.is_dir():
        hint = "" if args.lang == "en" else f" (run: python -m course_utils.classroom edition {args.lang})"
        parser.error(f"no folder {notebooks}{hint}")
    out = args.out or (
        Path(args.command if args.command == "student" else "site") / ("" if args.lang == "en" else args.lang)
    )
    failures = []
    if args.command == "student":
        paths, folder = make_student_copies(out, notebooks, overwrite=args.overwrite)
        also = " and solutions.md" if out / "solutions.md" in folder.written else ""
        print(f"wrote {len(paths)} student notebooks{also} to {out}/")
    else:
        paths, failures, folder = make_html(
            out, notebooks, timeout=args.timeout, lang=args.lang, overwrite=args.overwrite
        )
        also = " and index.html" if out / "index.html" in folder.written else ""
        print(f"wrote {len(paths)} HTML pages{also} to {out}/")
    if folder.kept:
        print(folder.kept_line())
    if failures:
        print(f"{len(failures)} notebook(s) failed:\n  " + "\n  ".join(failures))
    return 1 if failures or folder.kept else 0


def _edition(args) -> int:
    from course_utils.classroom import edition

    try:
        if args.stamp:
            if len(args.stamp) < 2:
                raise ValueError("--stamp NOTEBOOK CELL_ID [CELL_ID ...]")
            edition.stamp(args.stamp[0], args.stamp[1:], args.lang, args.notebooks)
        if args.stubs:
            print(f"added {edition.add_stubs(args.lang, args.notebooks)} empty translation entries")
        reports = edition.build_edition(args.lang, args.notebooks, overwrite=args.overwrite)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot write {err.filename or 'the edition'}: {err.strerror or err}", file=sys.stderr)
        return 2
    for report in reports:
        print(report.line())
    incomplete = [r for r in reports if not r.complete]
    kept = [f"{args.lang}/{r.name}" for r in reports if r.kept]
    print(
        f"{len(reports) - len(incomplete)} of {len(reports)} notebooks fully translated into "
        f"{edition.edition_dir(args.lang, args.notebooks)}/"
    )
    if kept:
        print(
            f"kept {len(kept)} notebook(s) edited since the last build as they are (put the changes in the "
            f"English notebook or the translation file, or --overwrite replaces them): {', '.join(kept)}"
        )
    return 1 if kept or (args.check and incomplete) else 0


if __name__ == "__main__":
    sys.exit(main())
