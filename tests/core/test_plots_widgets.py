"""course_utils.plots return real figures; course_utils.widgets redraw when a slider moves."""

import io

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image

from course_utils import models, plots, widgets


def decode_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.fixture
def vae():
    torch.manual_seed(0)
    return models.VAE(2, hidden=(32,), device="cpu")


def test_png_bytes_upscales_sharply():
    img = torch.zeros(28, 28)
    img[0, 0] = 1.0
    arr = decode_png(widgets.png_bytes(img, size=56))
    assert arr.shape == (56, 56)
    assert (arr[:2, :2] == 255).all() and arr[2:, 2:].max() == 0
    with pytest.raises(ValueError, match="one 2-D image"):
        widgets.png_bytes(torch.zeros(2, 28, 28))


def test_latent_explorer_redraws_the_decoded_code(vae):
    box = widgets.latent_explorer(vae, size=28)
    assert set(box.controls) == {"z1", "z2"}
    before = box.image.value
    box.controls["z1"].value = 2.5
    after = box.image.value
    assert after != before
    expected = models.decode_images(vae, torch.tensor([[2.5, 0.0]]))[0, 0]
    shown = decode_png(after) / 255.0
    assert np.abs(shown - expected.numpy()).max() <= 1 / 255 + 1e-6
    assert box.values() == {"code": [2.5, 0.0]}


def test_latent_explorer_holds_other_dims_at_z0_and_caps_sliders():
    torch.manual_seed(0)
    vae20 = models.VAE(20, hidden=(16,), device="cpu")
    z0 = torch.linspace(-1, 1, 20)
    box = widgets.latent_explorer(vae20, dims=[3, 7], z0=z0, size=28)
    box.controls["z8"].value = -2.0
    code = torch.tensor(box.values()["code"])
    assert code[7] == -2.0 and code[3] == z0[3]
    assert torch.equal(torch.cat([code[:7], code[8:]]), torch.cat([z0[:7], z0[8:]]))
    assert len(widgets.latent_explorer(vae20, max_sliders=5).controls) == 5
    with pytest.raises(ValueError, match="dims must be indices"):
        widgets.latent_explorer(vae20, dims=[25])


def test_interpolation_slider_moves_both_paths(vae):
    x0 = torch.zeros(1, 28, 28)
    x1 = torch.ones(1, 28, 28)
    box = widgets.interpolation_slider(vae, x0, x1, size=28)
    pixel_image, decoded_image = box.images
    assert box.image is pixel_image
    start_pixel, start_decoded = pixel_image.value, decoded_image.value
    assert decode_png(start_pixel).max() == 0
    box.controls["alpha"].value = 0.5
    assert pixel_image.value != start_pixel and decoded_image.value != start_decoded
    assert np.allclose(decode_png(pixel_image.value), 128, atol=1)
    box.controls["alpha"].value = 1.0
    z1 = models.latent_codes(vae, x1[None])
    expected = models.decode_images(vae, z1)[0, 0].numpy()
    assert np.abs(decode_png(decoded_image.value) / 255.0 - expected).max() <= 1 / 255 + 1e-6


def test_plots_return_figures_with_content(vae):
    x = torch.rand(12, 1, 28, 28)
    fig = plots.image_grid(x, nrow=6, title="t")
    assert isinstance(fig, matplotlib.figure.Figure) and fig.axes[0].get_title() == "t"
    fig = plots.reconstruction_grid(x, x, n=6)
    assert fig.axes[0].images[0].get_array().shape[1] > 6 * 28
    fig = plots.latent_scatter(torch.randn(50, 2), torch.randint(0, 10, (50,)))
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 50  # one collection per digit
    fig = plots.manifold_grid(vae, n=5)
    assert fig.axes[0].images[0].get_array().shape[0] == 5 * 28 + 6 * 2
    fig = plots.loss_curves({"train_loss": [3, 2, 1], "test_loss": [3.5, 2.5, 2]})
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(KeyError, match="history has no"):
        plots.loss_curves({"train_loss": [1]}, keys=["test_loss"])
    import matplotlib.pyplot as plt

    plt.close("all")


