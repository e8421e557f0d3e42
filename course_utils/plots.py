"""Matplotlib figures the notebooks share. Every function returns the figure it drew on.

In a notebook, end the cell with ``plt.show()`` so the figure is shown once.

In Korean (:func:`course_utils.i18n.language`), every figure that pyplot makes speaks Korean: just before
it is drawn, :func:`translate_figure` puts each text of it (titles, axis labels, legends, whether set
here or in a notebook's code cell) through the course's catalogue, in the NanumGothic font that
``koreanize-matplotlib`` installs (:func:`hangul_font`). Without that font the figures stay English.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from course_utils import data, i18n
from course_utils.models import IMAGE_SHAPE, N_PIXELS, decode_images

#: The fonts of a Korean figure: Latin letters, digits and maths as in English, Hangul from NanumGothic.
HANGUL_FAMILY = ["DejaVu Sans", "NanumGothic"]


@functools.cache
def hangul_font() -> Path | None:
    """The NanumGothic TTF of the installed ``koreanize-matplotlib``, registered with matplotlib (its bold
    too); None, after one line saying so, when it is not installed."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts" if spec else None
    if folder is None or not (folder / "NanumGothic.ttf").is_file():
        print(i18n.tr("No Hangul font (pip install koreanize-matplotlib): the figures stay English."))
        return None
    for name in ("NanumGothic.ttf", "NanumGothicBold.ttf"):
        if (folder / name).is_file():
            mpl.font_manager.fontManager.addfont(str(folder / name))
    return folder / "NanumGothic.ttf"


def translate_figure(fig) -> None:
    """Put every text of ``fig`` into the course's language (nothing to do in English), in a font with
    Hangul; without a Hangul font the figure stays English."""
    if i18n.language() == "en" or hangul_font() is None:
        return
    for text in fig.findobj(mpl.text.Text):
        korean = i18n.translate(text.get_text())
        if korean != text.get_text():
            text.set_text(korean)
        if i18n.has_hangul(korean):
            # A text with maths draws its words in the text's first font (mathtext takes only that one).
            text.set_fontfamily(HANGUL_FAMILY[::-1] if "$" in korean else HANGUL_FAMILY)


def _translated_before_drawing(fig) -> None:
    """A ``figure.hooks`` hook: ``fig`` runs :func:`translate_figure` each time before it draws."""
    draw = fig.draw

    def translated_draw(renderer):
        translate_figure(fig)
        draw(renderer)

    fig.draw = translated_draw


if f"{__name__}:_translated_before_drawing" not in mpl.rcParams["figure.hooks"]:
    mpl.rcParams["figure.hooks"] = [*mpl.rcParams["figure.hooks"], f"{__name__}:_translated_before_drawing"]


def _axes(ax, figsize):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


#: The gap between tiled digits, in pixels, and its grey level (1.0: white): one look for every grid.
GRID_PADDING = 2
GRID_PAD_VALUE = 1.0


