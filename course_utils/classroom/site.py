"""The course website: a Jupyter Book (v1, on Sphinx) of the executed notebooks, in both editions, readable
offline.

    python -m course_utils.classroom site --out website/      # website/index.html, website/en/, website/ko/

Each notebook of each edition runs once, as for the HTML reading copy (:func:`copies._execute` with the
reading copy's kernel extension, then :func:`reading.prepare_for_reading`): figures carry alt text, every
live widget is a strip of pictures, and the Korean notebooks, run in their folder, print and draw in Korean
(:mod:`course_utils.i18n`), so their outputs are their own. The executed notebooks are written into a book
source folder and built by ``jupyter-book build`` with execution off.

What the book adds to the single-folder reading copy (``classroom html``, still there for a lab): a sidebar
of chapters, full-text search, previous/next links, the bibliography as real references (each citation in
the text, "Kingma & Welling (2014)", links its entry: :data:`CITATIONS`, ``book/references.bib``), an
"Open in Colab" launch button per page from :data:`launch.REPOSITORY`, and a language switch to the same
page of the other edition. It is just as offline: MathJax 2.7 (``jupyter-server-mathjax``) is shipped in
each book's ``_static/mathjax``, each ships a Hangul font, and a page that would load a
script, style, image or font from the web fails the build (:func:`reading.web_references`).

Files already in ``--out`` (a book, ``index.html``) are kept, their edition not built, unless
``--overwrite``; a refused or unwritable ``--out`` is one line, as for the other classroom commands.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from course_utils.classroom import copies, edition, launch, reading

BOOK_FILES = Path(__file__).resolve().parent / "book"
TITLES = {"en": "All about Autoencoders", "ko": "오토인코더의 모든 것"}
LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}
REFERENCES_TITLE = {"en": "References", "ko": "참고 문헌"}
INTRO = {
    "en": "A course on autoencoders, from maximum likelihood to the variational autoencoder's lab. "
    "Each chapter is a notebook: read it here, or open it in Colab with the launch button at the top.",
    "ko": "최대 가능도에서 변분 오토인코더 실습까지, 오토인코더를 다루는 강좌입니다. "
    "장마다 노트북 하나입니다. 여기서 읽거나, 위쪽의 실행 버튼으로 Colab에서 여세요.",
}

#: The citations the notebooks make in their text (the same Latin names in both editions), each a pattern
#: whose groups are years, and the references.bib keys those years link (one per group).
CITATIONS = [
    (r"Fisher (1936)", ["fisher1936"]),
    (r"Baldi & Hornik \((1989)\)", ["baldi1989"]),
    (r"Hinton & Salakhutdinov \((2006)\)", ["hinton2006"]),
    (r"Bengio et al\. \((2007)\)", ["bengio2007"]),
    (r"Vincent et al\. (2008), (2010)", ["vincent2008", "vincent2010"]),
    (r"Rifai et al\. (2011)", ["rifai2011"]),
    (r"Kingma & Welling \((2014)\)", ["kingma2014"]),
    (r"Rezende, Mohamed & Wierstra \((2014)\)", ["rezende2014"]),
    (r"Kingma, Rezende, Mohamed & Welling (2014)", ["kingma2014semi"]),
    (r"Doersch(?:'s tutorial on VAEs|의 VAE 튜토리얼)? \(?(2016)", ["doersch2016"]),
    (r"Burda, Grosse & Salakhutdinov \((2016)\)", ["burda2016"]),
    (r"Burda et al\. \(?(2016)", ["burda2016"]),
    (r"Hoffman & Johnson (2016)", ["hoffman2016"]),
    (r"Sohn, Lee & Yan (2015)", ["sohn2015"]),
    (r"Sohn et al\. (2015)", ["sohn2015"]),
    (r"Makhzani et al\. (2015)", ["makhzani2015"]),
    (r"Higgins et al\. \(?(2017)", ["higgins2017"]),
    (r"Alemi et al\. (2018)", ["alemi2018"]),
    (r"Kingma et al\. (2016)", ["kingma2016"]),
    (r"Bowman et al\. (2016)", ["bowman2016"]),
    (r"Sønderby et al\. (2016)", ["sonderby2016"]),
    (r"Theis et al\. (2016)", ["theis2016"]),
    (r"Locatello et al\. \((2019)\)", ["locatello2019"]),
    (r"Loaiza-Ganem & Cunningham (2019)", ["loaizaganem2019"]),
    (r"Nalisnick et al\. (2019)", ["nalisnick2019"]),
    (r"Larsen, Sønderby, Larochelle & Winther (2016)", ["larsen2016"]),
    (r"Larsen et al\. (2016)", ["larsen2016"]),
    (r"Hinton & van Camp (1993)", ["hinton1993"]),
    (r"Townsend, Bird & Barber (2019)", ["townsend2019"]),
]
_CITATIONS = [(re.compile(pattern.replace(" ", r"\s+")), keys) for pattern, keys in CITATIONS]
_CODE_SPAN = re.compile(r"`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$", re.S)


def cite(markdown: str) -> str:
    """``markdown`` with the year of each citation of :data:`CITATIONS` made a link to its entry in the
    bibliography (MyST's ``{cite:year}`` role); the words stay as written. Code and formulas are kept."""
    pieces, last = [], 0
    for span in [*_CODE_SPAN.finditer(markdown), None]:
        end = span.start() if span else len(markdown)
        pieces.append(_cite_prose(markdown[last:end]))
        if span:
            pieces.append(span.group(0))
            last = span.end()
    return "".join(pieces)


def _cite_prose(text: str) -> str:
    for pattern, keys in _CITATIONS:

        def linked(match, keys=keys):
            out, at = [], match.start()
            for group, key in enumerate(keys, start=1):
                out += [match.string[at : match.start(group)], f"{{cite:year}}`{key}`"]
                at = match.end(group)
            return "".join(out) + match.string[at : match.end()]

        text = pattern.sub(linked, text)
    return text


def with_alt_images(nb) -> None:
    """Each figure of the executed ``nb`` shown as an ``<img>`` with the alt text the reading copy's kernel
    put in its metadata (Jupyter Book reads no alt text from outputs), in place."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data, metadata = output.get("data", {}), output.get("metadata", {})
            alt = metadata.get("image/png", {}).get("alt") or metadata.get("alt")
            if "image/png" not in data or "text/html" in data or not alt:
                continue
            png = data["image/png"] if isinstance(data["image/png"], str) else "".join(data["image/png"])
            width = metadata.get("image/png", {}).get("width")
            size = f' width="{int(width)}"' if isinstance(width, (int, float)) else ""
            data["text/html"] = (
                f'<img src="data:image/png;base64,{png.strip()}"{size} alt="{html.escape(str(alt))}">'
            )


def executed_notebook(path: Path, timeout: int, kernel: str):
    """The notebook at ``path`` run as for the reading copy: ``(nb, error or None, warnings)``."""
    print(f"executing {path.name} ...", flush=True)
    nb, error = copies._execute(path, timeout, kernel)
    return nb, error, reading.prepare_for_reading(nb)


def book_page(nb) -> object:
    """A copy of the executed ``nb`` for the book: figures with alt text, citations linked, and without the
    notebook's Colab badge and setup cell (the page has its own launch button; Jupyter Book's remove-cell)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    with_alt_images(nb)
    for cell in nb.cells:
        if cell.get("id") in (launch.BADGE_ID, launch.SETUP_ID):
            cell.metadata.setdefault("tags", []).append("remove-cell")
        if cell.cell_type == "markdown":
            cell.source = cite(cell.source)
    return nb


