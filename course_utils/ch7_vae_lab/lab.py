"""The lab's one VAE architecture, trained once per objective and cached, and its expected values.

Every model of notebook 7 is the same :class:`~course_utils.models.VAE` (784-256-16, from the same
initialisation, on the same batches); only the objective or the decoder's likelihood changes, so
differences between them are caused by that change alone.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import torch

from course_utils import config, models
from course_utils.checkpoints import train_once
from course_utils.train import fit

LATENT_DIM = 16
HIDDEN = (256,)
#: Epochs and minibatch size per lab model: fast mode (tests, CI) and the classroom lesson. Fast mode's
#: small batches give its 2,000 digits enough optimiser steps (375) for every effect of the lab to show.
EPOCHS = 6 if config.FAST else 12
BATCH_SIZE = 32 if config.FAST else 64
SEED = 0


def build(model_class=models.VAE, **kwargs) -> torch.nn.Module:
    """A fresh lab VAE with the fixed initialisation every lab model starts from."""
    torch.manual_seed(SEED)
    return model_class(LATENT_DIM, hidden=HIDDEN, **kwargs)


def trained(
    name: str,
    loss_fn: Callable,
    train_x: torch.Tensor,
    description: dict | None = None,
    model_class=models.VAE,
    epochs: int | None = None,
    **model_kwargs,
):
    """Train ``build(model_class, **model_kwargs)`` on ``loss_fn`` once, then load it: ``(model, history)``.

    The cache key is derived from the call (:func:`course_utils.checkpoints.train_once`): ``loss_fn``
    with the values it closes over (e.g. its beta), the data, the model and the code. ``description``
    (e.g. ``{"beta": 3}``) is not used: it only names the objective for the reader of the call.
    ``loss_fn`` must be a fresh object per call when it has state
    (:class:`~course_utils.ch7_vae_lab.collapse.KLWarmup`).
    """
    return train_once(
        f"lab-{name}",
        build(model_class, **model_kwargs),
        fit,
        loss_fn,
        train_x,
        epochs=EPOCHS if epochs is None else epochs,
        batch_size=BATCH_SIZE,
        seed=SEED,
    )


def _ranges(table: str) -> dict[str, dict[str, tuple[float, float]]]:
    """The rows of a text table ``model | elbo | kl | active`` (each cell ``low high``, empty: not measured)
    -> ``{model: {"elbo": (low, high), ...}}``, in the table's order."""
    header, *rows = table.strip().splitlines()
    keys = [cell.strip() for cell in header.split("|")[1:]]
    return {
        name.strip(): {
            key: tuple(ast.literal_eval(bound) for bound in cell.split())
            for key, cell in zip(keys, cells)
            if cell.strip()
        }
        for name, *cells in (row.split("|") for row in rows)
    }


#: Ranges a healthy run of notebook 7 falls in, on every data source (offline fallback, MNIST-sized data)
#: and in both modes: model -> {"elbo": (low, high) nats, "kl": (low, high) nats, "active": (low, high)}.
#: "elbo" is each model's honest bound (notebook 7, section 3): on binarized test digits for Bernoulli
#: decoders, on the 8-bit digits (dequantized) for densities; for the autoencoder, minus its grey BCE.
#: Each cell is "low high"; an empty one: not measured. Free bits: the KL goes to 16 when converged.
EXPECTED: dict[str, dict[str, tuple[float, float]]] = _ranges(
    """
model                         | elbo         | kl        | active
β = 0.1                       | -215 -95     | 35 90     | 12 16
β = 0.3                       | -200 -90     | 18 60     | 12 16
β = 1                         | -200 -85     | 8 40      | 8 16
β = 3                         | -215 -95     | 3 20      | 4 16
β = 10                        | -240 -120    | 0.2 8     | 1 16
β = 784                       | -245 -190    | 0 0.5     | 0 1
KL warm-up to β = 784         | -245 -190    | 0 0.5     | 0 1
free bits λ = 1               | -240 -150    | 2 20      | 8 16
Bernoulli, grey pixels        | -200 -85     | 8 40      | 8 16
Gaussian, σ = 1               | -5150 -5050  | 0.5 15    | 1 16
Gaussian, σ = 0.1             | -5500 -3000  | 40 100    | 8 16
Gaussian, σ = 0.03            | -30000 -4000 | 90 250    | 8 16
Gaussian, learned σ (one)     | -5000 -2500  | 25 90     | 8 16
Gaussian, learned σ per pixel | -5500 -2000  | 15 80     | 8 16
continuous Bernoulli          | -3500 -500   | 50 150    | 8 16
recipes.vae(2)                | -215 -130    | 3 9       | 1 2
recipes.vae(20)               | -200 -85     | 7 35      | 8 20
recipes.autoencoder(2)        | -215 -120    |           |
"""
)
#: Measured (notebook 7 runs, 2026-11-30) to set the ranges above, ELBO / KL / active units of β = 1:
#: fast mode, offline fallback -162.2 / 13.8 / 16; fast, MNIST-sized -180.6 / 13.3 / 16;
#: default mode (CPU), offline fallback (4,000 digits) -119.6 / 21.7 / 16; default, MNIST-sized
#: (10,000 digits) -123.3 / 24.9 / 16. Every model of the table was inside its range in all four runs
#: (the shared models of notebooks 3-5 in the first three). See BENCHMARKS.md, section 5.


def expected_table_markdown() -> str:
    """:data:`EXPECTED` as the markdown table kept in the teacher's guide (docs/teaching.md, notebook 7)."""

    def span(low_high, digits=0):
        low, high = low_high
        return f"{low:.{digits}f} to {high:.{digits}f}"

    lines = ["| model | test ELBO (nats) | KL (nats) | active units |", "|---|---|---|---|"]
    for name, want in EXPECTED.items():
        kl = span(want["kl"], 1) if "kl" in want else "–"
        active = f"{want['active'][0]:.0f} to {want['active'][1]:.0f}" if "active" in want else "–"
        if name == "recipes.autoencoder(2)":
            name += " (−BCE, grey digits)"
        lines.append(f"| {name} | {span(want['elbo'])} | {kl} | {active} |")
    return "\n".join(lines)
