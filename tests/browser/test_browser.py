"""The sliders work where students use them: JupyterLab in a real (headless) browser.

Python-level widget tests (tests/test_plots_widgets.py) cannot see a widget that fails to render: a
missing front-end extension, an ipywidgets/JupyterLab version mismatch, a picture that never updates.
These tests do what a student does: start JupyterLab (loopback, random port and token, fast mode) on a
temporary copy of the notebooks, open a notebook in Debian's Chromium driven by Playwright, Run All
Cells, then move sliders with the keyboard and check that the pictures the kernel draws change.

1. a small synthetic notebook (untrained VAE): the explorer's and the interpolation's pictures are
   exactly what the model decodes at the value the slider shows;
2. notebooks/05_vae.ipynb: the latent explorer (z1) and the interpolation slider (alpha) redraw, and
   moving back restores the first picture; screenshots go to test-artifacts/;
3. notebooks/01_mle_and_mse.ipynb: its first slider renders and its plot responds.

Skips (with the reason) only where Chromium or the playwright package is not installed.
"""

from __future__ import annotations

import re
import shutil
import time

import nbformat
import numpy as np
import pytest
import torch

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is not installed (python -m pip install -r requirements.txt)",
)

from browser_support import (  # noqa: E402
    ARTIFACTS,
    CHROMIUM_ARGS,
    REPO_ROOT,
    JupyterLabServer,
    find_chromium,
    image_pixels,
    open_notebook,
    press_on_handle,
    readout,
    run_all_cells,
    slider,
    slider_range,
    wait_for_images,
    widget_problems,
    widget_with_images,
)

LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/")
# a cold fast-mode notebook 5 trains ~10 small models: minutes on a busy 2-core machine
RUN_ALL_TIMEOUT_MS = 900_000
REDRAW_TIMEOUT_S = 60

SYNTHETIC = "synthetic_widgets.ipynb"
SYNTHETIC_CELLS = [
    """import torch
from course_utils import config, models, widgets
config.seed_everything(0)
vae = models.VAE(2)  # untrained: the test decodes the same weights itself""",
    "explorer = widgets.latent_explorer(vae)\nexplorer",
    """x0, x1 = torch.zeros(1, 28, 28), torch.ones(1, 28, 28)  # far apart codes even untrained
widgets.interpolation_slider(vae, x0, x1)""",
]


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if path is None:
        pytest.skip(
            "Chromium is not installed (/usr/bin/chromium or `chromium` on PATH; Debian package "
            "'chromium', which .ci/run apt-installs): cannot run the JupyterLab browser test"
        )
    return path


