"""The class palette is colour-blind safe, every class scatter plot uses it, and overlays use colours and
markers that no class uses (issue 17).

Colour vision deficiency is simulated with the matrices of Machado, Oliveira & Fernandes (2009, severity
1.0, applied to linear RGB); two colours are told apart when their CIE76 distance in CIELAB is large.
"""

from __future__ import annotations

import itertools

import matplotlib
import matplotlib.legend
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgb

from course_utils import plots
from course_utils.ch2_manifold import manifold
from course_utils.ch6_conditional import widgets as conditional_widgets

matplotlib.use("Agg")

SIMULATION = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
    "normal vision": np.eye(3).tolist(),
}
TAB10 = [matplotlib.colormaps["tab10"](i)[:3] for i in range(10)]


def _lab(colours, vision: str) -> np.ndarray:
    """CIELAB ``[N, 3]`` of matplotlib colours as seen with ``vision``."""
    srgb = np.array([to_rgb(c) for c in colours])
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(linear @ np.array(SIMULATION[vision]).T, 0, 1)
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def closest_pair(colours, vision: str, against=None) -> float:
    """The smallest CIELAB distance between two of ``colours`` (or between ``colours`` and ``against``)."""
    a = _lab(colours, vision)
    b = a if against is None else _lab(against, vision)
    distance = np.linalg.norm(a[:, None] - b[None], axis=-1)
    if against is None:
        np.fill_diagonal(distance, np.inf)
    return float(distance.min())


@pytest.mark.parametrize("vision", sorted(SIMULATION))
def test_class_colours_stay_apart_for_colour_blind_eyes(vision):
    assert closest_pair(plots.CLASS_COLOURS, vision) > 12.0
    # overlays (and the white background) stay apart from every class too
    assert closest_pair(plots.CLASS_COLOURS, vision, [*plots.OVERLAY_COLOURS, "white"]) > 9.0


def test_the_check_fails_for_tab10_which_the_course_used_before():
    """tab10's orange/green and green/red pairs merge for protanopes and deuteranopes (the check can fail)."""
    assert closest_pair(TAB10, "protanopia") < 6.0 and closest_pair(TAB10, "deuteranopia") < 8.0


def test_markers_tell_classes_apart_and_overlays_use_their_own():
    assert len(set(plots.CLASS_MARKERS)) == len(plots.CLASS_MARKERS) == len(plots.CLASS_COLOURS) == 10
    assert not set(plots.OVERLAY_MARKERS) & set(plots.CLASS_MARKERS)
    assert not {to_rgb(c) for c in plots.OVERLAY_COLOURS} & {to_rgb(c) for c in plots.CLASS_COLOURS}
    rgb = plots.class_rgb()
    assert rgb.shape == (10, 3) and rgb.dtype == np.uint8
    assert all(
        tuple(rgb[k] / 255) == pytest.approx(to_rgb(c), abs=1 / 255)
        for k, c in enumerate(plots.CLASS_COLOURS)
    )
    # notebook 6's code map draws the same palette
    assert conditional_widgets.CLASS_RGB.tolist() == rgb.tolist()


def _digit_legend(ax):
    """The "digit" legend :func:`plots.class_scatter` adds to ``ax`` (None if there is none)."""
    found = [a for a in ax.artists if isinstance(a, matplotlib.legend.Legend)]
    return found[0] if found else None


def _class_collections(ax):
    """(label, face colour, marker path) of each class's scatter on ``ax``."""
    return [(c.get_label(), tuple(np.round(c.get_facecolor()[0][:3], 3))) for c in ax.collections]


def test_latent_scatter_draws_each_digit_in_its_colour_with_a_legend():
    labels = torch.arange(50) % 10
    fig = plots.latent_scatter(torch.randn(50, 2), labels, title="codes")
    ax = fig.axes[0]
    assert [label for label, _ in _class_collections(ax)] == [str(k) for k in range(10)]
    for k, (_, colour) in enumerate(_class_collections(ax)):
        assert colour == pytest.approx(to_rgb(plots.CLASS_COLOURS[k]), abs=1e-3)
        assert len(ax.collections[k].get_offsets()) == 5
    digits = _digit_legend(ax)
    assert digits.get_title().get_text() == "digit" and len(digits.texts) == 10
    # an overlay legend of the caller's own does not replace the digits' legend
    overlay = ax.scatter([0.0], [0.0], marker=plots.OVERLAY_MARKERS[0], c=plots.OVERLAY_COLOURS[0], label="z")
    ax.legend(handles=[overlay])
    assert _digit_legend(ax) is digits and ax.get_legend().texts[0].get_text() == "z"
    with pytest.raises(ValueError, match="0-9"):
        plots.latent_scatter(torch.randn(3, 2), torch.tensor([0, 1, 10]))
    with pytest.raises(ValueError, match=r"points \[N, 2\]"):
        plots.class_scatter(fig.axes[0], torch.randn(3, 3), torch.tensor([0, 1, 2]))
    matplotlib.pyplot.close("all")


