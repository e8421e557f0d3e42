"""Opening a notebook where students are: an "Open in Colab" link and a guarded setup cell in every notebook.

Colab and Kaggle open one notebook alone, with their own torch installed. The setup cell installs the course's
package when it is missing (never another torch: the torch already there is pinned for the install) and does
nothing where the course is installed, as in a checkout. Where the install fails (no network, no git), it
stops with one line naming the address it could not reach and what to do, not pip's traceback. The badge and
the setup cell are written into every notebook of both editions from the one setting below, so a fork
changes one line and runs

    python -m course_utils.classroom launch --overwrite   # then: python -m course_utils.classroom edition ko

A test checks that every notebook carries exactly what this module writes.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from course_utils.classroom import edition

#: The course's repository on GitHub (owner/name) and branch: the one place a fork changes.
REPOSITORY, BRANCH = "all-about-autoencoders/all-about-autoencoders", "main"
BADGE_ID, SETUP_ID = "open-in-colab", "setup-anywhere"

SETUP_CODE = """# Colab, Kaggle or a Python without the course: install it, keeping the torch already there.
# Where the course is installed (a checkout, a lab machine), this cell does nothing.
import importlib.util, subprocess, sys
if importlib.util.find_spec("course_utils") is None:
    keep = []
    if importlib.util.find_spec("torch") is not None:
        import torch
        keep = [f"torch=={torch.__version__}"]
    url = "{url}"
    course = f"all-about-autoencoders[download] @ git+{url}"
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-color", *keep, course]
    pip = subprocess.run(command, capture_output=True, text=True)
    if pip.returncode != 0:
        said = [line.strip() for line in (pip.stderr + pip.stdout).splitlines() if line.strip()]
        why = next((line for line in said if line.startswith(("fatal:", "ERROR:"))), said[-1] if said else "")

        class CourseNotInstalled(Exception):
            def _render_traceback_(self):  # Jupyter shows this one line, not a traceback
                return [f"CourseNotInstalled: {self}"]

        raise CourseNotInstalled(
            f"could not install the course from {url}: no network? ({why}) Turn the runtime's internet "
            f"on (Kaggle: Settings > Internet) and run this cell again, or install it: pip install '{course}'"
        )"""


def repository_url() -> str:
    """Where the setup cell installs the course from: the repository's branch, as pip's git URL takes it."""
    return f"https://github.com/{REPOSITORY}@{BRANCH}"


def colab_url(relative_path: str) -> str:
    """The Colab address of a notebook at ``relative_path`` (e.g. ``notebooks/ko/01_mle_and_mse.ipynb``)."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{relative_path}"


#: The badge's text in each edition.
BADGE_TEXT = {"en": "▶ Open in Colab", "ko": "▶ Colab에서 열기 (Open in Colab)"}


def badge(relative_path: str, lang: str = "en") -> str:
    """The badge's markdown: a bold link to the notebook in Colab. A link and not Colab's badge image, so
    that a notebook or its reading copy opened offline loads nothing from the web."""
    return f"**[{BADGE_TEXT[lang]}]({colab_url(relative_path)})**"


def setup_code(url: str | None = None) -> str:
    """The setup cell's code, installing from ``url`` (default :func:`repository_url`; a test passes an
    unreachable one)."""
    return SETUP_CODE.replace("{url}", url or repository_url(), 1)


def with_launch_cells(nb, relative_path: str) -> bool:
    """Put the badge (first cell) and the setup cell (second) into ``nb``; True if anything changed."""
    wanted = [
        nbformat.v4.new_markdown_cell(badge(relative_path), id=BADGE_ID),
        nbformat.v4.new_code_cell(setup_code(), id=SETUP_ID),
    ]
    current = [c for c in nb.cells if c.get("id") in (BADGE_ID, SETUP_ID)]
    same = [(c.cell_type, c.source) for c in current] == [(c.cell_type, c.source) for c in wanted]
    if same and [c.get("id") for c in nb.cells[:2]] == [BADGE_ID, SETUP_ID]:
        return False
    nb.cells = wanted + [c for c in nb.cells if c.get("id") not in (BADGE_ID, SETUP_ID)]
    return True


def stamp_notebooks(notebooks: Path | None = None, write: bool = True) -> list[str]:
    """Write the launch cells into every English notebook in ``notebooks`` (default: see
    :func:`edition.course_notebooks`), and the Korean badge into its translation file.

    The badges link the notebooks where they are in the repository, ``notebooks/<name>`` and
    ``notebooks/ko/<name>``, whatever the local folder is called. Returns the names of the notebooks whose
    launch cells differ (changed, or with ``write=False`` only listed). The Korean notebooks themselves
    come from ``edition ko``.
    """
    notebooks, changed = edition.course_notebooks(notebooks), []
    for path in sorted(notebooks.glob("[0-9]*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if with_launch_cells(nb, f"{edition.DEFAULT_FOLDER}/{path.name}"):
            changed.append(path.name)
            if write:
                nbformat.write(nb, path)
        if not write:
            continue
        for lang in edition.LANGUAGES:
            cells = edition.load_translations(path.name, lang, notebooks)
            entry = {
                "sha": edition.source_hash(badge(f"{edition.DEFAULT_FOLDER}/{path.name}")),
                "text": badge(f"{edition.DEFAULT_FOLDER}/{lang}/{path.name}", lang),
            }
            if cells.get(BADGE_ID) != entry:
                cells[BADGE_ID] = entry
                edition.save_translations(path.name, lang, cells, notebooks)
    return changed
