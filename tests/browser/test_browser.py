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
3. notebooks/01_mle_and_mse.ipynb: its first slider renders and its plot responds;
4. notebooks/06_cvae_and_aae.ipynb: the CVAE explorer's style slider and digit buttons, the AAE explorer;
5. notebooks/07_vae_lab.ipynb: the β dropdown and the retrieval picker (space dropdown, query box);
6. notebooks/08_beyond_pixels.ipynb: the completion picker (another draw, another test image) and the
   shared-z comparison of the pixel VAE and the VAE/GAN.

Skips (with the reason) only where Chromium or the playwright package is not installed.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is not installed (python -m pip install -r requirements.txt)",
)

from browser_support import (  # noqa: E402
    ARTIFACTS,
    REDRAW_TIMEOUT_S,
    check_named_slider,
    check_slider_redraws,
    check_widgets_rendered,
    dropdown,
    image_pixels,
    open_and_run,
    press_on_handle,
    run_course_notebook,
    shown_value,
    slider,
    wait_for_images,
    widget_with_images,
    write_notebook,
)

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


# -- tests ------------------------------------------------------------------------------------------
def test_synthetic_widgets_draw_what_the_model_decodes(page, lab):
    """Fast: an untrained VAE, so the test can decode the same weights and compare pixel by pixel."""
    from course_utils import config, models, widgets

    open_and_run(page, lab, write_notebook(lab.root_dir, SYNTHETIC, SYNTHETIC_CELLS))
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
    run_course_notebook(page, lab, "notebooks/05_vae.ipynb")

    check_named_slider(page, "z1", "05_vae_latent_explorer.png")  # the latent explorer
    check_named_slider(page, "alpha", "05_vae_interpolation.png")  # the interpolation
    check_widgets_rendered(page)


def test_mle_notebook_first_slider_responds(page, lab):
    run_course_notebook(page, lab, "notebooks/01_mle_and_mse.ipynb")
    first = page.locator(".jp-Notebook .widget-slider").first
    first.wait_for(state="visible")
    drawing = widget_with_images(first)
    check_slider_redraws(first, drawing, "notebook 1, first slider", all_change=False)
    drawing.screenshot(path=str(ARTIFACTS / "01_mle_and_mse_first_slider.png"))


def test_cvae_and_aae_widgets_redraw(page, lab):
    """The CVAE explorer's "style z1" slider redraws the digit and moving back restores it; clicking another
    digit button redraws it; the AAE explorer's "AAE z1" slider moves the cross and the decoded digit."""
    run_course_notebook(page, lab, "notebooks/06_cvae_and_aae.ipynb")

    explorer = check_named_slider(page, "style z1", "06_cvae_explorer.png")
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
    check_named_slider(page, "AAE z1", "06_aae_explorer.png")
    check_widgets_rendered(page)


def test_vae_lab_dropdowns_redraw(page, lab):
    """Notebook 7: the β dropdown shows another model's pictures and going back restores them; the retrieval
    picker redraws for another space and for another query typed in."""
    run_course_notebook(page, lab, "notebooks/07_vae_lab.ipynb")

    beta = dropdown(page, "β").first
    sweep = widget_with_images(beta)
    first = wait_for_images(sweep, lambda imgs: all(imgs), REDRAW_TIMEOUT_S, "β sweep: picture shown")
    beta.locator("select").select_option(index=5)  # β = 784, the "mean over pixels" mistake
    sync_api.expect(sweep).to_contain_text("β = 784")
    wait_for_images(sweep, lambda imgs: imgs != first, REDRAW_TIMEOUT_S, "β sweep: β = 784 did not redraw")
    sweep.screenshot(path=str(ARTIFACTS / "07_beta_784.png"))
    beta.locator("select").select_option(index=2)  # back to β = 1
    wait_for_images(sweep, lambda imgs: imgs == first, REDRAW_TIMEOUT_S, "β sweep: β = 1 not restored")

    space = dropdown(page, "space").first
    retrieval = widget_with_images(space)
    first = wait_for_images(retrieval, lambda imgs: all(imgs), REDRAW_TIMEOUT_S, "retrieval: picture shown")
    space.locator("select").select_option(index=1)
    other_space = wait_for_images(
        retrieval, lambda imgs: imgs != first, REDRAW_TIMEOUT_S, "retrieval: another space did not redraw"
    )
    query = retrieval.locator(".widget-text input").first
    shown = int(query.input_value())
    query.fill(str(shown - 1 if shown > 0 else 1))  # the neighbouring test digit
    query.press("Enter")
    wait_for_images(
        retrieval, lambda imgs: imgs != other_space, REDRAW_TIMEOUT_S, "retrieval: a new query did not redraw"
    )
    sync_api.expect(retrieval).to_contain_text("query: a ")
    retrieval.screenshot(path=str(ARTIFACTS / "07_retrieval.png"))
    check_widgets_rendered(page)


def test_beyond_pixels_widgets_redraw(page, lab):
    """Notebook 8: "draw another completion" redraws the completions, another test image redraws the row, and
    the shared z1 slider redraws both decoders' samples (moving back restores them)."""
    run_course_notebook(page, lab, "notebooks/08_beyond_pixels.ipynb")

    button = page.locator("button", has_text="draw another completion").first
    button.wait_for(state="visible")
    picker = widget_with_images(button)
    first = wait_for_images(
        picker, lambda imgs: all(imgs), REDRAW_TIMEOUT_S, "completion picker: picture shown"
    )
    drawn = int(re.search(r"draw\s+(\d+)", picker.text_content()).group(1))  # the notebook drew once already
    button.click()
    sync_api.expect(picker).to_contain_text(f"draw {drawn + 1}")
    again = wait_for_images(
        picker, lambda imgs: imgs != first, REDRAW_TIMEOUT_S, "completion picker: another draw did not redraw"
    )
    index = picker.locator(".widget-text input").first
    index.fill("1")
    index.press("Enter")
    wait_for_images(
        picker,
        lambda imgs: imgs != again,
        REDRAW_TIMEOUT_S,
        "completion picker: another test image did not redraw",
    )
    picker.screenshot(path=str(ARTIFACTS / "08_completion_picker.png"))

    check_named_slider(page, "z1", "08_shared_z.png")
    check_widgets_rendered(page)
