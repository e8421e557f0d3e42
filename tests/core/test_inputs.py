"""Inputs checked at the door: widgets, models and losses take float images in [0, 1] of the documented
shape, convert what is unambiguous (arrays, lists, float64, integer labels) and name the rest in one line."""

import numpy as np
import pytest
import torch

from course_utils import losses, models, widgets
from course_utils.ch1_mle import widgets as mle_widgets
from course_utils.ch2_manifold import widgets as manifold_widgets
from course_utils.ch3_autoencoders import widgets as autoencoders_widgets
from course_utils.ch5_vae import widgets as vae_widgets
from course_utils.ch6_conditional import cvae


def digits(n=4):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def raw_mnist(n=4):
    """What ``torchvision.datasets.MNIST(...).data`` holds: uint8 [N, 28, 28] in 0..255."""
    return (digits(n)[:, 0] * 255).round().to(torch.uint8)


UINT8 = (
    r"images is uint8 with values in \[\d+, 255\] \(raw pixels\); "
    r"images are floats in \[0, 1\]: pass images.float\(\) / 255"
)
RANGE_255 = r"must lie in \[0, 1\], got \[.*, 25\d\]; divide 0-255 pixels by 255"


@pytest.fixture
def vae():
    return models.VAE(2, hidden=(16,), device="cpu")


def test_interpolation_picker_names_raw_mnist_bytes_and_0_255_floats(vae):
    with pytest.raises(ValueError, match=UINT8):
        widgets.interpolation_picker(vae, raw_mnist())
    with pytest.raises(ValueError, match="images " + RANGE_255):
        widgets.interpolation_picker(vae, raw_mnist().float())
    with pytest.raises(ValueError, match="images contains NaN or infinite values"):
        widgets.interpolation_picker(vae, digits().index_fill(0, torch.tensor([2]), float("nan")))
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 1, 28, 28\] .* rows is \[10\]"):
        widgets.interpolation_picker(vae, torch.rand(4, 10))
    assert widgets.interpolation_picker(vae, digits().numpy()).values()["index1"] == 1  # an array is fine


def test_interpolation_slider_and_latent_explorer_name_their_inputs(vae):
    with pytest.raises(ValueError, match="x0 " + RANGE_255):
        widgets.interpolation_slider(vae, digits(1)[0] * 255, digits(1)[0])
    with pytest.raises(ValueError, match=r"x1 is a bool tensor; .* pass x1.float\(\)"):
        widgets.interpolation_slider(vae, digits(1)[0], digits(1)[0] > 0.5)
    with pytest.raises(ValueError, match="z0 contains NaN or infinite values"):
        widgets.latent_explorer(vae, z0=torch.tensor([0.0, float("nan")]))


def test_chapter_widgets_name_raw_0_255_images(vae):
    ae = models.Autoencoder(2, hidden=(16,), device="cpu")
    with pytest.raises(ValueError, match=r"x is uint8 .* pass x.float\(\) / 255"):
        autoencoders_widgets.denoising_explorer({"ae": ae}, raw_mnist())
    with pytest.raises(ValueError, match="image " + RANGE_255):
        mle_widgets.mse_pitfall_widget(raw_mnist(1)[0].float())
    with pytest.raises(ValueError, match=r"real is uint8 .* pass real.float\(\) / 255"):
        manifold_widgets.random_images_widget(raw_mnist(), digits())
    with pytest.raises(ValueError, match=UINT8):
        vae_widgets.model_picker({"a": vae}, raw_mnist(), {"a": {}})


@pytest.mark.parametrize(
    "x, message",
    [
        (raw_mnist(), r"x is uint8 with values in \[\d+, 255\] \(raw pixels\); .* pass x.float\(\) / 255"),
        (digits() > 0.5, r"x is a bool tensor; images are floats in \[0, 1\]: pass x.float\(\)"),
        (torch.zeros(0, 1, 28, 28), r"x is empty \(shape \[0, 1, 28, 28\]\)"),
        (digits()[0, 0], r"each of its rows is \[28\]; one image\? pass x\[None\]"),
        (digits().permute(0, 2, 3, 1), r"channels last\? pass x.permute\(0, 3, 1, 2\)"),
        ("digits", "x must be a torch tensor, got str"),
    ],
)
def test_the_models_name_what_they_cannot_take(vae, x, message):
    with pytest.raises((ValueError, TypeError), match=message):
        vae(x)


def test_the_models_take_float64_arrays_and_lists_as_their_float32_tensor():
    ae = models.Autoencoder(2, hidden=(16,), device="cpu")
    x = digits()
    expected = ae(x)
    for same in (x.double(), x.double().numpy(), x.numpy().tolist()):
        assert torch.equal(ae(same), expected)
    assert torch.equal(models.latent_codes(ae, x.numpy()), models.latent_codes(ae, x))


def test_the_losses_convert_float64_targets_and_name_bytes_bools_and_empty_batches():
    logits, x = torch.randn(3, 784), torch.rand(3, 784)
    assert torch.equal(losses.bernoulli_nll(logits, x.double()), losses.bernoulli_nll(logits, x))
    assert torch.equal(losses.bernoulli_nll(logits, x.numpy()), losses.bernoulli_nll(logits, x))
    with pytest.raises(ValueError, match=r"bernoulli_nll: x is uint8 .* pass x.float\(\) / 255$"):
        losses.bernoulli_nll(logits, (x * 255).to(torch.uint8))
    with pytest.raises(ValueError, match=r"bernoulli_nll: targets must lie in \[0, 1\], got .*divide 0-255"):
        losses.bernoulli_nll(logits, x * 255)
    with pytest.raises(ValueError, match="bernoulli_nll: x is a bool tensor"):
        losses.bernoulli_nll(logits, x > 0.5)
    with pytest.raises(ValueError, match=r"kl_std_normal: mu is empty \(shape \[0, 2\]\)"):
        losses.kl_std_normal(torch.zeros(0, 2), torch.zeros(0, 2))
    with pytest.raises(ValueError, match=r"gaussian_nll: x is empty"):
        losses.gaussian_nll(torch.zeros(2, 5), np.zeros((0, 5), dtype=np.float32))


def test_one_hot_takes_labels_of_any_integer_type():
    y = torch.tensor([0, 3, 9])
    for labels in (y.int(), y.short(), y.to(torch.uint8)):
        assert torch.equal(cvae.one_hot(labels), torch.nn.functional.one_hot(y, 10).float())
