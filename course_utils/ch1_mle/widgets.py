"""Widgets of notebook 1: the sigmoid neuron's plateau, the Gaussian and Bernoulli outputs as likelihoods, the
MSE pitfall. Each is a :class:`course_utils.widgets.LiveWidget` (``controls``, ``image``, ``readout``,
``numbers``), so a test can move a control in Python and check the picture and the numbers; what they draw
is computed in :mod:`.neuron`, :mod:`.likelihood` and :mod:`.mse_pitfall`.
"""

from __future__ import annotations

import math

import ipywidgets as W
import numpy as np
import torch

from course_utils import losses
from course_utils.ch1_mle.likelihood import bernoulli_nll_value, gaussian_nll_value
from course_utils.ch1_mle.mse_pitfall import (
    checked_image,
    erase_box,
    pitfall_figure,
    shift,
    squared_distance,
    top_stroke_box,
)
from course_utils.ch1_mle.neuron import LOSSES, plot_runs, train_neuron
from course_utils.inputs import check_values, float_batch
from course_utils.losses import LOG_2PI
from course_utils.widgets import live_widget, slider


def neuron_widget(
    epochs: int = 300, w: float = 2.0, b: float = 2.0, lr: float = 0.15, loss: str = "both"
) -> W.VBox:
    """Sliders for the starting ``w``, ``b`` and the learning rate, and a toggle for the loss.

    Each change reruns :func:`train_neuron` for ``epochs`` epochs and redraws output and cost
    against epochs. A :func:`~course_utils.widgets.live_widget`: controls ``"w"``, ``"b"``, ``"lr"``
    and ``"loss"`` (``ToggleButtons``: ``"mse"``, ``"ce"`` or ``"both"``); the readout gives the final
    output and cost of each run, ``values()`` the same as ``{"mse": {"output", "cost"}, ...}``.
    """

    if loss not in (*LOSSES, "both"):
        raise ValueError(f"loss must be 'mse', 'ce' or 'both', got {loss!r}")
    controls = {
        "w": slider("start w", min=-4.0, max=4.0, step=0.1, value=w, fmt=".1f"),
        "b": slider("start b", min=-4.0, max=4.0, step=0.1, value=b, fmt=".1f"),
        "lr": W.FloatLogSlider(
            value=lr,
            base=10,
            min=-2,
            max=1,
            step=0.05,
            description="η (rate)",
            readout_format=".3f",
            continuous_update=False,
        ),
        "loss": W.ToggleButtons(
            options=[("MSE", "mse"), ("cross-entropy", "ce"), ("both", "both")],
            value=loss,
            description="loss",
        ),
    }

    def draw(w: float, b: float, lr: float, loss: str):
        chosen = list(LOSSES) if loss == "both" else [loss]
        runs = {name: train_neuron(name, w=w, b=b, lr=lr, epochs=epochs) for name in chosen}
        readout = "<br>".join(
            f"{LOSSES[name]}: after {epochs} epochs output a = {run['output'][-1]:.4f}, "
            f"cost = {run['loss'][-1]:.4f}"
            for name, run in runs.items()
        )
        numbers = {name: {"output": run["output"][-1], "cost": run["loss"][-1]} for name, run in runs.items()}
        return plot_runs(runs), readout, numbers

    return live_widget(controls, draw, placement="above")


def gaussian_widget(mu: float = 0.5, y: float = 1.5, n_samples: int = 300, seed: int = 0) -> W.VBox:
    """Sliders ``mu`` (the network's output, the predicted mean) and ``y`` (the target).

    Draws the density ``N(t | mu, 1)``, a histogram of ``n_samples`` samples ``mu + eps`` (``eps`` fixed
    by ``seed``, so the cloud moves with ``mu``) and the target with its NLL. A
    :func:`~course_utils.widgets.live_widget`: controls ``"mu"``, ``"y"``; ``values()``: ``mu``, ``y``,
    ``nll``.
    """

    eps = torch.randn(n_samples, generator=torch.Generator().manual_seed(seed)).numpy()
    sliders = {
        "mu": slider("μ (output)", min=-3, max=3, step=0.05, value=mu),
        "y": slider("y (target)", min=-4, max=4, step=0.05, value=y),
    }

    def draw(mu: float, y: float):
        import matplotlib.pyplot as plt

        value = gaussian_nll_value(mu, y)
        grid = np.linspace(-6, 6, 400)
        density = losses.gaussian_log_density(torch.from_numpy(grid)[:, None], mu).exp().numpy()
        fig, ax = plt.subplots(figsize=(6.4, 3.0))
        ax.hist(
            mu + eps,
            bins=np.arange(-6, 6.01, 0.4),
            density=True,
            color="tab:blue",
            alpha=0.25,
            label=f"{len(eps)} samples from N(μ, 1)",
        )
        ax.plot(grid, density, color="tab:blue", label="p(y | μ) = N(y | μ, 1)")
        p_y = math.exp(-value)
        ax.vlines(y, 0, p_y, color="tab:red", lw=2)
        ax.plot([y], [p_y], "o", color="tab:red", label=f"target y: p = {p_y:.3f}, −log p = {value:.3f}")
        ax.set_xlim(-6, 6)
        ax.set_ylim(0, 0.5)
        ax.set_xlabel("y")
        ax.legend(fontsize=8, loc="upper left")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        readout = (
            f"−log N(y | μ, 1) = ½(y−μ)² + ½ log 2π = {0.5 * (y - mu) ** 2:.4f} + "
            f"{0.5 * LOG_2PI:.4f} = <b>{value:.4f}</b> nats"
        )
        return fig, readout, {"mu": mu, "y": y, "nll": value}

    return live_widget(sliders, draw, placement="above")


