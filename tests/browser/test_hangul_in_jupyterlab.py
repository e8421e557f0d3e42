"""Hangul in JupyterLab on a machine without a Korean font (issue 26.5).

A real JupyterLab, set up by the course's command (:mod:`course_utils.classroom.hangul_font`) in its own
Jupyter config folder, opens the Korean notebook 4 in Debian's Chromium. Its title's Hangul must be drawn
with the shipped NanumGothic: the page resolves "Course Hangul" for it, the font face loads (a browser
rejects a font file it cannot sanitize), and Hangul text is not as wide as the same number of characters
that no font has (what empty boxes measure). Where the machine has no Korean font (``fc-list :lang=ko`` is
empty, as on the reviewer's Debian machine and here), the same text in plain ``sans-serif`` is measured too:
it is boxes, which shows the measurement can fail.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from browser_support import LOOPBACK, REPO_ROOT, JupyterLabServer

from course_utils.classroom import hangul_font

NOTEBOOK = "ko/04_elbo.ipynb"

_MEASURE_JS = """async () => {
  const title = [...document.querySelectorAll('.jp-RenderedHTMLCommon h1')]
    .find(e => /[\\uac00-\\ud7a3]/.test(e.textContent));
  if (!title) return null;
  await document.fonts.ready;
  const family = getComputedStyle(title).fontFamily;
  const width = (text, fontFamily) => {
    const span = document.createElement('span');
    span.style.cssText = `font: 32px ${fontFamily}; white-space: pre; position: absolute;`;
    span.textContent = text;
    title.appendChild(span);
    const w = span.getBoundingClientRect().width;
    span.remove();
    return w;
  };
  const hangul = '증거하한', missing = '\\u0378\\u0379\\u0380\\u0381';  // four unassigned code points
  await document.fonts.load(`32px ${family}`, hangul);
  const faces = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'Course Hangul');
  return {
    family, title: title.textContent,
    faces: faces.map(f => f.status),
    hangul: width(hangul, family), missing: width(missing, family),
    plainHangul: width(hangul, 'sans-serif'), plainMissing: width(missing, 'sans-serif'),
  };
}"""


def _machine_has_korean_font() -> bool | None:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    return bool(subprocess.run([fc_list, ":lang=ko"], capture_output=True, text=True).stdout.strip())


@pytest.fixture(scope="module")
def korean_lab(tmp_path_factory):
    """JupyterLab serving the Korean notebook 4, with the course's Hangul font set up in its config folder."""
    root = tmp_path_factory.mktemp("korean-lab-root")
    (root / "ko").mkdir()
    shutil.copy(REPO_ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    server = JupyterLabServer(root)
    hangul_font.install(server.home / "config")  # what a student runs once: `python -m ...hangul_font`
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_korean_notebook_draws_hangul_with_the_course_font(browser, korean_lab):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    blocked = []

    def loopback_only(route):
        if LOOPBACK.match(route.request.url) or not route.request.url.startswith(("http", "ws")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", loopback_only)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(korean_lab.url(NOTEBOOK), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-RenderedHTMLCommon h1", timeout=60_000)
        found = page.evaluate(_MEASURE_JS)
    finally:
        context.close()
        korean_lab.shutdown_kernels()
    assert found is not None, "the Korean notebook's title (an h1 with Hangul) did not render"
    assert found["family"].startswith('"Course Hangul"'), f"the title's font list: {found['family']}"
    assert "loaded" in found["faces"], f"NanumGothic did not load (font faces: {found['faces']})"
    assert abs(found["hangul"] - found["missing"]) > 4, (
        f"Hangul as wide as four unassigned characters ({found['hangul']:.1f} vs {found['missing']:.1f} px): "
        f"boxes, not glyphs, in {found['title']!r}"
    )
    if _machine_has_korean_font() is False:  # without the course's font, this machine draws boxes
        assert abs(found["plainHangul"] - found["plainMissing"]) <= 1, found
    assert not blocked, f"the page tried to reach the network: {blocked[:5]}"
