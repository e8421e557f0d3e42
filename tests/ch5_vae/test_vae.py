"""Tests for notebook 5 (the VAE): the gradient estimators, and every slider of its widgets moved in
Python."""

import math

import pytest
import torch

from course_utils import losses, models, widgets
from course_utils.ch5_vae import gradient_estimators as ge

N_REPEATS = 4000


# ------------------------------------------------------------------ gradient estimators


@pytest.mark.parametrize("estimator", [ge.score_function_grad, ge.reparameterized_grad])
@pytest.mark.parametrize("f, mu, sigma, true_grad", [
    (lambda z: z ** 2, 2.0, 1.0, 4.0),                                      # d/dmu (mu^2 + sigma^2) = 2 mu
    (lambda z: z ** 2, -0.5, 0.3, -1.0),
    (torch.sin, 0.7, 0.8, math.cos(0.7) * math.exp(-0.32)),                 # d/dmu sin(mu) e^{-sigma^2/2}
])
def test_both_estimators_are_unbiased(estimator, f, mu, sigma, true_grad):
    g = estimator(f, mu, sigma, n_samples=8, n_repeats=N_REPEATS, seed=3)
    assert g.shape == (N_REPEATS,)
    standard_error = g.std().item() / math.sqrt(N_REPEATS)
    assert abs(g.mean().item() - true_grad) < 4 * standard_error + 1e-9


def test_variances_match_the_derivation_and_reparameterized_is_far_lower():
    """f = z^2, z ~ N(2, 1): per-sample variance 87 (score function) and 4 (reparameterized), divided by n."""
    results = ge.variance_vs_samples(lambda z: z ** 2, 2.0, 1.0, [1, 10, 100], n_repeats=N_REPEATS, seed=0)
    assert set(results) == {"score function", "reparameterized"}
    for name, per_sample in [("score function", 87.0), ("reparameterized", 4.0)]:
        r = results[name]
        assert r["n"] == [1, 10, 100]
        for n, v in zip(r["n"], r["var"]):
            assert v * n == pytest.approx(per_sample, rel=0.15)
    for s, p in zip(results["score function"]["var"], results["reparameterized"]["var"]):
        assert s > 10 * p


def test_score_function_handles_a_step_function_where_the_pathwise_gradient_is_zero():
    """f(z) = 1[z > 0]: the gradient of P(z > 0) = Phi(mu / sigma) is phi(mu / sigma) / sigma. The score
    function needs only f's values and gets it; the pathwise derivative of a step is 0 almost everywhere."""
    step = lambda z: (z > 0).double()  # noqa: E731
    mu, sigma = 0.3, 1.5
    truth = math.exp(-0.5 * (mu / sigma) ** 2) / math.sqrt(2 * math.pi) / sigma
    g = ge.score_function_grad(step, mu, sigma, n_samples=16, n_repeats=N_REPEATS, seed=1)
    assert abs(g.mean().item() - truth) < 4 * g.std().item() / math.sqrt(N_REPEATS)
    assert torch.all(ge.reparameterized_grad(step, mu, sigma, 16, 10, seed=1) == 0)


def test_estimators_are_reproducible_and_validate_arguments():
    a = ge.score_function_grad(torch.sin, 0.1, 1.0, 5, 7, seed=4)
    assert torch.equal(a, ge.score_function_grad(torch.sin, 0.1, 1.0, 5, 7, seed=4))
    assert not torch.equal(a, ge.score_function_grad(torch.sin, 0.1, 1.0, 5, 7, seed=5))
    with pytest.raises(ValueError):
        ge.reparameterized_grad(torch.sin, 0.0, 0.0, 5, 7)
    with pytest.raises(ValueError):
        ge.score_function_grad(torch.sin, 0.0, 1.0, 0, 7)


# ------------------------------------------------------------------ the notebook's widgets


@pytest.fixture(scope="module")
def vae20():
    torch.manual_seed(0)
    return models.VAE(20, hidden=(64,), device="cpu").eval()