def test_manifold_panels_use_the_class_palette_for_digits_and_a_colour_bar_otherwise():
    labels = np.arange(40) % 10
    fig = manifold.scatter_panels({"a": np.random.rand(40, 2), "b": np.random.rand(40, 2)}, labels)
    for ax in fig.axes:
        colours = [colour for _, colour in _class_collections(ax)]
        assert colours == [pytest.approx(to_rgb(c), abs=1e-3) for c in plots.CLASS_COLOURS]
    assert _digit_legend(fig.axes[0]) is None and _digit_legend(fig.axes[1]) is not None  # one legend
    fig = manifold.scatter_panels({"a": np.random.rand(40, 2)}, np.linspace(0, 1, 40), discrete=False)
    assert len(fig.axes) == 2  # the panel and its colour bar
    matplotlib.pyplot.close("all")


def test_the_closest_pair_is_symmetric_and_zero_for_a_repeated_colour():
    for a, b in itertools.combinations(plots.CLASS_COLOURS[:4], 2):
        assert closest_pair([a, b], "deuteranopia") == pytest.approx(closest_pair([b, a], "deuteranopia"))
    assert closest_pair(["#E69F00", "#E69F00"], "normal vision") == 0.0


def _pixels_of_class(k: int, s: float, n: int = 200) -> int:
    """Pixels that ``plots.class_scatter`` draws in class k's colour (alpha-blended on white) when only
    class k is drawn: ``n`` points at marker size ``s``, 4 x 4 inches at 100 dpi."""
    fig, ax = matplotlib.pyplot.subplots(figsize=(4, 4), dpi=100)
    points = np.random.default_rng(0).uniform(0, 1, (n, 2))
    plots.class_scatter(ax, points, np.full(n, k), s=s, alpha=0.8, legend=False)
    ax.set_axis_off()
    ax.set(xlim=(-0.05, 1.05), ylim=(-0.05, 1.05))
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    matplotlib.pyplot.close(fig)
    target = 255 * (0.8 * np.array(to_rgb(plots.CLASS_COLOURS[k])) + 0.2)
    return int((np.abs(image - target).max(axis=-1) < 40).sum())


@pytest.mark.parametrize("s", [3, 4])
def test_every_class_is_drawn_in_small_scatters(s):
    """A filled "P" without an edge drew 0 pixels at s <= 4, so class 5 vanished from every small map."""
    drawn = [_pixels_of_class(k, s) for k in range(10)]
    assert min(drawn) >= 2 * 200, f"pixels per class at s={s}: {drawn}"


def test_the_legend_takes_the_loaded_datasets_class_names(monkeypatch):
    from course_utils import data, datasets

    fashion = data.LoadedData(
        "Fashion-MNIST (the official files)",
        "fashion-mnist",
        "Fashion-MNIST",
        False,
        60_000,
        10_000,
        datasets.FASHION_MNIST.class_names,
        "torchvision-local:60000+10000:0",
    )
    monkeypatch.setattr(data, "_last", data._Source("torchvision-local", fashion, "", {}))
    fig = plots.latent_scatter(torch.randn(50, 2), torch.arange(50) % 10)
    legend = _digit_legend(fig.axes[0])
    assert legend.get_title().get_text() == "class"
    assert [t.get_text() for t in legend.texts] == list(datasets.FASHION_MNIST.class_names)
    assert [c.get_label() for c in fig.axes[0].collections][:2] == ["T-shirt/top", "Trouser"]
    monkeypatch.setattr(data, "_last", None)  # nothing loaded: digits
    fig = plots.latent_scatter(torch.randn(50, 2), torch.arange(50) % 10)
    assert _digit_legend(fig.axes[0]).get_title().get_text() == "digit"
    fig, ax = matplotlib.pyplot.subplots()
    plots.class_scatter(ax, torch.randn(10, 2), torch.arange(10), class_names="abcdefghij")
    assert [t.get_text() for t in _digit_legend(ax).texts] == list("abcdefghij")
    with pytest.raises(ValueError, match="ten names"):
        plots.class_scatter(ax, torch.randn(10, 2), torch.arange(10), class_names=["a", "b"])
    matplotlib.pyplot.close("all")
