"""One sigmoid neuron trained by gradient descent: why cross-entropy learns where MSE stalls.

Nielsen's example (Neural Networks and Deep Learning, ch. 3): input ``x = 1``, target ``y = 0``,
start at ``(w, b) = (2, 2)`` so the output is ``sigmoid(4) = 0.98``. The quadratic cost
``C = (a - y)^2 / 2`` has the gradient ``(a - y) sigma'(z) x``, which the saturated neuron makes
tiny; the cross-entropy ``C = -[y ln a + (1 - y) ln(1 - a)]`` has ``(a - y) x``, which does not.

:func:`train_neuron` runs plain gradient descent with these two gradients (the notebook checks them
against autograd) and records every epoch; :func:`.widgets.neuron_widget` draws the runs live as
sliders move.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LOSSES = {"mse": "quadratic cost (MSE)", "ce": "cross-entropy"}


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def neuron_cost(loss: str, z: torch.Tensor, y: float) -> torch.Tensor:
    """The cost of one neuron with pre-activation ``z`` (a tensor) and target ``y``.

    ``"mse"``: ``(sigmoid(z) - y)^2 / 2``; ``"ce"``: ``-[y ln a + (1-y) ln(1-a)]``, computed from ``z``
    (binary cross-entropy with logits, so it never takes the log of 0).
    """
    if loss == "mse":
        return 0.5 * (torch.sigmoid(z) - y) ** 2
    if loss == "ce":
        return F.binary_cross_entropy_with_logits(z, torch.full_like(z, float(y)))
    raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")


def train_neuron(
    loss: str = "mse",
    w: float = 2.0,
    b: float = 2.0,
    lr: float = 0.15,
    epochs: int = 300,
    x: float = 1.0,
    y: float = 0.0,
) -> dict[str, list[float]]:
    """Gradient descent ``theta <- theta - lr * grad C`` on one neuron ``a = sigmoid(w x + b)``.

    Returns lists of length ``epochs + 1`` (entry 0 is the start): ``"w"``, ``"b"``, ``"output"``
    (the activation ``a``) and ``"loss"`` (the cost being minimized), one entry per epoch.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    if not (isinstance(epochs, int) and epochs >= 0):
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    for name, value in (("w", w), ("b", b), ("x", x), ("y", y)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not 0 <= y <= 1:
        raise ValueError(f"the target y must lie in [0, 1] (a sigmoid output), got {y!r}")
    w, b, x, y = float(w), float(b), float(x), float(y)
    history: dict[str, list[float]] = {"w": [], "b": [], "output": [], "loss": []}
    for epoch in range(epochs + 1):
        z = w * x + b
        a = _sigmoid(z)
        history["w"].append(w)
        history["b"].append(b)
        history["output"].append(a)
        history["loss"].append(float(neuron_cost(loss, torch.tensor(z, dtype=torch.float64), y)))
        if epoch == epochs:
            break
        # dC/dz: (a - y) sigma'(z) for the quadratic cost, (a - y) for cross-entropy; dz/dw = x, dz/db = 1
        delta = (a - y) * a * (1 - a) if loss == "mse" else (a - y)
        w, b = w - lr * delta * x, b - lr * delta
    return history


def plot_runs(runs: dict[str, dict[str, list[float]]]):
    """Output and cost against epochs for runs ``{loss: train_neuron(loss, ...)}``; returns the figure."""
    import matplotlib.pyplot as plt

    fig, (ax_a, ax_c) = plt.subplots(1, 2, figsize=(9, 3.2))
    colours = {"mse": "tab:red", "ce": "tab:blue"}
    for loss, run in runs.items():
        epochs = range(len(run["output"]))
        ax_a.plot(epochs, run["output"], color=colours[loss], label=LOSSES[loss])
        ax_c.plot(epochs, run["loss"], color=colours[loss], label=LOSSES[loss])
    ax_a.set_ylim(-0.02, 1.02)
    ax_a.axhline(0.0, color="grey", lw=0.8, ls=":")
    ax_a.set_title("output a = σ(w·1 + b)  (target 0)")
    ax_c.set_title("cost being minimized")
    ax_c.set_ylim(bottom=0)
    for ax in (ax_a, ax_c):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
