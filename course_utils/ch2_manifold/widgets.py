"""Widgets of notebook 2: the curse of dimensionality, random images against real digits, geodesic against
straight-line distance on the Swiss roll, and an interpolation's distance to the data. Each is a
:class:`course_utils.widgets.LiveWidget` drawing into an ``ipywidgets.Image``, so a test can move its
controls in Python; what they draw is computed in :mod:`.manifold`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from course_utils.ch2_manifold.manifold import (
    curse_of_dimensionality,
    geodesic_path,
    nearest_distance,
    occupied_fraction,
    pairwise_distances,
    relative_contrast,
    uniform_points,
)
from course_utils.models import IMAGE_SHAPE, pixel_images
from course_utils.plots import image_grid
from course_utils.widgets import interpolation_picker, live_widget, slider


def curse_widget(
    n_points: int = 1000,
    bins: int = 4,
    max_dim: int = 100,
    dim: int = 2,
    seed: int = 0,
    curve_dims: Sequence[int] = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100),
):
    """A slider for the dimension d of ``n_points`` uniform points in the unit cube. Left: the histogram
    of their pairwise distances divided by the mean (it narrows as d grows); right: occupied-cell
    fraction and relative contrast against d, with the current d marked.

    A :func:`~course_utils.widgets.live_widget`: control ``"dim"``; ``values()``: the current d's
    ``dim``, ``occupied``, ``contrast``; also ``curves`` (:func:`curse_of_dimensionality` over
    ``curve_dims``)."""
    import matplotlib.pyplot as plt

    curve_dims = [d for d in curve_dims if d <= max_dim]
    curves = curse_of_dimensionality(curve_dims, n_points, bins, seed)
    control = slider(
        "dimension d",
        min=1,
        max=max_dim,
        step=1,
        value=dim,
        integer=True,
        style={"description_width": "initial"},
    )

    def draw(dim: int):
        d = dim
        X = uniform_points(n_points, d, seed)
        dist = pairwise_distances(X).numpy()[np.triu_indices(n_points, k=1)]
        stats = {"dim": d, "occupied": occupied_fraction(X, bins), "contrast": relative_contrast(X)}
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
        axes[0].hist(dist / dist.mean(), bins=60, range=(0, 2.5), color="tab:blue")
        axes[0].set_xlabel("pairwise distance / mean distance")
        axes[0].set_title(f"d = {d}: distances between {n_points} uniform points")
        for ax, key, name in [
            (axes[1], "occupied", f"occupied fraction of the {bins}^d cells"),
            (axes[2], "contrast", "relative contrast (far - near) / near"),
        ]:
            ax.loglog(curves["dims"], curves[key], "o-", color="gray", ms=3)
            ax.loglog([d], [stats[key]], "o", color="tab:red", ms=9)
            ax.set_xlabel("dimension d")
            ax.set_title(name)
            ax.grid(alpha=0.3, which="both")
        axes[1].set_ylim(1e-10, 2)  # beyond d = 20 the fraction is astronomically small
        fig.tight_layout()
        readout = (
            f"<b>d = {d}</b>: {n_points} points occupy <b>{stats['occupied']:.3g}</b> of the "
            f"{bins}<sup>{d}</sup> cells; relative contrast of distances <b>{stats['contrast']:.3g}</b>"
        )
        return fig, readout, stats

    box = live_widget({"dim": control}, draw, placement="above")
    box.curves = curves
    return box


def random_images_widget(real: torch.Tensor, reference: torch.Tensor, n: int = 8, seed: int = 0):
    """The manifold hypothesis: a button draws ``n`` uniformly random 28x28 images (the ``k``-th draw is
    the ``k``-th ``torch.rand((n, 1, 28, 28))`` of a generator seeded with ``seed``), shown above ``n``
    real digits ``real`` ``[>=n, 1, 28, 28]``, with each row's distance to its nearest digit in
    ``reference`` (the training images).

    A :func:`~course_utils.widgets.live_widget` with the button ``"draw new random images"``;
    ``values()``: ``random_mean``, ``random_min``, ``real_mean``, ``real_max`` (the distances shown)."""
    import matplotlib.pyplot as plt

    real, reference = pixel_images(real, "real"), pixel_images(reference, "reference")
    generator = torch.Generator().manual_seed(seed)
    real = real[:n].detach().float().cpu()
    real_dist = nearest_distance(real, reference).cpu()

    def draw():
        noise = torch.rand((n, *IMAGE_SHAPE), generator=generator)
        dist = nearest_distance(noise, reference).cpu()
        fig, ax = plt.subplots(figsize=(n * 0.75, 1.9))
        image_grid(
            torch.cat([noise, real]), nrow=n, ax=ax, title="top: uniformly random pixels, bottom: real digits"
        )
        readout = (
            f"distance to the nearest training digit: random images <b>{dist.mean():.2f}</b> "
            f"on average (min {dist.min():.2f}), real test digits <b>{real_dist.mean():.2f}</b> "
            f"(max {real_dist.max():.2f})"
        )
        return (
            fig,
            readout,
            {
                "random_mean": dist.mean().item(),
                "random_min": dist.min().item(),
                "real_mean": real_dist.mean().item(),
                "real_max": real_dist.max().item(),
            },
        )

    box = live_widget({}, draw, buttons={"draw new random images": None}, placement="above")
    box.buttons["draw new random images"].icon = "random"
    box.buttons["draw new random images"].layout.width = "220px"
    return box


def swiss_roll_widget(
    X: np.ndarray, t: np.ndarray, geodesic: np.ndarray, predecessors: np.ndarray, i: int = 0, j: int = 1
):
    """Two sliders pick points ``i`` and ``j`` of the Swiss roll ``X`` ``[N, 3]`` (coloured by the roll
    position ``t``); the picture draws the straight segment (Euclidean distance) and the shortest path
    along the k-NN graph (geodesic distance), and the readout prints both.

    A :func:`~course_utils.widgets.live_widget`: controls ``"i"``, ``"j"``; ``values()``: ``euclidean``,
    ``geodesic`` and ``path`` (the graph path's point indices)."""
    import matplotlib.pyplot as plt

    n = len(X)
    sliders = {
        name: slider(f"point {name}", min=0, max=n - 1, step=1, value=v, integer=True)
        for name, v in (("i", i), ("j", j))
    }

    def draw(i: int, j: int):
        path = geodesic_path(predecessors, i, j)
        dist = {
            "euclidean": float(np.linalg.norm(X[i] - X[j])),
            "geodesic": float(geodesic[i, j]),
            "path": path,
        }
        fig = plt.figure(figsize=(5.5, 4.5))
        ax = fig.add_subplot(projection="3d")
        ax.scatter(X[:, 0], X[:, 1], X[:, 2], c=t, cmap="viridis", s=5, alpha=0.5)
        ax.plot(*X[[i, j]].T, color="tab:red", lw=2.5, label=f"straight line {dist['euclidean']:.1f}")
        ax.plot(*X[path].T, color="black", lw=2.5, label=f"along the graph {dist['geodesic']:.1f}")
        ax.scatter(*X[[i, j]].T, color="tab:red", s=40, depthshade=False)
        ax.view_init(elev=12, azim=-75)
        ax.legend(loc="upper left", fontsize=8)
        ax.set_axis_off()
        readout = (
            f"points {i} and {j}: Euclidean distance <b>{dist['euclidean']:.2f}</b>, geodesic "
            f"distance <b>{dist['geodesic']:.2f}</b> ({len(path) - 1} graph edges)"
        )
        return fig, readout, dist

    return live_widget(sliders, draw, placement="above")


def interpolation_distance_picker(
    model: torch.nn.Module, images: torch.Tensor, reference: torch.Tensor, first: int = 0, second: int = 1
):
    """:func:`course_utils.widgets.interpolation_picker` (two index boxes, one alpha moving the pixel
    blend and the decoded blend of the codes, starting at alpha = 0.5) with a readout of each current
    image's distance to its nearest digit in ``reference``: off the data, or on it.

    A :func:`~course_utils.widgets.live_widget`: controls ``"index0"``, ``"index1"``, ``"alpha"``;
    ``values()`` adds ``pixel`` and ``decoded`` (the two distances)."""

    def measure(alpha: float, pixel: torch.Tensor, decoded: torch.Tensor):
        d = nearest_distance(torch.stack([pixel, decoded.to(pixel.device)]), reference).cpu()
        readout = (
            f"α = {alpha:.2f}: distance to the nearest training digit: pixel blend "
            f"<b>{d[0]:.2f}</b>, decoded code <b>{d[1]:.2f}</b>"
        )
        return readout, {"pixel": float(d[0]), "decoded": float(d[1])}

    return interpolation_picker(model, images, first, second, alpha=0.5, measure=measure)
