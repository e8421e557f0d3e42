"""The classroom commands without a checkout (issue 24.2): the package copied alone, as a wheel installs it,
the notebooks in a folder of their own, and the commands run from elsewhere. Nothing is looked for beside the
package: the notebooks come from ``--notebooks``, from ``notebooks/`` under the current folder, or from the
current folder."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils.classroom import copies, launch

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(site, course)``: course_utils alone in ``site/`` (nothing beside it) and the course's notebooks,
    both editions, in ``course/notebooks/``."""
    root = tmp_path_factory.mktemp("no-checkout")
    site, course = root / "site", root / "course"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(CHECKOUT / "course_utils", site / "course_utils", ignore=ignore)
    shutil.copytree(CHECKOUT / "notebooks", course / "notebooks", ignore=ignore)
    (root / "elsewhere").mkdir()
    return site, course


def classroom(site: Path, cwd: Path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "course_utils.classroom", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_copied_package_is_the_one_that_runs(installed):
    site, course = installed
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = "import course_utils.classroom.copies as c; print(c.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=course.parent / "elsewhere",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert Path(done.stdout.strip()).is_relative_to(site), done.stdout + done.stderr
    assert not (site / "notebooks").exists()  # where parents[2] / "notebooks" would have looked


def test_from_elsewhere_the_commands_take_the_notebooks_folder_given(installed):
    site, course = installed
    elsewhere = course.parent / "elsewhere"
    out = course.parent / "student-given"
    done = classroom(site, elsewhere, "student", "--out", out, "--notebooks", course / "notebooks")
    english = sorted(p.name for p in (course / "notebooks").glob("[0-9]*.ipynb"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in out.glob("[0-9]*.ipynb")) == english and (out / "solutions.md").is_file()


def test_from_the_course_folder_or_its_notebooks_folder_no_argument_is_needed(installed, monkeypatch):
    _, course = installed
    for cwd, out in ((course, "../student-default"), (course / "notebooks", "../../student-here")):
        monkeypatch.chdir(cwd)
        assert copies.main(["student", "--out", out]) == 0
        assert (cwd / out / "solutions.md").is_file()


def test_launch_then_edition_from_the_course_folder(installed):
    """launch stamps the copied notebooks, linking them where they are in the repository; edition ko
    builds the Korean ones with their badge; a second launch finds nothing to change."""
    site, course = installed
    done = classroom(site, course, "launch", "--overwrite")
    assert done.returncode == 0, done.stdout + done.stderr
    first = sorted((course / "notebooks").glob("[0-9]*.ipynb"))[0]
    cells = nbformat.read(first, as_version=4).cells
    assert cells[0].source == launch.badge(f"notebooks/{first.name}")
    assert cells[1].source == launch.setup_code()
    assert classroom(site, course, "launch").returncode == 0
    done = classroom(site, course, "edition", "ko")
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: a stale translation, named
    korean = nbformat.read(course / "notebooks" / "ko" / first.name, as_version=4).cells
    assert korean[0].source == launch.badge(f"notebooks/ko/{first.name}", "ko")


@pytest.mark.parametrize("command", [["launch"], ["edition", "ko"], ["student", "--out", "s"]])
def test_with_no_notebooks_here_a_command_says_so_in_one_line(installed, command, monkeypatch, capsys):
    """In the process that runs the tests, beside the checkout: the commands still look only here."""
    elsewhere = installed[1].parent / "elsewhere"
    monkeypatch.chdir(elsewhere)
    assert copies.main(command) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"error: no notebooks/ folder and no course notebooks in {elsewhere}:"), err
    assert "--notebooks FOLDER" in err and list(elsewhere.iterdir()) == []


def test_a_missing_notebooks_folder_given_is_named(installed, monkeypatch, capsys):
    monkeypatch.chdir(installed[1])
    assert copies.main(["launch", "--notebooks", "nowhere"]) == 2
    assert capsys.readouterr().err.strip() == "error: no folder nowhere (--notebooks)"
