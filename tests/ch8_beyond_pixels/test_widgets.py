"""Notebook 8's widgets, moved in Python: every control and the button redraw."""

import torch

from course_utils.ch8_beyond_pixels import completion, widgets
from course_utils.models import IMAGE_SHAPE, VAE


def test_completion_picker_redraws_on_the_index_and_on_another_draw():
    torch.manual_seed(0)
    reg = completion.Regressor(hidden=(8,), device="cpu")
    cvae = completion.CompletionCVAE(latent_dim=2, hidden=(8,), device="cpu")
    images = torch.rand(3, *IMAGE_SHAPE)
    box = widgets.completion_picker(reg, cvae, images, n_completions=3)
    first = box.image.value
    assert box.numbers["draw"] == 0 and "regressor's mean" in box.readout.value
    box.buttons["draw another completion"].click()
    assert box.numbers["draw"] == 1 and box.image.value != first
    box.controls["index"].value = 2
    assert box.numbers["index"] == 2


def test_shared_z_samples_moves_every_model_with_one_slider():
    torch.manual_seed(0)
    models = {"pixel VAE": VAE(4, hidden=(8,), device="cpu"), "VAE/GAN": VAE(4, hidden=(8,), device="cpu")}
    box = widgets.shared_z_samples(models, latent_dim=4, n_sliders=2)
    before = [image.value for image in box.images]
    box.controls["z1"].value = 2.0
    assert box.numbers["z"][:2] == [2.0, 0.0]
    assert all(image.value != old for image, old in zip(box.images, before)) and len(box.images) == 2
