"""Widgets for loss viewpoint II: the network's output is a distribution, the loss its NLL.

:func:`gaussian_widget`: predicted mean ``mu`` and target ``y`` -> the density ``N(. | mu, 1)``, samples
drawn from it and ``-log N(y | mu, 1) = (y - mu)^2 / 2 + log(2 pi) / 2``.
:func:`bernoulli_widget`: predicted probability ``p`` and target ``y`` in {0, 1} -> the pmf, samples
and ``-log p(y) = -[y ln p + (1 - y) ln(1 - p)]``. Both values come from :mod:`course_utils.losses`.
"""

from __future__ import annotations

import math

import ipywidgets as W
import numpy as np
import torch

from course_utils import losses
from course_utils.losses import LOG_2PI


def gaussian_nll_value(mu: float, y: float) -> float:
    """``-log N(y | mu, 1)`` in nats, from :func:`course_utils.losses.gaussian_nll`."""
    return float(
        losses.gaussian_nll(
            torch.tensor([[float(mu)]], dtype=torch.float64), torch.tensor([[float(y)]], dtype=torch.float64)
        )[0]
    )


def bernoulli_nll_value(p: float, y: float) -> float:
    """``-log Bernoulli(y | p)`` in nats, from :func:`course_utils.losses.bernoulli_nll` (on the logit
    of p)."""
    if not 0 < p < 1:
        raise ValueError(f"p must lie strictly between 0 and 1, got {p!r}")
    logit = torch.tensor([[math.log(p / (1 - p))]], dtype=torch.float64)
    return float(losses.bernoulli_nll(logit, torch.tensor([[float(y)]], dtype=torch.float64))[0])


def gaussian_widget(mu: float = 0.5, y: float = 1.5, n_samples: int = 300, seed: int = 0) -> W.VBox:
    """Sliders ``mu`` (the network's output, the predicted mean) and ``y`` (the target).

    Draws the density ``N(t | mu, 1)``, a histogram of ``n_samples`` samples ``mu + eps`` (``eps`` fixed
    by ``seed``, so the cloud moves with ``mu``) and the target with its NLL. A
    :func:`~course_utils.widgets.live_widget`: controls ``"mu"``, ``"y"``; ``values()``: ``mu``, ``y``,
    ``nll``.
    """
    from course_utils.widgets import live_widget, slider

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
    from course_utils.widgets import live_widget, slider

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
