"""Every notebook opens anywhere: an "Open in Colab" badge and a guarded setup cell, from one setting."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from course_utils.classroom import edition, launch

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ENGLISH = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))


#: Code run before the setup cell: the course looks absent, and pip's call is printed instead of run.
WITHOUT_THE_COURSE = """import importlib.util
_find = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name == "course_utils" else _find(name, *a)
"""
PRINT_PIP = (
    "import subprocess\n"
    "subprocess.run = lambda args, **kw: print('PIP', args) or subprocess.CompletedProcess(args, 0, '', '')\n"
)


def _run_setup(before: str = "") -> str:
    """Run the setup cell in a fresh Python, ``subprocess.run`` replaced by a print of its arguments."""
    code = before + PRINT_PIP + launch.setup_code()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_where_the_course_is_installed_the_setup_cell_does_nothing():
    assert _run_setup() == ""  # this checkout's course_utils is importable


def test_without_the_course_the_setup_cell_installs_it_and_keeps_the_torch_already_there():
    out = _run_setup(WITHOUT_THE_COURSE)
    assert out.startswith("PIP ") and f"torch=={torch.__version__}" in out
    assert f"git+https://github.com/{launch.REPOSITORY}@{launch.BRANCH}" in out and "'-q'" in out


def test_offline_the_setup_cell_stops_with_one_line_naming_the_address_and_what_to_do(monkeypatch, tmp_path):
    """The cell as Jupyter runs it, in a kernel where the course is missing, pip pointed at a closed port."""
    nbclient = pytest.importorskip("nbclient")
    unreachable = "http://127.0.0.1:9/all-about-autoencoders.git@main"  # port 9: connection refused
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    cell = nbformat.v4.new_code_cell(WITHOUT_THE_COURSE + launch.setup_code(unreachable))
    nb = nbformat.v4.new_notebook(cells=[cell])
    client = nbclient.NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(nbclient.exceptions.CellExecutionError):
        client.execute()
    (error,) = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "CourseNotInstalled" and len(error.traceback) == 1, error.traceback
    line = error.traceback[0]
    expected = f"CourseNotInstalled: could not install the course from {unreachable}: no network?"
    assert line.startswith(expected), line
    assert "127.0.0.1" in line.split("no network?")[1] and "run this cell again" in line
    assert "fatal: unable to access" in line  # pip's own reason, without its colours
    assert "\n" not in line and "\x1b" not in line and "CalledProcessError" not in line
    assert f"git+{unreachable}" in line  # the install command to run by hand


def test_the_launch_cells_go_first_and_a_second_stamp_changes_nothing():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title", id="title")])
    assert launch.with_launch_cells(nb, "notebooks/01_x.ipynb") is True
    assert [c.id for c in nb.cells] == [launch.BADGE_ID, launch.SETUP_ID, "title"]
    assert launch.colab_url("notebooks/01_x.ipynb") in nb.cells[0].source
    assert launch.with_launch_cells(nb, "notebooks/01_x.ipynb") is False
    nb.cells[1].source = "print('edited')"
    assert (
        launch.with_launch_cells(nb, "notebooks/01_x.ipynb") is True
        and nb.cells[1].source == launch.setup_code()
    )


@pytest.mark.parametrize("path", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_every_notebook_of_both_editions_has_the_badge_and_the_setup_cell(path):
    for lang in ("en", *edition.LANGUAGES):
        notebook = edition.edition_dir(lang, NOTEBOOKS) / path.name
        relative = notebook.relative_to(NOTEBOOKS.parent).as_posix()
        cells = nbformat.read(notebook, as_version=4).cells
        assert cells[0].source == launch.badge(relative, lang), (
            f"{relative}: run python -m course_utils.classroom launch --overwrite"
        )
        assert cells[1].cell_type == "code" and cells[1].source == launch.setup_code(), relative


def test_the_launch_command_changes_no_notebook_unless_told_to(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    path = folder / "01_x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T", id="t")]), path)
    before = path.read_bytes()
    assert launch.stamp_notebooks(folder, write=False) == ["01_x.ipynb"] and path.read_bytes() == before
    assert launch.stamp_notebooks(folder, write=True) == ["01_x.ipynb"] and path.read_bytes() != before
    assert launch.stamp_notebooks(folder, write=False) == []