# ---- the book's source folder ---------------------------------------------------------------------


def book_config(lang: str) -> dict:
    """The book's ``_config.yml`` (written as JSON, which YAML reads): execution off, MathJax from the
    book's own ``_static/mathjax``, the bibliography, the Colab button from :mod:`launch`'s setting."""
    folder = edition.DEFAULT_FOLDER if lang == "en" else f"{edition.DEFAULT_FOLDER}/{lang}"
    return {
        "title": TITLES[lang],
        "author": "All about Autoencoders",
        "copyright": "the course's authors (text CC BY 4.0, code MIT)",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "parse": {"myst_enable_extensions": ["amsmath", "dollarmath", "colon_fence"]},
        "bibtex_bibfiles": ["references.bib"],
        "repository": {
            "url": f"https://github.com/{launch.REPOSITORY}",
            "branch": launch.BRANCH,
            "path_to_book": folder,
        },
        "launch_buttons": {"colab_url": "https://colab.research.google.com", "notebook_interface": "classic"},
        "html": {"use_repository_button": True, "home_page_in_navbar": True},
        "sphinx": {
            "recursive_update": True,
            "config": {
                "language": lang,
                "myst_dmath_double_inline": True,  # $$...$$ inside a paragraph, as Jupyter shows it
                "mathjax_path": f"mathjax/MathJax.js?config={reading.MATHJAX_CONFIG}",
                "mathjax2_config": MATHJAX_SETTINGS,
                "bibtex_reference_style": "author_year",
                "bibtex_default_style": "plain",
                "templates_path": ["_templates"],
                "html_static_path": ["_static"],
                "extensions": BOOK_EXTENSIONS,
                "html_context": {"course_languages": _switch_targets(lang)},
                "html_sidebars": {"**": SIDEBAR},
            },
        },
    }


