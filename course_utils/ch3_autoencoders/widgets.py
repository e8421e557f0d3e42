"""Widgets of notebook 3: the denoising explorer (noise type and level against each model's reconstruction).
A :class:`course_utils.widgets.LiveWidget`; what it draws is computed in :mod:`.corruption`.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as W
import torch

from course_utils.ch3_autoencoders.corruption import NOISE_LABELS, NOISE_TYPES, corrupt, denoising_errors
from course_utils.models import IMAGE_SHAPE, pixel_images
from course_utils.plots import tile
from course_utils.widgets import live_widget, slider


def denoising_explorer(
    models: dict,
    x: torch.Tensor,
    kinds: Sequence[str] = NOISE_TYPES,
    level: float = 0.3,
    max_level: float = 0.9,
    seed: int = 0,
    size: int = 560,
):
    """Dropdown (noise type) and slider (sigma or nu) over a few clean digits ``x`` ``[n, 1, 28, 28]``.

    Draws, as one picture, the rows: clean, corrupted, then one row of reconstructions per entry of
    ``models`` (name -> autoencoder returning logits). The noise is drawn from a generator seeded with
    ``seed`` at every redraw, so a setting always shows the same corruption. The readout names the rows
    and prints each model's mean squared error to the clean digits. A
    :func:`~course_utils.widgets.live_widget`: controls ``"kind"`` (dropdown), ``"level"`` (slider);
    ``values()``: ``errors`` (model name -> mean squared error, as :func:`denoising_errors`).
    """

    x = pixel_images(x, "x")
    if not models:
        raise ValueError("denoising_explorer needs at least one model")
    unknown = [k for k in kinds if k not in NOISE_TYPES]
    if unknown or not kinds:
        raise ValueError(f"unknown noise types {unknown}; choose from {list(NOISE_TYPES)}")
    device = next(next(iter(models.values())).parameters()).device
    x = x.detach().float().reshape(-1, *IMAGE_SHAPE).to(device)
    controls = {
        "kind": W.Dropdown(
            options=[(NOISE_LABELS[k], k) for k in kinds], value=kinds[0], description="noise"
        ),
        "level": slider("σ or ν", min=0.0, max=max_level, step=0.05, value=level, continuous=True),
    }
    row_names = ["clean", "corrupted", *[f"{name}: reconstruction" for name in models]]
    rows_text = "; ".join(f"row {i + 1}: {n}" for i, n in enumerate(row_names))

    def draw(kind: str, level: float):
        generator = torch.Generator().manual_seed(seed)
        noisy = corrupt(x, kind, level, generator=generator)
        errors = {k: v.mean().item() for k, v in denoising_errors(models, x, noisy).items()}
        with torch.no_grad():
            recons = [torch.sigmoid(model(noisy)) for model in models.values()]
        grid = tile(torch.cat([x, noisy.clamp(0, 1), *recons]), nrow=x.shape[0])
        readout = f"{rows_text}<br>mean squared error to the clean digits: " + ", ".join(
            f"<b>{name}</b> {err:.2f}" for name, err in errors.items()
        )
        return grid, readout, {"errors": errors}

    return live_widget(controls, draw, size=size, placement="above")