def test_normal_quantile_grid_is_symmetric_and_validated():
    v = plots.normal_quantile_grid(5, 0.05, 0.95)
    assert torch.allclose(v, -v.flip(0), atol=1e-5)
    assert v[0].item() == pytest.approx(-1.6449, abs=1e-3)
    with pytest.raises(ValueError):
        plots.normal_quantile_grid(5, 0.0, 0.9)
    with pytest.raises(ValueError, match="2-D latent"):
        plots.manifold_grid(models.VAE(3, device="cpu"))


def test_live_widget_redraws_on_every_control_and_reports_its_numbers():
    import ipywidgets as W

    level = W.FloatSlider(value=0.2, min=0.0, max=1.0)
    invert = W.Checkbox(value=False)
    calls = []

    def draw(level, invert):
        calls.append((level, invert))
        picture = torch.full((28, 28), 1 - level if invert else level)
        return picture, f"mean ink {picture.mean():.2f}", {"mean_ink": picture.mean().item()}

    box = widgets.LiveWidget({"level": level, "invert": invert}, draw)
    first = box.image.value
    assert box.values()["mean_ink"] == pytest.approx(0.2) and "0.20" in box.readout.value
    level.value = 0.7
    assert box.image.value != first and box.values()["mean_ink"] == pytest.approx(0.7)
    invert.value = True
    assert box.values()["mean_ink"] == pytest.approx(0.3) and "0.30" in box.readout.value
    assert calls == [(0.2, False), (0.7, False), (0.7, True)]  # one draw per change, none extra
    assert box.controls["level"] is level and box.images == [box.image]
    assert (
        isinstance(box, W.VBox) and box.numbers == box.values()
    )  # values(): the notebooks' name for numbers
    box.numbers["mean_ink"] = -1.0  # a copy: the widget's numbers stay what it drew
    assert box.numbers["mean_ink"] == pytest.approx(0.3)
    box.redraw()
    assert calls[-1] == (0.7, True)


def test_live_widget_rejects_a_bad_draw_result_and_no_controls():
    import ipywidgets as W

    with pytest.raises(ValueError, match="at least one control or button"):
        widgets.live_widget({}, lambda: (b"", ""))
    with pytest.raises(ValueError, match=r"\(picture, readout\)"):
        widgets.live_widget({"a": W.IntSlider()}, lambda a: b"png only")


def test_live_widget_button_runs_its_action_then_redraws_and_the_placements():
    import ipywidgets as W

    clicks = []

    def draw():
        return (
            torch.full((28, 28), 0.1 * len(clicks)),
            f"clicked {len(clicks)} times",
            {"clicks": len(clicks)},
        )

    box = widgets.live_widget({}, draw, buttons={"again": lambda: clicks.append(1)})
    assert box.values() == {"clicks": 0}
    before = box.image.value
    box.buttons["again"].click()
    assert box.values() == {"clicks": 1} and box.image.value != before and "1 times" in box.readout.value
    for placement in ("left", "above", "below"):
        box = widgets.live_widget(
            {"a": W.IntSlider()}, lambda a: (torch.zeros(28, 28), ""), placement=placement, captions=["zeros"]
        )
        assert box.readout is box.children[-1]
    with pytest.raises(ValueError, match="placement"):
        widgets.live_widget({"a": W.IntSlider()}, lambda a: (torch.zeros(28, 28), ""), placement="right")


def test_tile_pads_every_grid_the_same_way():
    grid = plots.tile(torch.zeros(3, 1, 28, 28), nrow=3)
    assert grid.shape == (28 + 2 * plots.GRID_PADDING, 3 * 28 + 4 * plots.GRID_PADDING)
    assert grid[0, 0] == plots.GRID_PAD_VALUE and grid[plots.GRID_PADDING, plots.GRID_PADDING] == 0