def bernoulli_widget(p: float = 0.8, y: int = 1, n_samples: int = 100, seed: int = 0) -> W.VBox:
    """Slider ``p`` (the network's output after the sigmoid) and a toggle for the target ``y`` in {0, 1}.

    Draws the pmf, the frequencies of ``n_samples`` samples ``u < p`` (``u`` uniform, fixed by ``seed``)
    and the NLL of the target. A :func:`~course_utils.widgets.live_widget`: controls ``"p"`` (slider),
    ``"y"`` (``ToggleButtons``); ``values()``: ``p``, ``y``, ``nll``.
    """

    u = torch.rand(n_samples, generator=torch.Generator().manual_seed(seed)).numpy()
    controls = {
        "p": slider("p (output)", min=0.01, max=0.99, step=0.01, value=p),
        "y": W.ToggleButtons(options=[("y = 0", 0), ("y = 1", 1)], value=y, description="target"),
    }

    def draw(p: float, y: int):
        import matplotlib.pyplot as plt

        value = bernoulli_nll_value(p, y)
        samples = (u < p).astype(int)
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        colours = ["tab:red" if k == y else "tab:blue" for k in (0, 1)]
        ax.bar([-0.15, 0.85], [1 - p, p], width=0.3, color=colours, label="pmf: P(0) = 1−p, P(1) = p")
        ax.bar(
            [0.15, 1.15],
            [np.mean(samples == 0), np.mean(samples == 1)],
            width=0.3,
            color="grey",
            alpha=0.5,
            label=f"frequency in {len(u)} samples",
        )
        ax.set_xticks([0, 1])
        ax.set_ylim(0, 1.05)
        ax.set_title(f"target y = {y} (red): −log p(y) = {value:.3f} nats")
        ax.legend(fontsize=8, loc="upper center")
        fig.tight_layout()
        first_samples = "".join(map(str, samples[:40]))
        readout = (
            f"−log p(y) = −[y ln p + (1−y) ln(1−p)] = <b>{value:.4f}</b> nats; samples: {first_samples}…"
        )
        return fig, readout, {"p": p, "y": y, "nll": value}

    return live_widget(controls, draw, placement="above")


def mse_pitfall_widget(
    image: torch.Tensor,
    box: tuple[int, int, int, int] | None = None,
    dx: float = 0.5,
    dy: float = 0.5,
    max_shift: float = 2.0,
) -> W.VBox:
    """Sliders for the erased box (top, left, height, width) and the shift (dx, dy, in pixels).

    Shows (a) ``image`` (one ``[28, 28]``-like image), (b) ``erase_box(image, *box)`` with the box outlined,
    (c) ``shift(image, dx, dy)``, and the live distances ``||a-b||^2``, ``||a-c||^2`` (sums over pixels).
    A :func:`~course_utils.widgets.live_widget`: controls ``"top"``, ``"left"``, ``"height"``, ``"width"``,
    ``"dx"``, ``"dy"``; ``values()``: ``erased`` (``||a-b||^2``), ``shifted`` (``||a-c||^2``) and ``box``.
    """

    check_values("image", float_batch(checked_image(image, "mse_pitfall_widget")[None], "image"), 0, 1)
    a = checked_image(image, "mse_pitfall_widget").detach().float().cpu()
    a = a.reshape(a.shape[-2:])
    H, W_ = a.shape
    top, left, height, width = box if box is not None else top_stroke_box(a)
    erase_box(a, top, left, height, width)  # validates the starting box
    sliders = {
        "top": slider("box top", min=0, max=H - 1, step=1, value=top, integer=True),
        "left": slider("box left", min=0, max=W_ - 1, step=1, value=left, integer=True),
        "height": slider("box height", min=0, max=H - top, step=1, value=height, integer=True),
        "width": slider("box width", min=0, max=W_ - left, step=1, value=width, integer=True),
        "dx": slider("shift dx", min=-max_shift, max=max_shift, step=0.05, value=dx, fmt="+.2f"),
        "dy": slider("shift dy", min=-max_shift, max=max_shift, step=0.05, value=dy, fmt="+.2f"),
    }

    def draw(top: int, left: int, height: int, width: int, dx: float, dy: float):
        box_now = (top, left, min(height, H - top), min(width, W_ - left))
        b, c = erase_box(a, *box_now), shift(a, dx, dy)
        d_b, d_c = squared_distance(a, b), squared_distance(a, c)
        closer = "(b) the broken digit" if d_b < d_c else "(c) the shifted digit"
        readout = (
            f"‖a−b‖² = {d_b:.4f} &nbsp; ‖a−c‖² = {d_c:.4f} &nbsp; "
            f"(sums over {H * W_} pixels; means: {d_b / (H * W_):.5f} and {d_c / (H * W_):.5f})"
            f"<br>pixel distance calls {closer} closer to (a)"
        )
        return (
            pitfall_figure(a, b, c, box_now, dx, dy, d_b, d_c),
            readout,
            {"erased": d_b, "shifted": d_c, "box": box_now},
        )

    def limit_box(_change=None):
        # keep the box inside the image; lowering max clamps the value, which triggers a redraw
        sliders["height"].max = H - sliders["top"].value
        sliders["width"].max = W_ - sliders["left"].value

    sliders["top"].observe(limit_box, names="value")
    sliders["left"].observe(limit_box, names="value")
    return live_widget(sliders, draw, placement="above")