#: MathJax 2's settings: the STIX web fonts, the only ones jupyter-server-mathjax ships (as nbconvert's page
#: sets them); formulas are where Sphinx and MyST put them (class "math").
MATHJAX_SETTINGS = {
    "tex2jax": {"processClass": "math|output_area", "ignoreClass": "document"},
    "HTML-CSS": {"availableFonts": [], "imageFont": None, "preferredFont": None, "webFont": "STIX-Web"},
    "SVG": {"font": "STIX-Web"},
}
#: The sidebar of every page: sphinx-book-theme's, with the language switch under the title.
SIDEBAR = ["navbar-logo.html", "language-switch.html", "search-button-field.html", "sbt-sidebar-nav.html"]
#: Jupyter Book's own Sphinx extensions less sphinx-thebe (it would load thebe from a CDN at a click),
#: sphinx-comments and intersphinx (web services), plus the bibliography.
BOOK_EXTENSIONS = [
    "sphinx_togglebutton",
    "sphinx_copybutton",
    "myst_nb",
    "jupyter_book",
    "sphinx_external_toc",
    "sphinx_design",
    "sphinx_book_theme",
    "sphinxcontrib.bibtex",
]


def _switch_targets(lang: str) -> list[list[str]]:
    """``[[code, name], ...]`` of the other editions, for the language switch's template."""
    return [[code, name] for code, name in LANGUAGE_NAMES.items() if code != lang]


def hangul_css() -> str:
    """``_static/hangul.css``: the book's Hangul drawn with the font it ships (``_static/fonts``)."""
    faces = "".join(
        f'@font-face {{font-family: "Course Hangul"; src: url("fonts/{name}") format("truetype"); '
        f"font-weight: {weight}; unicode-range: {reading.HANGUL_UNICODE_RANGE};}}\n"
        for weight, name in reading.HANGUL_FONT_FILES.items()
    )
    return faces + (
        ':root {--pst-font-family-base: "Course Hangul", var(--pst-font-family-base-system);\n'
        '       --pst-font-family-heading: "Course Hangul", var(--pst-font-family-base-system);}\n'
    )


