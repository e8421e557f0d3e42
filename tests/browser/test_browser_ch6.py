"""Notebook 6's widgets in a real browser: JupyterLab + headless Chromium (see test_browser.py).

Runs notebooks/06_cvae_and_aae.ipynb (fast mode), then: the CVAE explorer's "style z1" slider redraws the
digit and moving back restores it; clicking another digit button redraws it; the AAE explorer's "AAE z1"
slider moves the cross and the decoded digit together.
"""

from __future__ import annotations

import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is not installed (python -m pip install -r requirements.txt)",
)

from browser_support import ARTIFACTS, slider, wait_for_images, widget_with_images  # noqa: E402
from test_browser import (  # noqa: E402  the fixtures browser, chromium, lab and page are shared with test_browser.py
    REDRAW_TIMEOUT_S,
    browser,  # noqa: F401
    check_slider_redraws,
    check_widgets_rendered,
    chromium,  # noqa: F401
    lab,  # noqa: F401
    open_and_run,
    page,  # noqa: F401
)

PATH = "notebooks/06_cvae_and_aae.ipynb"


def test_cvae_and_aae_widgets_redraw(page, lab):  # noqa: F811 (fixtures imported above)
    if not (lab.root_dir / PATH).exists():
        pytest.fail(f"{PATH} is missing: the browser test needs the course notebook")
    open_and_run(page, lab, PATH)
    check_widgets_rendered(page)
    ARTIFACTS.mkdir(exist_ok=True)

    style = slider(page, "style z1").first
    explorer = widget_with_images(style)
    check_slider_redraws(style, explorer, "CVAE explorer, style z1")
    shown = wait_for_images(
        explorer, lambda imgs: all(imgs), REDRAW_TIMEOUT_S, "CVAE explorer: picture shown"
    )
    button = explorer.locator("button", has_text="8").first
    button.click()
    wait_for_images(
        explorer,
        lambda imgs: imgs != shown,
        REDRAW_TIMEOUT_S,
        "CVAE explorer: clicking digit 8 did not redraw the picture",
    )
    explorer.screenshot(path=str(ARTIFACTS / "06_cvae_explorer.png"))

    point = slider(page, "AAE z1").first
    aae_box = widget_with_images(point)
    check_slider_redraws(point, aae_box, "AAE explorer, AAE z1", all_change=True)
    aae_box.screenshot(path=str(ARTIFACTS / "06_aae_explorer.png"))
    check_widgets_rendered(page)
