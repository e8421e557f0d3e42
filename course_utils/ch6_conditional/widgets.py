"""Notebook 6's live widgets, built with the course's one helper :func:`course_utils.widgets.live_widget`.

- :func:`cvae_explorer`: a digit selector and two style sliders; the CVAE decodes (z, label) live.
- :func:`aae_explorer`: a prior dropdown and two sliders; the chosen prior's AAE decodes z live, beside
  a map of its test codes (coloured by digit) over prior samples (grey) with a cross at z.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import ipywidgets as W
import numpy as np
import torch
from PIL import Image as PILImage

from course_utils import plots
from course_utils.models import decode_images
from course_utils.widgets import live_widget, slider

#: The course's class palette (:data:`course_utils.plots.CLASS_COLOURS`) as RGB bytes ``[10, 3]``.
CLASS_RGB = plots.class_rgb()


def _slider(name: str, limit: float) -> W.FloatSlider:
    return slider(name, min=-limit, max=limit, step=0.05, value=0.0, continuous=True)


def cvae_explorer(model, limit: float = 3.0, size: int = 168):
    """Digit buttons 0-9 and sliders "style z1", "style z2" over a 2-D CVAE's style code.

    Returns a :func:`live_widget` box; ``values()`` gives ``{"label", "z1", "z2"}``.
    """
    if model.latent_dim != 2:
        raise ValueError(f"cvae_explorer needs a 2-D style code, the model has {model.latent_dim}")
    device = next(model.parameters()).device
    controls = {
        "label": W.ToggleButtons(
            options=list(range(10)), value=0, description="digit", style={"button_width": "36px"}
        ),
        "z1": _slider("style z1", limit),
        "z2": _slider("style z2", limit),
    }

    def draw(label, z1, z2):
        with torch.no_grad():
            image = torch.sigmoid(
                model.decode(torch.tensor([[z1, z2]], device=device), torch.tensor([label], device=device))
            )[0]
        return (
            image,
            f"p(x | z, y): digit {label}, style z = ({z1:.2f}, {z2:.2f})",
            {"label": label, "z1": z1, "z2": z2},
        )

    return live_widget(controls, draw, size=size, title="CVAE: one style code, the digit of your choice")


def code_map(
    codes: torch.Tensor, labels: torch.Tensor, prior_samples: torch.Tensor, extent: float, size: int = 168
) -> np.ndarray:
    """An RGB raster ``[size, size, 3]`` of the square [-extent, extent]^2: prior samples in grey,
    codes as 2x2 dots in the class palette (the y axis points up); grey
    and the cross's black are overlay colours that no class uses."""
    canvas = np.full((size, size, 3), 255, dtype=np.uint8)

    def pixels(z):
        z = z.detach().float().cpu().numpy()
        col = np.round((z[:, 0] + extent) / (2 * extent) * (size - 2)).astype(int)
        row = np.round((extent - z[:, 1]) / (2 * extent) * (size - 2)).astype(int)
        keep = (col >= 0) & (col < size - 1) & (row >= 0) & (row < size - 1)
        return row[keep], col[keep], keep

    r, c, _ = pixels(prior_samples)
    canvas[r, c] = 190
    r, c, keep = pixels(codes)
    colours = CLASS_RGB[labels.cpu().numpy()[keep]]
    for dr in (0, 1):
        for dc in (0, 1):
            canvas[r + dr, c + dc] = colours
    return canvas


def _with_cross(canvas: np.ndarray, z1: float, z2: float, extent: float) -> bytes:
    size = canvas.shape[0]
    image = canvas.copy()
    col = int(np.clip(round((z1 + extent) / (2 * extent) * (size - 2)), 0, size - 1))
    row = int(np.clip(round((extent - z2) / (2 * extent) * (size - 2)), 0, size - 1))
    image[row, max(0, col - 6) : col + 7] = 0
    image[max(0, row - 6) : row + 7, col] = 0
    buffer = io.BytesIO()
    PILImage.fromarray(image, mode="RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def aae_explorer(
    aaes: Mapping[str, torch.nn.Module], maps: Mapping[str, np.ndarray], extent: float = 6.0, size: int = 168
):
    """A "prior" dropdown over ``aaes`` (prior name -> trained AAE) and sliders "AAE z1", "AAE z2" in
    [-extent, extent]: shows the prior's code map (``maps[name]``, from :func:`code_map` with the same
    ``extent``) with a cross at z, and the chosen AAE's decoding of z.
    ``values()``: ``{"prior", "z1", "z2"}``.
    """
    if set(aaes) != set(maps):
        raise ValueError(f"aaes and maps name different priors: {sorted(aaes)} vs {sorted(maps)}")
    names = list(aaes)
    controls = {
        "prior": W.Dropdown(options=names, value=names[0], description="prior"),
        "z1": _slider("AAE z1", extent),
        "z2": _slider("AAE z2", extent),
    }

    def draw(prior, z1, z2):
        model = aaes[prior]
        device = next(model.parameters()).device
        image = decode_images(model, torch.tensor([[z1, z2]], device=device))[0]
        return (
            [_with_cross(maps[prior], z1, z2, extent), image],
            f"prior: {prior}; z = ({z1:.2f}, {z2:.2f}) decoded by that prior's AAE",
            {"prior": prior, "z1": z1, "z2": z2},
        )

    return live_widget(controls, draw, size=size, title="AAE: decode any point of the prior")