def write_book_source(source: Path, lang: str, pages: list[tuple[str, object]]) -> None:
    """Write the book of ``pages`` (``[(notebook name, executed nb)]``) into the empty folder ``source``."""
    source.mkdir(parents=True, exist_ok=True)
    for name, nb in pages:
        nbformat.write(book_page(nb), source / name)
    (source / "_config.yml").write_text(json.dumps(book_config(lang), ensure_ascii=False, indent=1), "utf-8")
    chapters = [{"file": Path(name).stem} for name, _ in pages] + [{"file": "references"}]
    toc = {"format": "jb-book", "root": "intro", "chapters": chapters}
    (source / "_toc.yml").write_text(json.dumps(toc, indent=1), "utf-8")
    (source / "intro.md").write_text(
        f"# {TITLES[lang]}\n\n{INTRO[lang]}\n\n```{{tableofcontents}}\n```\n", "utf-8"
    )
    (source / "references.md").write_text(
        f"# {REFERENCES_TITLE[lang]}\n\n```{{bibliography}}\n:all:\n```\n", "utf-8"
    )
    shutil.copy(BOOK_FILES / "references.bib", source / "references.bib")
    shutil.copytree(BOOK_FILES / "_templates", source / "_templates")
    (source / "_static").mkdir()  # Jupyter Book links every .css of _static/ into every page
    (source / "_static" / "hangul.css").write_text(hangul_css(), "utf-8")  # both: the switch says 한국어


def build_book(source: Path) -> tuple[Path | None, str]:
    """``jupyter-book build`` of ``source``: ``(the HTML folder, "")`` or ``(None, why, in one line)``."""
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(source)]
    done = subprocess.run(command, capture_output=True, text=True)
    built = source / "_build" / "html"
    if done.returncode == 0 and (built / "index.html").is_file():
        return built, ""
    said = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    errors = [line for line in said if "error" in line.lower()]
    return None, (errors or said or ["jupyter-book gave no reason"])[-1]


# ---- the command ----------------------------------------------------------------------------------


def _edition_pages(lang, notebooks, timeout, kernel, failures):
    """``[(name, executed nb)]`` of one edition; failures go on ``failures`` as ``"lang/name: error"``."""
    folder = notebooks if lang == "en" else edition.edition_dir(lang, notebooks)
    pages = []
    for path in sorted(folder.glob("*.ipynb")):
        nb, error, warnings = executed_notebook(path, timeout, kernel)
        if error:
            failures.append(f"{lang}/{path.name}: {error}")
            print(f"FAILED {failures[-1]}", flush=True)
        for warning in warnings:
            print(f"  {lang}/{path.name} {warning}", flush=True)
        pages.append((path.name, nb))
    return pages


def _ship_static_files(book: Path, fonts: Path | None = None) -> Path:
    """MathJax and the Hangul font into the built ``book``'s ``_static`` (after the build: in the source,
    Jupyter Book would link each of MathJax's scripts into every page). The font is copied from ``fonts``
    (another book's) when given, else made afresh; returns this book's font folder."""
    reading.copy_mathjax(book / "_static")
    if fonts is None:
        return reading.copy_hangul_font(book / "_static")
    return Path(shutil.copytree(fonts, book / "_static" / "fonts", dirs_exist_ok=True))


def _web_loads(book: Path) -> list[str]:
    """``"page: address"`` for each thing a built page would load from the web."""
    return [
        f"{page.relative_to(book)}: {load}"
        for page in sorted(book.rglob("*.html"))
        for load in reading.web_references(page.read_text("utf-8", errors="replace"))
    ]