def tile(images: torch.Tensor, nrow: int = 10) -> torch.Tensor:
    """Images ``[N, 1, 28, 28]`` (values in [0, 1]) -> one grey picture ``[H, W]`` on the CPU, ``nrow``
    per row, separated by :data:`GRID_PADDING` pixels of :data:`GRID_PAD_VALUE`."""
    images = images.detach().float().cpu().reshape(-1, *IMAGE_SHAPE[1:]).clamp(0, 1)  # [N, 28, 28]
    n, side = images.shape[0], images.shape[-1]
    if n == 1:
        return images[0]
    cols = min(nrow, n)
    rows = -(-n // cols)
    cells = torch.full((rows * cols, side, side), GRID_PAD_VALUE)
    cells[:n] = images
    p = GRID_PADDING
    padded = F.pad(cells.reshape(rows, cols, side, side), (p, 0, p, 0), value=GRID_PAD_VALUE)
    grid = padded.permute(0, 2, 1, 3).reshape(rows * (side + p), cols * (side + p))
    return F.pad(grid, (0, p, 0, p), value=GRID_PAD_VALUE)


def image_grid(images: torch.Tensor, nrow: int = 10, title: str | None = None, ax=None, figsize=None):
    """Tile images ``[N, 1, 28, 28]`` (values in [0, 1]) into one grid, ``nrow`` per row."""
    grid = tile(images, nrow).numpy()
    if figsize is None:
        n = images.numel() // N_PIXELS
        rows = int(np.ceil(n / nrow))
        figsize = (min(nrow, n) * 0.6 + 0.4, rows * 0.6 + (0.5 if title else 0.2))
    fig, ax = _axes(ax, figsize)
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def reconstruction_grid(
    inputs: torch.Tensor, reconstructions: torch.Tensor, n: int = 10, title: str | None = None, ax=None
):
    """Top row: ``n`` inputs; bottom row: their reconstructions (both ``[N, 1, 28, 28]`` in [0, 1])."""
    both = torch.cat([inputs[:n].detach().cpu().float(), reconstructions[:n].detach().cpu().float()])
    return image_grid(
        both, nrow=min(n, inputs.shape[0]), title=title or "top: input, bottom: reconstruction", ax=ax
    )


#: One colour-blind-safe palette for the ten digit classes, used by every class scatter plot: the seven
#: colours of Okabe & Ito (2008) without black, then three of Paul Tol's muted colours. Each class also has
#: its own marker, so no two classes are told apart by hue alone.
CLASS_COLOURS = (
    "#E69F00",  # 0 orange
    "#56B4E9",  # 1 sky blue
    "#009E73",  # 2 bluish green
    "#F0E442",  # 3 yellow
    "#0072B2",  # 4 blue
    "#D55E00",  # 5 vermillion
    "#CC79A7",  # 6 reddish purple
    "#332288",  # 7 indigo
    "#882255",  # 8 wine
    "#999933",  # 9 olive
)
CLASS_MARKERS = ("o", "s", "^", "v", "D", "P", "p", "h", "<", ">")
#: Overlays on a class plot (prior samples, invented codes, paths, boxes): colours and line-art markers
#: that no class uses.
OVERLAY_COLOURS = ("black", "grey")
OVERLAY_MARKERS = ("x", "+")


def class_rgb() -> np.ndarray:
    """:data:`CLASS_COLOURS` as RGB bytes ``[10, 3]`` (for pictures drawn pixel by pixel)."""
    from matplotlib.colors import to_rgb

    return (np.array([to_rgb(c) for c in CLASS_COLOURS]) * 255).round().astype(np.uint8)


def class_scatter(
    ax,
    points,
    labels,
    s: float = 4.0,
    alpha: float = 0.8,
    legend: bool = True,
    class_names: Sequence[str] | None = None,
):
    """Scatter ``points`` ``[N, 2]`` on ``ax``, class k (``labels`` ``[N]``, 0-9) in ``CLASS_COLOURS[k]``
    with ``CLASS_MARKERS[k]``; ``legend`` puts a legend of the classes to the right of the axes.

    ``class_names``: the ten names in the legend, default the loaded dataset's (``data.loaded()``: "0".."9"
    for digits, "T-shirt/top", ... for Fashion-MNIST); its title is "digit" for digits, else "class". The
    legend is an artist of its own, so a legend the caller adds for overlays (``ax.legend(handles=...)``)
    does not replace it. Every marker gets a thin edge in its own colour: without one, a small filled
    "P" (class 5) draws no pixel at all.
    """
    from matplotlib.legend import Legend

    points = points.detach().cpu().numpy() if isinstance(points, torch.Tensor) else np.asarray(points)
    labels = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels):
        raise ValueError(
            f"class_scatter needs points [N, 2] and labels [N], got {points.shape}, {labels.shape}"
        )
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"class labels must lie in 0-9, got {labels.min()}..{labels.max()}")
    names, title = _class_names(class_names)
    handles = []
    for k in range(10):
        mine = labels == k
        handles.append(
            ax.scatter(
                points[mine, 0],
                points[mine, 1],
                s=s,
                c=CLASS_COLOURS[k],
                marker=CLASS_MARKERS[k],
                alpha=alpha,
                linewidths=MARKER_EDGE,
                edgecolors="face",
                label=names[k],
            )
        )
    if legend:
        classes = Legend(
            ax,
            handles,
            list(names),
            title=title,
            loc="center left",
            bbox_to_anchor=(1.01, 0.5),
            fontsize=8,
            markerscale=max(1.0, 6.0 / s**0.5),  # legend markers about 6 pt wide
        )
        ax.add_artist(classes)
        classes.set_clip_on(False)  # add_artist clips to the axes; the legend sits beside them
    return ax


