"""The website's pieces that need no build: every citation the notebooks make links an entry of the
bibliography, every entry is cited, code and formulas are left as written, figures keep their alt text,
and the Colab button points where launch does. (tests/browser/test_website.py builds and reads it.)"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course_utils.classroom import site

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: An author-year citation as the notebooks write them: "Baldi & Hornik (1989)", "Higgins et al. 2017".
CITED = re.compile(r"[A-Z][\w'-]+(?:,? (?:&|and) [A-Z][\w-]+| et al\.)?,? \(?((?:19|20)\d\d)\b")


def markdown_cells():
    for path in sorted([*NOTEBOOKS.glob("*.ipynb"), *NOTEBOOKS.glob("ko/*.ipynb")]):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                yield path, cell.source


def test_every_citation_in_both_editions_links_an_entry_and_every_entry_is_cited():
    bib_keys = set(re.findall(r"@\w+\{(\w+),", (site.BOOK_FILES / "references.bib").read_text("utf-8")))
    cited, unlinked = set(), []
    for path, source in markdown_cells():
        linked = site.cite(source)
        cited |= set(re.findall(r"\{cite:year\}`(\w+)`", linked))
        without_math = site._CODE_SPAN.sub("", linked)
        unlinked += [f"{path.name}: {m.group(0)}" for m in CITED.finditer(without_math)]
    assert not unlinked, unlinked  # a new citation: add it to site.CITATIONS and references.bib
    assert cited == bib_keys, (bib_keys - cited, cited - bib_keys)
    assert all(key in bib_keys for _, keys in site.CITATIONS for key in keys)


def test_cite_keeps_the_words_code_and_formulas():
    text = (
        "Kingma & Welling (2014) derived it; `Burda et al. 2016` in code, $x_{2016}$ and "
        "Vincent et al. 2008, 2010."
    )
    assert site.cite(text) == (
        "Kingma & Welling ({cite:year}`kingma2014`) derived it; `Burda et al. 2016` in code, $x_{2016}$ and "
        "Vincent et al. {cite:year}`vincent2008`, {cite:year}`vincent2010`."
    )


def test_figures_get_their_alt_text_as_html():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("plot()")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "display_data", data={"image/png": "iVBORw0KGgo=\n"}, metadata={"image/png": {"alt": 'A "curve"'}}
        )
    ]
    site.with_alt_images(nb)
    assert nb.cells[0].outputs[0]["data"]["text/html"] == (
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="A &quot;curve&quot;">'
    )


@pytest.mark.parametrize("lang, folder", [("en", "notebooks"), ("ko", "notebooks/ko")])
def test_the_colab_button_opens_each_edition_where_launch_points(lang, folder):
    config = site.book_config(lang)
    assert config["repository"]["path_to_book"] == folder
    assert config["repository"]["url"] == f"https://github.com/{site.launch.REPOSITORY}"
    assert config["execute"]["execute_notebooks"] == "off"
    assert "sphinx_thebe" not in config["sphinx"]["config"]["extensions"]  # it would load thebe from a CDN


def test_the_page_drops_the_notebooks_own_launch_cells():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title", id="title")])
    assert site.launch.with_launch_cells(nb, "notebooks/01_x.ipynb")
    tags = [cell.metadata.get("tags", []) for cell in site.book_page(nb).cells]
    assert tags == [["remove-cell"], ["remove-cell"], []] and "tags" not in nb.cells[0].metadata


def test_the_classroom_help_names_the_site_command():
    """``site`` has its own parser (it builds on the copies), so the main --help must still name it."""
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-m", "course_utils.classroom", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "site --help" in shown and "student" in shown