def make_site(
    out: Path,
    notebooks: Path | None = None,
    langs: tuple[str, ...] = ("en", "ko"),
    timeout: int = 1200,
    kernel: str = "python3",
    overwrite: bool = False,
) -> tuple[list[str], list[str], copies.OutputFolder]:
    """Build the course website into ``out``: ``out/<lang>/`` a Jupyter Book per edition and
    ``out/index.html`` choosing between them. Returns ``(editions built, failures, the OutputFolder)``;
    a failure is a notebook that raised (its page still shows up to the failing cell), a book that did not
    build or a page that would load from the web. An edition whose folder is already in ``out`` is kept
    (not built) unless ``overwrite``."""
    notebooks = edition.course_notebooks(notebooks)
    folder = copies.OutputFolder(out, notebooks, overwrite)
    wanted = [lang for lang in langs if folder.wants(lang)]
    failures, built, fonts = [], [], None
    for lang in wanted:
        pages = _edition_pages(lang, notebooks, timeout, kernel, failures)
        with tempfile.TemporaryDirectory(prefix=f"course-book-{lang}-") as scratch:
            write_book_source(Path(scratch) / "book", lang, pages)
            html_folder, why = build_book(Path(scratch) / "book")
            if html_folder is None:
                failures.append(f"the {lang} book did not build: {why}")
                continue
            loads = _web_loads(html_folder)
            if loads:
                failures.append(f"the {lang} book would load from the web: {', '.join(loads[:3])}")
            shutil.copytree(html_folder, folder.out / lang, dirs_exist_ok=True)
            fonts = _ship_static_files(folder.out / lang, fonts)
            folder.written.append(folder.out / lang)
            built.append(lang)
    links = "".join(
        f'<li><a href="{lang}/intro.html" hreflang="{lang}" lang="{lang}">{TITLES[lang]} '
        f"({LANGUAGE_NAMES[lang]})</a></li>\n"
        for lang in langs
        if (folder.out / lang / "intro.html").is_file()
    )
    folder.write_text(
        "index.html",
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>All about Autoencoders</title>\n"
        f"<h1>All about Autoencoders (오토인코더의 모든 것)</h1>\n<ul>\n{links}</ul>\n",
    )
    return built, failures, folder


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``site`` command's arguments, on the classroom's subparsers ``sub``."""
    site = sub.add_parser("site", help="the course website (Jupyter Book), both editions, readable offline")
    site.add_argument("--out", type=Path, default=Path("website"), help="default: website/")
    site.add_argument("--notebooks", type=Path, help="the English notebooks (default: notebooks/)")
    site.add_argument("--lang", choices=["all", *TITLES], default="all", help="one edition (default: all)")
    site.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    site.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the books already there (default: keep them, they may hold someone's work)",
    )
    return site


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.classroom site``; exit status 0 built, 1 failed or kept a book, 2 refused."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.classroom")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    langs = tuple(TITLES) if args.lang == "all" else (args.lang,)
    try:
        notebooks = edition.course_notebooks(args.notebooks)
        if not notebooks.is_dir():
            raise edition.NotebooksNotFound(f"no folder {notebooks} (--notebooks)")
        missing = [
            lang for lang in langs if lang != "en" and not edition.edition_dir(lang, notebooks).is_dir()
        ]
        if missing:
            raise edition.NotebooksNotFound(
                f"no {missing[0]} edition beside {notebooks} (run: python -m course_utils.classroom "
                f"edition {missing[0]}, or --lang en)"
            )
        built, failures, folder = make_site(
            args.out, notebooks, langs, args.timeout, overwrite=args.overwrite
        )
    except (edition.NotebooksNotFound, copies.Refused) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        where = f" ({err.filename})" if err.filename else ""
        print(f"error: cannot write the site into {args.out}: {err.strerror or err}{where}", file=sys.stderr)
        return 2
    if built:
        print(f"wrote the {' and '.join(built)} book(s) to {args.out}/ (open {args.out}/index.html)")
    if folder.kept:
        print(folder.kept_line())
    if failures:
        print(f"{len(failures)} failure(s):\n  " + "\n  ".join(failures))
    return 1 if failures or folder.kept else 0
