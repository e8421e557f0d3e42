"""Notebook 5's new live views, built with the core :func:`course_utils.widgets.live_widget`.

:func:`model_picker` chooses one of several trained VAEs (a dropdown over the latent size, or a
slider over the decoder's sigma) and redraws test digits, their reconstructions and decoded prior
samples, with the chosen model's numbers in the readout.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as W
import torch

from course_utils import widgets
from course_utils.models import decode_images, latent_codes, pixel_images


def mosaic(rows: list[torch.Tensor], gap: float = 0.5) -> torch.Tensor:
    """Rows of images (each ``[n, 1, 28, 28]``, the same n) -> one grey picture ``[H, W]``, with a thin grey
    line between rows."""
    if not rows or any(r.shape[1:] != rows[0].shape[1:] or r.shape[0] != rows[0].shape[0] for r in rows):
        raise ValueError("mosaic needs a non-empty list of rows of equal shape [n, 1, H, W]")
    strips = []
    for i, row in enumerate(rows):
        strip = torch.cat(list(row.detach().float().cpu()[:, 0]), dim=1)  # [H, n * W]
        if i:
            strips.append(torch.full((2, strip.shape[1]), gap))
        strips.append(strip)
    return torch.cat(strips, dim=0)


def model_picker(
    models: Mapping,
    images: torch.Tensor,
    numbers: Mapping[object, Mapping[str, float]],
    *,
    name: str = "model",
    slider: bool = False,
    n_samples: int | None = None,
    seed: int = 0,
    size: int = 560,
    readout=None,
) -> W.VBox:
    """Pick one of ``models`` (label -> trained VAE) with a dropdown (or a ``SelectionSlider`` if ``slider``).

    The picture shows ``images`` ``[n, 1, 28, 28]`` (top row), their reconstructions decoded from the mean
    code (middle row) and, unless ``n_samples=0``, ``n`` decoded prior samples z ~ N(0, I) drawn with
    ``seed`` (bottom row; the same z for every model of the same latent size). ``numbers[label]`` (a dict)
    is shown in the readout (``readout(label, numbers)`` formats it if given) and returned by ``values()``
    with ``label`` added. Returns a :func:`~course_utils.widgets.live_widget` box.
    """
    images = pixel_images(images, "images")
    labels = list(models)
    if not labels:
        raise ValueError("model_picker needs at least one model")
    missing = [label for label in labels if label not in numbers]
    if missing:
        raise ValueError(f"model_picker: no numbers for {missing}")
    n_samples = images.shape[0] if n_samples is None else n_samples
    if slider:
        control = W.SelectionSlider(
            options=labels, value=labels[0], description=name, continuous_update=False
        )
    else:
        control = W.Dropdown(options=labels, value=labels[0], description=name)

    def draw(**values):
        choice = values[name]
        model = models[choice]
        device = next(model.parameters()).device
        x = images.to(device)
        rows = [x, decode_images(model, latent_codes(model, x))]
        if n_samples:
            z = torch.randn(n_samples, model.latent_dim, generator=torch.Generator().manual_seed(seed))
            rows.append(decode_images(model, z.to(device)))
        shown = dict(numbers[choice])
        text = readout(choice, shown) if readout else ", ".join(f"{k} {v:.2f}" for k, v in shown.items())
        shown["label"] = choice
        return mosaic(rows), text, shown

    return widgets.live_widget({name: control}, draw, size=size, controls_below=True)