#: The edge (points) every class marker gets in its own colour, so that small filled markers still draw.
MARKER_EDGE = 0.5


def _class_names(class_names: Sequence[str] | None) -> tuple[tuple[str, ...], str]:
    """(ten class names, the legend's title): the given names ("class"), else the loaded dataset's."""
    if class_names is not None:
        names = tuple(str(n) for n in class_names)
        if len(names) != 10:
            raise ValueError(f"class_names needs ten names, got {len(names)}")
        return names, "class"
    info = data.loaded()
    if info is None or info.is_digits:
        return data.DIGIT_NAMES, "digit"
    return info.class_names, "class"


def latent_scatter(
    z: torch.Tensor,
    labels: torch.Tensor,
    title: str | None = None,
    ax=None,
    dims: Sequence[int] = (0, 1),
    s: float = 4.0,
    figsize=(5.5, 4.5),
):
    """Scatter of 2-D codes ``[N, >=2]`` (``dims`` picks two) by class label ``[N]``, in the class palette."""
    z = z.detach().cpu()
    fig, ax = _axes(ax, figsize)
    class_scatter(ax, z[:, list(dims)], labels, s=s)
    ax.set_xlabel(f"$z_{dims[0] + 1}$")
    ax.set_ylabel(f"$z_{dims[1] + 1}$")
    if title:
        ax.set_title(title)
    return fig


def normal_quantile_grid(n: int = 20, low: float = 0.05, high: float = 0.95) -> torch.Tensor:
    """``n`` values of the standard Normal's inverse CDF at evenly spaced probabilities in [low, high]."""
    if not 0 < low < high < 1:
        raise ValueError(f"need 0 < low < high < 1, got low={low}, high={high}")
    return torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(low, high, n))


def manifold_grid(
    model: torch.nn.Module,
    n: int = 20,
    low: float = 0.05,
    high: float = 0.95,
    values: torch.Tensor | None = None,
    title: str | None = None,
    ax=None,
    figsize=(6, 6),
):
    """Decode an ``n x n`` grid of 2-D codes and tile the digits (the lecture's 2-D manifold picture).

    The grid runs over Normal quantiles (``values`` overrides), so each cell covers equal prior
    probability; z_1 grows to the right, z_2 upwards.
    """
    if model.latent_dim != 2:
        raise ValueError(f"manifold_grid needs a 2-D latent space, the model has {model.latent_dim}")
    if values is None:
        values = normal_quantile_grid(n, low, high)
    values = values.float()
    n = len(values)
    z1, z2 = torch.meshgrid(values, values.flip(0), indexing="xy")  # rows: z2 from high to low
    z = torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)
    device = next(model.parameters()).device
    images = decode_images(model, z.to(device))
    fig = image_grid(images, nrow=n, ax=ax, figsize=figsize)
    ax = fig.axes[0] if ax is None else ax
    ax.set_title(title or f"decoded {n}x{n} grid, z from {values[0]:.2f} to {values[-1]:.2f}")
    return fig


def loss_curves(
    history: dict[str, list[float]],
    keys: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
    ylabel: str = "loss (nats per image)",
    figsize=(6, 3.5),
):
    """Plot per-epoch curves from a :func:`course_utils.train.fit` history."""
    keys = list(keys) if keys is not None else sorted(history)
    missing = [k for k in keys if k not in history]
    if missing:
        raise KeyError(f"history has no {missing}; it has {sorted(history)}")
    fig, ax = _axes(ax, figsize)
    for key in keys:
        values = history[key]
        ax.plot(
            range(1, len(values) + 1),
            values,
            marker="o" if len(values) < 20 else None,
            ms=3,
            label=key.replace("_", " "),
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return fig