@pytest.fixture(scope="module")
def digits():
    g = torch.Generator().manual_seed(0)
    return torch.rand(12, 1, 28, 28, generator=g) ** 3          # stand-in images in [0, 1]


def expected_png(model, z, size):
    return widgets.png_bytes(models.decode_images(model, z[None])[0], size)


def test_latent_explorer_on_the_most_active_of_20_dims(vae20, digits):
    """The notebook ranks the 20 dimensions by average KL and gives sliders to the top ones, the others
    at 0."""
    with torch.no_grad():
        mu, logvar = vae20.encode(digits)
        kl_per_dim = (0.5 * (mu.pow(2) + logvar.exp() - logvar - 1)).mean(0)
    assert torch.isclose(kl_per_dim.sum(), losses.kl_std_normal(mu, logvar).mean(), rtol=1e-4)
    active = torch.argsort(kl_per_dim, descending=True)[:6].tolist()
    box = widgets.latent_explorer(vae20, dims=active)
    assert list(box.controls) == [f"z{d + 1}" for d in active]
    assert [s.description for s in box.controls.values()] == [f"z{d + 1}" for d in active]
    assert box.image.value == expected_png(vae20, torch.zeros(20), 168)         # starts at the prior's mean
    z = torch.zeros(20)
    for value, d in zip([1.5, -2.0, 0.75, 2.5, -1.0, 3.0], active):
        before = box.image.value
        box.controls[f"z{d + 1}"].value = value
        z[d] = value
        assert box.image.value != before, f"moving z{d + 1} did not redraw"
        assert torch.equal(torch.tensor(box.values()["code"]), z)                # inactive dims stay at 0
        assert box.image.value == expected_png(vae20, z, 168)


def test_latent_explorer_2d_sliders_are_z1_and_z2():
    torch.manual_seed(1)
    vae2 = models.VAE(2, hidden=(32,), device="cpu").eval()
    box = widgets.latent_explorer(vae2)
    assert [s.description for s in box.controls.values()] == ["z1", "z2"]
    for d, value in [(0, -2.0), (1, 1.25)]:
        before = box.image.value
        box.controls[f"z{d + 1}"].value = value
        assert box.image.value != before
    assert box.image.value == expected_png(vae2, torch.tensor([-2.0, 1.25]), 168)


def test_interpolation_picker_endpoints_reproduce_the_decoded_endpoints(vae20, digits):
    picker = widgets.interpolation_picker(vae20, digits, 2, 7)
    codes = models.latent_codes(vae20, digits)                     # mu for a VAE
    alpha = picker.controls["alpha"]
    pixel_image, decoded_image = picker.images

    def check(i_a, i_b):
        alpha.value = 1.0
        assert decoded_image.value == expected_png(vae20, codes[i_b], 140)
        assert pixel_image.value == widgets.png_bytes(digits[i_b], 140)
        alpha.value = 0.5
        assert decoded_image.value == expected_png(vae20, 0.5 * codes[i_a] + 0.5 * codes[i_b], 140)
        alpha.value = 0.0
        assert decoded_image.value == expected_png(vae20, codes[i_a], 140)
        assert pixel_image.value == widgets.png_bytes(digits[i_a], 140)
        assert picker.values() == {"index0": i_a, "index1": i_b, "alpha": 0.0}

    check(2, 7)
    picker.controls["index0"].value = 5                           # a new digit A
    check(5, 7)
    picker.controls["index1"].value = 11
    check(5, 11)
    assert picker.controls["index1"].max == len(digits) - 1


def test_mean_redraw_ms_moves_the_slider_and_is_live(vae20):
    box = widgets.latent_explorer(vae20, dims=[0, 1])
    ms = widgets.mean_redraw_ms(box.controls["z1"], [1.0, -1.0, 0.5])
    assert box.controls["z1"].value == 0.5
    assert box.image.value == expected_png(vae20, torch.tensor([0.5] + [0.0] * 19), 168)
    assert 0 < ms < 1000
