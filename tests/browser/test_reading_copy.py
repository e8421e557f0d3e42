"""The HTML reading copy reads offline: opened from disk in Chromium with the network blocked, its formulas
render (local MathJax), its figure and its widget's frames show as images with alt text, and no request
leaves the machine.

Builds the copy of a small synthetic notebook (a formula, a matplotlib figure, a live_widget with a slider)
with ``python -m course_utils.classroom html``; a screenshot goes to test-artifacts/reading-copy.png. The
Korean edition's copy (``--lang ko``) draws its Hangul with the font it ships (reading-copy-ko.png).
Skips (with the reason) only where Chromium or the playwright package is not installed.
"""

from __future__ import annotations

import nbformat
import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is not installed (python -m pip install -r requirements.txt)",
)

from browser_support import ARTIFACTS  # noqa: E402

from course_utils.classroom import copies  # noqa: E402

LOCAL = ("file:", "data:", "about:", "blob:")
PROBE = "https://reading-copy-probe.invalid/blocked.js"  # proves the block is in force

CELLS = [
    (
        "markdown",
        "# A formula\nThe evidence lower bound\n"
        "$$\\log p(x) \\ge \\mathbb{E}_{q(z|x)}[\\log p(x|z)] - D_{KL}(q(z|x)\\,\\|\\,p(z))$$\n"
        "holds for every $q$.",
    ),
    (
        "code",
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\n"
        "ax.plot([0, 1, 2], [0, 1, 4])\nfig.suptitle('A parabola through three points')\nplt.show()",
    ),
    (
        "code",
        "import ipywidgets as W\nimport numpy as np\nfrom course_utils import widgets\n\n"
        "def draw(level):\n"
        "    return np.full((28, 28), level), f'mean pixel = {level:.2f}', {'level': level}\n\n"
        "slider = W.FloatSlider(value=0.5, min=0.0, max=1.0, description='level')\n"
        "widgets.live_widget({'level': slider}, draw, title='A grey square')",
    ),
]


def build_site(folder, name: str, cells, lang: str = "en"):
    """Write a notebook of ``cells`` ((kind, source) pairs) as ``folder/name`` and build its reading copy in
    ``folder/site`` with ``python -m course_utils.classroom html``; returns the site folder."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        for kind, src in cells
    ]
    nbformat.write(nb, folder / name)
    out = folder / "site"
    assert copies.main(["html", "--lang", lang, "--out", str(out), "--notebooks", str(folder)]) == 0
    return out


def offline_page(browser, viewport: dict):
    """A new page that may load only local files: returns (context, page, blocked URLs)."""
    context = browser.new_context(viewport=viewport)
    blocked = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(LOCAL)
            else (blocked.append(route.request.url), route.abort())
        ),
    )
    return context, context.new_page(), blocked


def wait_for_mathjax(page):
    page.wait_for_function(
        "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
        " && !MathJax.Hub.queue.running && document.querySelectorAll('.MathJax_Display').length >= 1",
        timeout=60_000,
        polling=250,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(tmp_path_factory.mktemp("reading"), "01_reading.ipynb", CELLS)


def test_reading_copy_offline_shows_formulas_figure_and_widget_frames(site, browser):
    context, page, blocked = offline_page(browser, {"width": 1200, "height": 900})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto((site / "01_reading.html").as_uri(), wait_until="load", timeout=60_000)
        wait_for_mathjax(page)
        page.evaluate(f"() => fetch({PROBE!r}).catch(() => null)")
        page.wait_for_timeout(300)

        # the formulas are typeset (display and inline), no raw TeX left in the reading text
        markdown = page.locator(".jp-MarkdownCell").first.inner_text()
        assert page.locator(".MathJax_Display").count() == 1 and page.locator(".MathJax").count() == 2
        assert "$$" not in markdown and "\\log" not in markdown and "holds for every" in markdown
        assert page.get_by_text("Math Processing Error").count() == 0
        glyph_fonts = page.evaluate(
            "() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family).join(' ')"
        )
        assert "STIXMathJax" in glyph_fonts  # the local web fonts, not a browser fallback

        # the figure and the widget's three frames, each drawn and described
        images = page.locator("img")
        assert images.count() == 4
        shown = images.evaluate_all("els => els.map(e => [e.complete && e.naturalWidth > 0, e.alt])")
        assert all(ok for ok, _ in shown), shown
        alts = [alt for _, alt in shown]
        assert alts[0] == "A parabola through three points"
        assert alts[1:] == [
            f"A grey square: widget picture, level = {at}. mean pixel = {mean}"
            for at, mean in (("0.00", "0.00"), ("0.50 (start)", "0.50"), ("1.00", "1.00"))
        ]
        assert page.get_by_text("Interactive in JupyterLab: move “level”").is_visible()
        assert page.get_by_text("mean pixel = 0.50").is_visible()

        # nothing but the probe tried the network, and everything else was a local file
        assert blocked == [PROBE], blocked
        assert all(url.startswith(LOCAL) for url in requested if url != PROBE)
        assert any(
            url.endswith("/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe") for url in requested
        )
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "reading-copy.png"), full_page=True)
        context.close()


KOREAN_CELLS = [
    ("markdown", "# 증거 하한\n$$\\log p(x) \\ge \\mathrm{ELBO}$$\n모든 $q$에 대해 **성립**합니다."),
    ("code", "print('한국어판')"),
]


@pytest.fixture(scope="module")
def korean_site(tmp_path_factory):
    return build_site(tmp_path_factory.mktemp("reading-ko"), "01_korean.ipynb", KOREAN_CELLS, lang="ko")


def test_korean_reading_copy_draws_hangul_with_its_own_font_offline(korean_site, browser):
    """Where the machine has no Korean font (as here), the page's Hangul is drawn with the shipped one."""
    context, page, blocked = offline_page(browser, {"width": 900, "height": 500})
    try:
        page.goto((korean_site / "01_korean.html").as_uri(), wait_until="load", timeout=60_000)
        wait_for_mathjax(page)
        fonts = page.evaluate(
            "async () => { await document.fonts.ready; return [...document.fonts]"
            ".filter(f => f.family.includes('Course Hangul')).map(f => [f.weight, f.status]); }"
        )
        assert ["400", "loaded"] in fonts and ["700", "loaded"] in fonts, fonts  # plain and bold text
        assert page.evaluate("() => document.documentElement.lang") == "ko"
        assert "모든" in page.locator(".jp-MarkdownCell").first.inner_text()
        assert blocked == [], blocked
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "reading-copy-ko.png"))
        context.close()
