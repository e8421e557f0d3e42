"""The course website reads offline in both editions: built with ``python -m course_utils.classroom site``
for one small notebook (a formula, a citation, a figure, a live widget; and its Korean edition) and opened
from disk in Chromium with every non-local request aborted. Formulas are typeset by the shipped MathJax,
the figure and the widget's frames show with alt text, the citation links the bibliography, the search
finds a word, previous/next and the language switch lead where they should, the Colab button opens the
notebook's place in the repository, and nothing tries the web. Screenshots go to test-artifacts/site-*.png.
Skips (with the reason) only where Chromium, playwright or jupyter-book is not installed.
"""

from __future__ import annotations

import nbformat
import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is not installed (python -m pip install -r requirements.txt)",
)
pytest.importorskip(
    "jupyter_book", reason="jupyter-book is not installed (python -m pip install -r requirements.txt)"
)

from browser_support import ARTIFACTS  # noqa: E402

from course_utils.classroom import launch, site  # noqa: E402

LOCAL = ("file:", "data:", "about:", "blob:")

FIGURE = (
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\n"
    "ax.plot([0, 1, 2], [0, 1, 4])\nfig.suptitle('A parabola through three points')\nplt.show()"
)
WIDGET = (
    "import ipywidgets as W\nimport numpy as np\nfrom course_utils import widgets\n\n"
    "def draw(level):\n"
    "    return np.full((28, 28), level), f'mean pixel = {level:.2f}', {'level': level}\n\n"
    "slider = W.FloatSlider(value=0.5, min=0.0, max=1.0, description='level')\n"
    "widgets.live_widget({'level': slider}, draw, title='A grey square')"
)
TEXT = {
    "en": "# The evidence lower bound\nThe bound of Kingma & Welling (2014),\n"
    "$$\\log p(x) \\ge \\mathbb{E}_{q}[\\log p(x|z)] - D_{KL}(q\\,\\|\\,p),$$\nholds for every $q$.",
    "ko": "# 증거 하한\nKingma & Welling (2014)의 하한\n$$\\log p(x) \\ge \\mathrm{ELBO}$$\n"
    "모든 $q$에 대해 **성립**합니다.",
}
NAME = "01_tiny.ipynb"


def offline_page(browser, viewport: dict):
    """A new page that may load only local files: returns (context, page, blocked URLs)."""
    context = browser.new_context(viewport=viewport)
    blocked = []

    def local_only(route):
        if route.request.url.startswith(LOCAL):
            return route.continue_()
        blocked.append(route.request.url)
        return route.abort()

    context.route("**/*", local_only)
    return context, context.new_page(), blocked


def wait_for_mathjax(page):
    page.wait_for_function(
        "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
        " && !MathJax.Hub.queue.running && document.querySelectorAll('.MathJax_Display').length >= 1",
        timeout=60_000,
        polling=250,
    )