@pytest.fixture(scope="module")
def browser(chromium):
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a temporary copy of notebooks/ plus the synthetic notebook: the run's
    outputs never reach the repository's notebooks."""
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(
        REPO_ROOT / "notebooks",
        root / "notebooks",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in SYNTHETIC_CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, root / SYNTHETIC)
    server = JupyterLabServer(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser, lab, request):
    """A fresh browser context per test; loopback only; a last screenshot is kept whatever happens."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked = []

    def loopback_only(route):
        url = route.request.url
        if LOOPBACK.match(url) or not url.startswith(("http", "ws")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", loopback_only)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        try:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"))
        except Exception:
            pass
        context.close()
        try:
            lab.shutdown_kernels()  # free the CPU for the next notebook
        except Exception:
            pass
    assert not blocked, f"the page tried to reach the network: {blocked[:5]}"


def open_and_run(page, lab, path: str):
    """Open ``path``, Run All Cells, and check that every cell ran without error and every widget rendered."""
    started = time.monotonic()
    open_notebook(page, lab, path)
    result = run_all_cells(page, path, timeout_ms=RUN_ALL_TIMEOUT_MS)
    assert not result["errors"], f"{path}: cells raised {result['errors']}"
    assert result["ok"] and result["unrun"] == 0, f"{path}: Run All did not finish: {result}"
    print(f"{path}: opened and ran in {time.monotonic() - started:.0f} s")


def check_widgets_rendered(page):
    problems = widget_problems(page)
    assert not problems, f"widgets did not render: {problems}"


def shown_value(slider_locator) -> float:
    return float(readout(slider_locator).replace("\u2212", "-"))  # the readout writes a real minus sign


def nudge_keys(slider_locator) -> tuple[list[str], list[str]]:
    """One key press that moves the slider a page (five steps, towards the side with room) and the one
    that moves it back. One press is one new value, so the first redraw seen is the final one."""
    low, value, high = slider_range(slider_locator)
    up, down = ["PageUp"], ["PageDown"]
    return (up, down) if high - value >= value - low else (down, up)


def check_slider_redraws(slider_locator, container, name: str, all_change: bool = True):
    """Move the slider with the keyboard; the pictures must change; moving back must restore them."""
    container.scroll_into_view_if_needed()
    before = wait_for_images(container, lambda imgs: all(imgs), REDRAW_TIMEOUT_S, f"{name}: pictures shown")
    value_before = readout(slider_locator)
    forward, back = nudge_keys(slider_locator)
    shown = sync_api.expect(slider_locator.locator(".widget-readout"))
    press_on_handle(slider_locator, forward)
    shown.not_to_have_text(value_before)  # (waits) the keyboard moved the slider
    changed = (
        (lambda imgs: len(imgs) == len(before) and all(a != b for a, b in zip(imgs, before)))
        if all_change
        else (lambda imgs: len(imgs) == len(before) and imgs != before)
    )
    after = wait_for_images(
        container,
        changed,
        REDRAW_TIMEOUT_S,
        f"{name}: the picture did not change when the slider moved "
        f"{value_before} -> {readout(slider_locator)}",
    )
    moved_to = readout(slider_locator)
    press_on_handle(slider_locator, back)
    shown.to_have_text(value_before)
    wait_for_images(
        container,
        lambda imgs: imgs == before,
        REDRAW_TIMEOUT_S,
        f"{name}: moving back to {value_before} did not restore the first picture",
    )
    press_on_handle(slider_locator, forward)  # leave it moved, for the screenshot
    shown.to_have_text(moved_to)
    wait_for_images(
        container,
        lambda imgs: imgs == after,
        REDRAW_TIMEOUT_S,
        f"{name}: moving forward again did not redraw the same picture",
    )
    return before, after


# -- tests ------------------------------------------------------------------------------------------
def test_synthetic_widgets_draw_what_the_model_decodes(page, lab):
    """Fast: an untrained VAE, so the test can decode the same weights and compare pixel by pixel."""
    from course_utils import config, models, widgets

    open_and_run(page, lab, SYNTHETIC)
    check_widgets_rendered(page)
    config.seed_everything(0)
    vae = models.VAE(2).cpu()
    x0, x1 = torch.zeros(1, 28, 28), torch.ones(1, 28, 28)

    def expected(z):
        return image_pixels(widgets.png_bytes(models.decode_images(vae, torch.tensor([z]))[0]))

    def shows(container, targets):
        def check(imgs):
            if len(imgs) != len(targets):
                return False
            pixels = [image_pixels(b) for b in imgs]
            return all(p.shape == t.shape and np.abs(p - t).max() <= 1 for p, t in zip(pixels, targets))

        return check

    z1, z2 = slider(page, "z1"), slider(page, "z2")
    assert z1.count() == 1 and z2.count() == 1
    explorer = widget_with_images(z1)
    wait_for_images(
        explorer,
        shows(explorer, [expected([0.0, 0.0])]),
        REDRAW_TIMEOUT_S,
        "the explorer does not show the decoding of z = (0, 0)",
    )
    press_on_handle(z1, ["ArrowRight", "ArrowRight", "ArrowRight", "PageUp"])
    press_on_handle(z2, ["ArrowLeft", "PageDown"])
    z = [shown_value(z1), shown_value(z2)]
    assert z[0] > 0 > z[1], f"the keyboard did not move the sliders: z = {z}"
    assert np.abs(expected(z) - expected([0.0, 0.0])).max() > 1  # so the comparison below can fail
    wait_for_images(
        explorer,
        shows(explorer, [expected(z)]),
        REDRAW_TIMEOUT_S,
        f"the explorer does not show the decoding of z = {z}",
    )

    alpha = slider(page, "alpha")
    interpolation = widget_with_images(alpha)
    z0, z1_code = models.latent_codes(vae, torch.stack([x0, x1]))

    def blends(a):
        decoded = models.decode_images(vae, ((1 - a) * z0 + a * z1_code)[None])[0]
        return [
            image_pixels(widgets.png_bytes((1 - a) * x0 + a * x1, 140)),
            image_pixels(widgets.png_bytes(decoded, 140)),
        ]

    wait_for_images(
        interpolation,
        shows(interpolation, blends(0.0)),
        REDRAW_TIMEOUT_S,
        "the interpolation does not show x0 and its decoding at alpha = 0",
    )
    press_on_handle(alpha, ["PageUp", "PageUp", "PageUp", "PageUp", "ArrowRight"])
    a = shown_value(alpha)
    assert 0 < a < 1, f"the keyboard did not move alpha: {a}"
    targets = blends(a)
    assert all(np.abs(t - t0).max() > 1 for t, t0 in zip(targets, blends(0.0)))  # the check can fail
    wait_for_images(
        interpolation,
        shows(interpolation, targets),
        REDRAW_TIMEOUT_S,
        f"the interpolation does not show pixel blend and decoded blend at alpha = {a}",
    )
    check_widgets_rendered(page)


def test_vae_notebook_sliders_redraw(page, lab):
    path = "notebooks/05_vae.ipynb"
    if not (lab.root_dir / path).exists():
        pytest.fail(f"{path} is missing: the browser test needs the course notebook")
    open_and_run(page, lab, path)
    check_widgets_rendered(page)
    ARTIFACTS.mkdir(exist_ok=True)

    z1 = slider(page, "z1").first
    explorer = widget_with_images(z1)
    check_slider_redraws(z1, explorer, "latent explorer z1")
    explorer.screenshot(path=str(ARTIFACTS / "05_vae_latent_explorer.png"))

    alpha = slider(page, "alpha").first
    interpolation = widget_with_images(alpha)
    check_slider_redraws(alpha, interpolation, "interpolation alpha", all_change=True)
    interpolation.screenshot(path=str(ARTIFACTS / "05_vae_interpolation.png"))
    check_widgets_rendered(page)


def test_mle_notebook_first_slider_responds(page, lab):
    path = "notebooks/01_mle_and_mse.ipynb"
    if not (lab.root_dir / path).exists():
        pytest.fail(f"{path} is missing: the browser test needs the course notebook")
    open_and_run(page, lab, path)
    check_widgets_rendered(page)
    first = page.locator(".jp-Notebook .widget-slider").first
    first.wait_for(state="visible")
    drawing = widget_with_images(first)
    check_slider_redraws(first, drawing, "notebook 1, first slider", all_change=False)
    ARTIFACTS.mkdir(exist_ok=True)
    drawing.screenshot(path=str(ARTIFACTS / "01_mle_and_mse_first_slider.png"))
