"""The classroom commands: student copies (exercises blanked, solutions kept) and the HTML reading copy."""

import ast
import contextlib
import io
import os
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.classroom import copies

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

EXERCISE = '''import torch

def my_kl(mu, logvar):
    """KL(q || N(0, I)) per sample."""
    # BEGIN SOLUTION
    var = logvar.exp()
    return 0.5 * (mu ** 2 + var - logvar - 1).sum(1)
    # END SOLUTION

exercises.check_kl_std_normal(my_kl)'''


def synthetic_notebook():
    """Markdown, an import cell, a "Your turn" exercise, a later cell that uses the reference, and an
    untagged cell that happens to contain the markers (must stay as it is)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A tiny lesson\nThe KL in closed form."),
        nbformat.v4.new_code_cell(
            "import torch\nfrom course_utils import losses\nfrom course_utils.ch4_elbo import exercises"
        ),
        nbformat.v4.new_markdown_cell(
            "## Your turn\n\n### Your turn: the closed-form KL (쿨백-라이블러 발산)\nFill in `my_kl`."
        ),
        nbformat.v4.new_code_cell(EXERCISE, metadata={"tags": ["exercise"]}),
        nbformat.v4.new_code_cell(
            "kl = losses.kl_std_normal(torch.zeros(2, 3), torch.zeros(2, 3))\n"
            "assert kl.abs().max() == 0\nprint('later cell ran')"
        ),
        nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\nprint(x)"),
    ]
    return nb


@pytest.fixture()
def lesson_dir(tmp_path):
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(synthetic_notebook(), src / "01_tiny.ipynb")
    return src


def execute(nb, cwd):
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def cell_text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def test_blank_solution_keeps_indentation_and_everything_else():
    blank = copies.blank_solution(EXERCISE, "the closed-form KL")
    assert "BEGIN SOLUTION" not in blank and "END SOLUTION" not in blank and "logvar.exp()" not in blank
    assert '    raise NotImplementedError("Your turn: the closed-form KL")' in blank.splitlines()
    solution_lines = {
        "    # BEGIN SOLUTION",
        "    var = logvar.exp()",
        "    return 0.5 * (mu ** 2 + var - logvar - 1).sum(1)",
        "    # END SOLUTION",
    }
    kept = [line for line in EXERCISE.splitlines() if line not in solution_lines]
    assert [line for line in blank.splitlines() if "NotImplementedError" not in line] == kept
    ast.parse(blank)


def test_blank_solution_several_blocks_and_nested_indentation():
    src = (
        "def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n\n"
        "class A:\n    def g(self):\n        # BEGIN SOLUTION\n        return 2\n        # END SOLUTION\n"
    )
    blank = copies.blank_solution(src, 'say "hi"')
    assert blank.count("raise NotImplementedError") == 2
    assert '        raise NotImplementedError("Your turn: say \\"hi\\"")' in blank
    assert blank.endswith("\n")
    ast.parse(blank)


@pytest.mark.parametrize(
    "bad",
    [
        "def f():\n    # BEGIN SOLUTION\n    return 1\n",
        "def f():\n    return 1\n    # END SOLUTION\n",
        "def f():\n    return 1\n",
        "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n",
    ],
)
def test_blank_solution_rejects_broken_markers(bad):
    with pytest.raises(ValueError):
        copies.blank_solution(bad, "x")


def test_student_command_blanks_exercises_only_and_writes_solutions(lesson_dir, tmp_path, capsys):
    out = tmp_path / "student"
    assert copies.main(["student", "--out", str(out), "--notebooks", str(lesson_dir)]) == 0
    assert "wrote 1 student notebooks" in capsys.readouterr().out
    original = nbformat.read(lesson_dir / "01_tiny.ipynb", as_version=4)
    student = nbformat.read(out / "01_tiny.ipynb", as_version=4)
    assert len(student.cells) == len(original.cells) and student.metadata == original.metadata
    for i, (a, b) in enumerate(zip(original.cells, student.cells)):
        assert a.cell_type == b.cell_type and a.metadata == b.metadata
        if i == 3:
            assert (
                'raise NotImplementedError("Your turn: the closed-form KL (쿨백-라이블러 발산)")' in b.source
            )
            assert "BEGIN SOLUTION" not in b.source and "exercises.check_kl_std_normal(my_kl)" in b.source
        else:
            assert a.source == b.source  # untouched, including the untagged cell with markers
    solutions = (out / "solutions.md").read_text(encoding="utf-8")
    assert "## 01_tiny.ipynb" in solutions and "### Your turn: the closed-form KL" in solutions
    assert EXERCISE in solutions


def test_student_copy_runs_through_and_the_checker_rejects_the_blank(lesson_dir, tmp_path):
    out = tmp_path / "student"
    copies.make_student_copies(out, lesson_dir)
    student = execute(nbformat.read(out / "01_tiny.ipynb", as_version=4), out)
    assert "not implemented yet" in cell_text(student.cells[3])
    assert "Traceback" not in cell_text(student.cells[3])
    assert "later cell ran" in cell_text(student.cells[4])


def test_html_command_writes_pages_with_outputs_and_reports_failures(lesson_dir, tmp_path, capsys):
    """One run over a good and a broken notebook (one kernel each, to keep the test fast)."""
    broken = nbformat.v4.new_notebook()
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    broken.cells = [
        nbformat.v4.new_code_cell("print('before the error')"),
        nbformat.v4.new_code_cell("raise ValueError('the lesson is broken')"),
    ]
    nbformat.write(broken, lesson_dir / "00_broken.ipynb")
    site = tmp_path / "site"
    assert copies.main(["html", "--out", str(site), "--notebooks", str(lesson_dir)]) == 1
    out = capsys.readouterr().out
    assert "wrote 2 HTML pages" in out
    assert (
        "FAILED 00_broken.ipynb" in out
        and "ValueError: the lesson is broken" in out
        and "FAILED 01_tiny" not in out
    )
    assert "before the error" in (site / "00_broken.html").read_text(encoding="utf-8")
    page = (site / "01_tiny.html").read_text(
        encoding="utf-8"
    )  # the next notebook still ran, outputs included
    assert "A tiny lesson" in page and "later cell ran" in page
    assert "✅ check_kl_std_normal: passed" in page  # the teacher's notebook: the solution passes
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<a href="01_tiny.html">' in index and '<a href="00_broken.html">' in index
    # the source notebooks keep no outputs
    assert all(not c.get("outputs") for c in nbformat.read(lesson_dir / "01_tiny.ipynb", as_version=4).cells)


# ---- the real notebooks (checked as they appear) -------------------------------------------------------

REAL = sorted(NOTEBOOKS.glob("*.ipynb"))


def _imports(cells) -> str:
    """The top-level import statements of the cells before an exercise (what its cell may rely on)."""
    statements = []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # e.g. a cell with IPython magics
            continue
        statements += [
            ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
        ]
    return "\n".join(statements)


def _run_cell(source: str, namespace: dict) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, "<exercise cell>", "exec"), namespace)
    return buffer.getvalue()


@pytest.mark.skipif(not REAL, reason="no notebooks yet")
def test_real_notebooks_student_copies(tmp_path):
    """Every exercise is blanked and nothing else changes; each blanked cell reports "not implemented yet"
    and each reference solution passes its checker (the cell run on the notebook's imports)."""
    out = tmp_path / "student"
    copies.make_student_copies(out, NOTEBOOKS)
    solutions = (out / "solutions.md").read_text(encoding="utf-8")
    for path in REAL:
        original = nbformat.read(path, as_version=4)
        student = nbformat.read(out / path.name, as_version=4)
        assert len(original.cells) == len(student.cells)
        for i, (a, b) in enumerate(zip(original.cells, student.cells)):
            assert a.metadata == b.metadata and a.cell_type == b.cell_type
            if not copies.is_exercise(a):  # a grade cell loses its hidden tests (nbgrader's), nothing else
                assert copies.without_hidden_tests(a.source) == b.source, f"{path.name} cell {i} changed"
                continue
            where = f"{path.name} cell {i}"
            assert (
                "BEGIN SOLUTION" not in b.source and 'raise NotImplementedError("Your turn: ' in b.source
            ), where
            assert re.search(r"exercises\.check_\w+\(", a.source), f"{where}: no checker call"
            assert a.source.strip() in solutions, where
            imports = _imports(original.cells[:i])
            blank_ns, solved_ns = {}, {}
            exec(imports, blank_ns)
            exec(imports, solved_ns)
            assert "not implemented yet" in _run_cell(b.source, blank_ns), where
            assert "passed" in _run_cell(a.source, solved_ns), where


# ---- never replacing what the command did not write (issue 29) ----------------------------------------


def one_error_line(capsys) -> str:
    """The command's stderr: exactly one line starting with "error: ", no traceback."""
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def student(*args) -> int:
    return copies.main(["student", *map(str, args)])


def test_a_second_student_run_keeps_the_students_work_unless_told_to_overwrite(lesson_dir, tmp_path, capsys):
    out = tmp_path / "student"
    assert student("--out", out, "--notebooks", lesson_dir) == 0
    copy = out / "01_tiny.ipynb"
    work = nbformat.read(copy, as_version=4)
    work.cells[3].source = "# MY OWN WORK"
    nbformat.write(work, copy)
    (out / "solutions.md").write_text("my notes", encoding="utf-8")
    saved = copy.read_bytes()
    nbformat.write(synthetic_notebook(), lesson_dir / "02_new.ipynb")  # the teacher adds a notebook
    capsys.readouterr()
    assert student("--out", out, "--notebooks", lesson_dir) == 1
    lines = capsys.readouterr().out.splitlines()
    assert copy.read_bytes() == saved and (out / "solutions.md").read_text(encoding="utf-8") == "my notes"
    assert "NotImplementedError" in (out / "02_new.ipynb").read_text(encoding="utf-8")  # the new one
    assert lines[0] == f"wrote 1 student notebooks to {out}/"
    assert lines[1] == (
        f"kept 2 existing file(s) in {out}/ as they are (--overwrite replaces them): "
        "01_tiny.ipynb, solutions.md"
    )
    assert student("--out", out, "--notebooks", lesson_dir, "--overwrite") == 0
    assert "MY OWN WORK" not in copy.read_text(encoding="utf-8")
    assert "## 02_new.ipynb" in (out / "solutions.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("where", ["the notebooks folder", "a link to it", "the English next to an edition"])
def test_an_out_folder_of_source_notebooks_is_refused(lesson_dir, tmp_path, capsys, where):
    (lesson_dir / "ko").mkdir()
    nbformat.write(synthetic_notebook(), lesson_dir / "ko" / "01_tiny.ipynb")
    before = {p: p.read_bytes() for p in lesson_dir.rglob("*.ipynb")}
    source, out = lesson_dir, lesson_dir
    if where == "a link to it":
        out = tmp_path / "link"
        out.symlink_to(lesson_dir, target_is_directory=True)
    elif where == "the English next to an edition":
        source = lesson_dir / "ko"
    for command in ("student", "html"):
        for extra in ([], ["--overwrite"]):
            assert copies.main([command, "--out", str(out), "--notebooks", str(source), *extra]) == 2
            assert "is a folder of source notebooks" in one_error_line(capsys)
    assert {p: p.read_bytes() for p in lesson_dir.rglob("*.ipynb")} == before
    assert not (lesson_dir / "solutions.md").exists() and not (lesson_dir / "index.html").exists()


def test_an_out_that_is_a_file_or_lies_under_one_is_one_line(lesson_dir, tmp_path, capsys):
    a_file = tmp_path / "afile"
    a_file.write_text("keep me", encoding="utf-8")
    assert student("--out", a_file, "--notebooks", lesson_dir) == 2
    assert "is a file, not a folder" in one_error_line(capsys)
    assert copies.main(["html", "--out", str(a_file / "site"), "--notebooks", str(lesson_dir)]) == 2
    assert "cannot write the copies into" in one_error_line(capsys)
    assert a_file.read_text(encoding="utf-8") == "keep me"


@pytest.fixture()
def read_only_folder(tmp_path):
    """A real read-only folder. The suite runs as root, for whom chmod does not stop writing, so this is a
    read-only tmpfs mount (skipped where mounting is not permitted); elsewhere chmod 555 does it."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("command", ["student", "html"])
def test_a_read_only_out_is_one_line(lesson_dir, read_only_folder, capsys, command):
    for out in (read_only_folder, read_only_folder / "sub"):
        assert copies.main([command, "--out", str(out), "--notebooks", str(lesson_dir)]) == 2
        err = one_error_line(capsys)
        assert "cannot write the copies into" in err and (
            "Read-only file system" in err or "ermission" in err
        )


def test_html_keeps_existing_pages_and_does_not_rerun_their_notebooks(lesson_dir, tmp_path, capsys):
    site = tmp_path / "site"
    (site / "mathjax").mkdir(parents=True)
    pages = {"01_tiny.html": "the teacher's page", "index.html": "the teacher's index"}
    for name, text in pages.items():
        (site / name).write_text(text, encoding="utf-8")
    assert copies.main(["html", "--out", str(site), "--notebooks", str(lesson_dir)]) == 1
    out = capsys.readouterr().out
    assert "executing" not in out and "wrote 0 HTML pages to" in out
    assert "kept 3 existing file(s)" in out and "mathjax, 01_tiny.html, index.html" in out
    assert {name: (site / name).read_text(encoding="utf-8") for name in pages} == pages
    assert not list((site / "mathjax").iterdir())  # not refreshed either


def test_overwrite_replaces_a_link_itself_never_the_file_it_points_to(lesson_dir, tmp_path):
    teacher = lesson_dir / "01_tiny.ipynb"
    before = teacher.read_bytes()
    out = tmp_path / "student"
    out.mkdir()
    (out / "01_tiny.ipynb").symlink_to(teacher)
    copies.make_student_copies(out, lesson_dir)
    assert (out / "01_tiny.ipynb").is_symlink() and teacher.read_bytes() == before  # kept
    copies.make_student_copies(out, lesson_dir, overwrite=True)
    assert not (out / "01_tiny.ipynb").is_symlink() and teacher.read_bytes() == before
    assert "NotImplementedError" in (out / "01_tiny.ipynb").read_text(encoding="utf-8")


# ---- edition ko: rebuilds its own output, keeps a notebook somebody edited -----------------------------


def edition(*args) -> int:
    return copies.main(["edition", "ko", *map(str, args)])


def change_english(folder, text):
    english = nbformat.read(folder / "01_tiny.ipynb", as_version=4)
    english.cells[1].source = text
    nbformat.write(english, folder / "01_tiny.ipynb")


def test_edition_rebuilds_its_own_output_after_the_english_changes(lesson_dir, capsys):
    """The team's normal flow: change an English notebook, run `edition ko`, the Korean one follows."""
    korean = lesson_dir / "ko" / "01_tiny.ipynb"
    assert edition("--notebooks", lesson_dir) == 0 and korean.exists()
    for text in ("print('first change')", "print('second change')"):
        change_english(lesson_dir, text)
        assert edition("--notebooks", lesson_dir) == 0
        assert nbformat.read(korean, as_version=4).cells[1].source == text
    assert "kept" not in capsys.readouterr().out


def test_edition_keeps_a_korean_notebook_edited_by_hand(lesson_dir, capsys):
    korean = lesson_dir / "ko" / "01_tiny.ipynb"
    assert edition("--notebooks", lesson_dir) == 0
    edited = nbformat.read(korean, as_version=4)
    edited.cells[0].source = "손으로 고친 셀"
    nbformat.write(edited, korean)
    saved = korean.read_bytes()
    change_english(lesson_dir, "print('changed')")
    capsys.readouterr()
    assert edition("--notebooks", lesson_dir) == 1
    out = capsys.readouterr().out
    assert korean.read_bytes() == saved
    assert "NOT rebuilt: the file was edited since the last build" in out
    assert out.strip().splitlines()[-1].startswith("kept 1 notebook(s) edited since the last build")
    assert edition("--notebooks", lesson_dir, "--overwrite") == 0
    assert nbformat.read(korean, as_version=4).cells[1].source == "print('changed')"


def test_edition_file_from_before_the_hash_is_replaced_only_when_it_is_the_build(lesson_dir, capsys):
    from course_utils.classroom import edition as ed

    korean = lesson_dir / "ko" / "01_tiny.ipynb"
    assert edition("--notebooks", lesson_dir) == 0
    legacy = nbformat.read(korean, as_version=4)
    del legacy.metadata["course_edition"]["content_sha"]
    nbformat.write(legacy, korean)
    assert edition("--notebooks", lesson_dir) == 0  # the same content: it gets its hash
    assert "content_sha" in nbformat.read(korean, as_version=4).metadata["course_edition"]
    assert [p for p in ed.edition_problems("ko", lesson_dir) if "out of date" in p] == []
    nbformat.write(legacy, korean)
    change_english(lesson_dir, "print('changed')")  # no hash, and not what the build makes: kept
    assert edition("--notebooks", lesson_dir) == 1
    assert nbformat.read(korean, as_version=4).cells[1].source != "print('changed')"