def write_notebook(path, lang: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(TEXT[lang], id="title"),
        nbformat.v4.new_code_cell(FIGURE, id="figure"),
        nbformat.v4.new_code_cell(WIDGET, id="widget"),
    ]
    launch.with_launch_cells(nb, f"notebooks/{NAME}")  # the badge and setup cell every notebook has
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def website(tmp_path_factory):
    """Both editions of one notebook (the Korean one with the same code cells, as ``edition ko`` makes it)."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "notebooks" / "ko").mkdir(parents=True)
    write_notebook(folder / "notebooks" / NAME, "en")
    write_notebook(folder / "notebooks" / "ko" / NAME, "ko")
    out = folder / "website"
    assert site.main(["site", "--notebooks", str(folder / "notebooks"), "--out", str(out)]) == 0
    return out


def test_site_is_built_offline_and_never_overwrites(website, capsys):
    for lang in ("en", "ko"):
        pages = sorted(p.name for p in (website / lang).glob("*.html"))
        assert {"intro.html", "01_tiny.html", "references.html", "search.html"} <= set(pages), pages
        assert (website / lang / "_static" / "mathjax" / "MathJax.js").is_file()
        assert all(
            not site.reading.web_references(p.read_text("utf-8")) for p in (website / lang).glob("*.html")
        )
        assert (website / lang / "_static" / "fonts" / "NanumGothic.ttf").is_file()  # the switch: 한국어
    before = (website / "en" / "01_tiny.html").stat().st_mtime_ns
    assert site.main(["site", "--notebooks", str(website.parent / "notebooks"), "--out", str(website)]) == 1
    assert "kept 3 existing file(s)" in capsys.readouterr().out  # en/, ko/, index.html: nothing rebuilt
    assert (website / "en" / "01_tiny.html").stat().st_mtime_ns == before


def test_site_reads_offline_with_search_citations_and_languages(website, browser):
    context, page, blocked = offline_page(browser, {"width": 1300, "height": 900})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto((website / "en" / "01_tiny.html").as_uri(), wait_until="load", timeout=60_000)
        wait_for_mathjax(page)
        article = page.locator("article")
        assert page.locator(".MathJax_Display").count() == 1 and page.locator(".MathJax").count() >= 2
        assert "$$" not in article.inner_text() and page.get_by_text("Math Processing Error").count() == 0
        assert page.get_by_text("File failed to load").count() == 0
        glyph_fonts = page.evaluate(
            "() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family).join(' ')"
        )
        assert "STIXMathJax" in glyph_fonts  # the shipped web fonts, not a browser fallback

        images = article.locator("img")
        shown = images.evaluate_all("els => els.map(e => [e.complete && e.naturalWidth > 0, e.alt])")
        assert all(ok for ok, _ in shown) and len(shown) == 4, shown
        assert shown[0][1] == "A parabola through three points"
        assert shown[2][1] == "A grey square: widget picture, level = 0.50 (start). mean pixel = 0.50"

        citation = article.locator(".bibtex-citation a")
        assert citation.inner_text() == "2014"
        colab = page.locator(f'a[href="{launch.colab_url("notebooks/" + NAME)}"]')
        assert colab.count() == 1
        assert (
            "CourseNotInstalled" not in article.inner_text()
        )  # the notebook's own launch cells are left out
        assert page.locator("nav.bd-links a", has_text="References").count() == 1  # the sidebar
        assert page.locator(".prev-next-area a", has_text="References").count() == 1  # next

        citation.click()
        page.wait_for_load_state("load")
        assert page.url.split("#")[0].endswith("/en/references.html")
        assert "Auto-encoding variational Bayes" in page.locator("article").inner_text()

        page.goto((website / "en" / "search.html").as_uri(), wait_until="load")
        search = page.locator("#search-input, input[name=q]").last
        search.fill("parabola")
        search.press("Enter")
        page.wait_for_selector("#search-results li, ul.search li", timeout=30_000)
        assert "01_tiny" in page.locator("#search-results, ul.search").first.inner_html()

        page.goto((website / "en" / "01_tiny.html").as_uri(), wait_until="load")
        page.locator('.course-language-switch a[hreflang="ko"]').click()
        page.wait_for_load_state("load")
        wait_for_mathjax(page)
        assert page.url.endswith("/ko/01_tiny.html")
        assert page.evaluate("() => document.documentElement.lang") == "ko"
        assert "모든" in page.locator("article").inner_text()
        assert page.get_by_text("File failed to load").count() == 0
        assert page.locator(f'a[href="{launch.colab_url("notebooks/ko/" + NAME)}"]').count() == 1
        fonts = page.evaluate(
            "async () => { await document.fonts.ready; return [...document.fonts]"
            ".filter(f => f.family.includes('Course Hangul') && f.status === 'loaded').length; }"
        )
        assert fonts >= 1  # Hangul drawn with the font the book ships

        assert blocked == [], blocked
        assert all(url.startswith(LOCAL) for url in requested)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "site-ko.png"))
        context.close()
