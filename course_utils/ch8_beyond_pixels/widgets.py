"""Notebook 8's live widgets: the completion picker and the shared-z comparison of two decoders."""

from __future__ import annotations

import ipywidgets as W
import torch

from course_utils import plots
from course_utils.ch8_beyond_pixels import completion
from course_utils.i18n import tr, translate
from course_utils.models import decode_images
from course_utils.widgets import LiveWidget, slider


def completion_picker(regressor, cvae, images: torch.Tensor, n_completions: int = 4, size: int = 560):
    """Pick a test image; see its truth, the regressor's one completion and ``n_completions`` CVAE ones.
    The button "draw another completion" draws new z (the draw number is in ``numbers["draw"]``)."""
    state = {"draw": 0}
    controls = {"index": W.BoundedIntText(value=0, min=0, max=len(images) - 1, description="test image")}

    def draw(index: int):
        x = images[index : index + 1]
        g = torch.Generator().manual_seed(state["draw"])
        with torch.no_grad():
            mean = completion.regress(regressor, x)
            drawn = completion.complete(cvae, x, n_completions, generator=g)[:, 0]
        errors = completion.hidden_squared_error(drawn, x.expand(n_completions, -1, -1, -1))
        row = torch.cat([x, mean, drawn])
        readout = tr(
            "truth | regressor's mean (error {error:.1f}) | {n} CVAE completions (best error {best:.1f}), "
            "draw {draw}",
            error=completion.hidden_squared_error(mean, x).item(),
            n=n_completions,
            best=errors.min().item(),
            draw=state["draw"],
        )
        return (
            plots.tile(row, nrow=len(row)),
            readout,
            {"index": index, "draw": state["draw"], "best_error": errors.min().item()},
        )

    def another():
        state["draw"] += 1

    return LiveWidget(
        controls, draw, size=size, placement="above", buttons={"draw another completion": another}
    )


def shared_z_samples(models: dict, latent_dim: int, n_sliders: int = 4, size: int = 168):
    """One set of z sliders (the first ``n_sliders`` dimensions; the rest are 0) decoding through each of
    ``models`` (name -> a VAE-like model) side by side."""
    names = list(models)
    controls = {
        f"z{i + 1}": slider(f"z{i + 1}", min=-3, max=3, step=0.1, value=0.0) for i in range(n_sliders)
    }

    def draw(**values):
        z = torch.zeros(1, latent_dim)
        z[0, :n_sliders] = torch.tensor([values[f"z{i + 1}"] for i in range(n_sliders)])
        pictures = []
        for model in models.values():
            pictures.append(decode_images(model, z.to(next(model.parameters()).device))[0])
        return pictures, " | ".join(map(translate, names)), {"z": z[0].tolist()}

    return LiveWidget(controls, draw, size=size, captions=names)
