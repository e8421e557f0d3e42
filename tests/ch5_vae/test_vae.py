"""Tests for notebook 5 (the VAE): the gradient estimators, and every slider of its widgets moved in
Python."""

import math

import pytest
import torch

from course_utils import data, losses, models, widgets
from course_utils.ch5_vae import gaussian_decoder
from course_utils.ch5_vae import gradient_estimators as ge
from course_utils.ch5_vae import widgets as vae_widgets

N_REPEATS = 4000


# ------------------------------------------------------------------ gradient estimators


@pytest.mark.parametrize("estimator", [ge.score_function_grad, ge.reparameterized_grad])
@pytest.mark.parametrize(
    "f, mu, sigma, true_grad",
    [
        (lambda z: z**2, 2.0, 1.0, 4.0),  # d/dmu (mu^2 + sigma^2) = 2 mu
        (lambda z: z**2, -0.5, 0.3, -1.0),
        (torch.sin, 0.7, 0.8, math.cos(0.7) * math.exp(-0.32)),  # d/dmu sin(mu) e^{-sigma^2/2}
    ],
)
def test_both_estimators_are_unbiased(estimator, f, mu, sigma, true_grad):
    g = estimator(f, mu, sigma, n_samples=8, n_repeats=N_REPEATS, seed=3)
    assert g.shape == (N_REPEATS,)
    standard_error = g.std().item() / math.sqrt(N_REPEATS)
    assert abs(g.mean().item() - true_grad) < 4 * standard_error + 1e-9


def test_variances_match_the_derivation_and_reparameterized_is_far_lower():
    """f = z^2, z ~ N(2, 1): per-sample variance 87 (score function) and 4 (reparameterized), divided by n."""
    results = ge.variance_vs_samples(lambda z: z**2, 2.0, 1.0, [1, 10, 100], n_repeats=N_REPEATS, seed=0)
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
    return torch.rand(12, 1, 28, 28, generator=g) ** 3  # stand-in images in [0, 1]


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
    assert box.image.value == expected_png(vae20, torch.zeros(20), 168)  # starts at the prior's mean
    z = torch.zeros(20)
    for value, d in zip([1.5, -2.0, 0.75, 2.5, -1.0, 3.0], active):
        before = box.image.value
        box.controls[f"z{d + 1}"].value = value
        z[d] = value
        assert box.image.value != before, f"moving z{d + 1} did not redraw"
        assert torch.equal(torch.tensor(box.values()["code"]), z)  # inactive dims stay at 0
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
    codes = models.latent_codes(vae20, digits)  # mu for a VAE
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
    picker.controls["index0"].value = 5  # a new digit A
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


# ------------------------------------------------------------------ gradient estimators on an encoder


def test_encoder_gradient_estimates_match_the_analytic_means_and_variances():
    """f(z) = z^2, mu = 2, sigma = 1: d/dmu E f = 4 (variances 4 and 87, as for the scalar estimators) and
    d/dlogvar E f = sigma^2 = 1 (variances 6 and 86.5, from the normal moments E eps^2k = 1, 3, 15, 105)."""
    mu, logvar = torch.full((1, 1), 2.0, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    est = ge.encoder_gradient_estimates(
        lambda z: (z**2).sum(-1), mu, logvar, 400_000, generator=torch.Generator().manual_seed(0)
    )
    expected = {
        ("reparameterized", "mu"): (4.0, 4.0),
        ("score function", "mu"): (4.0, 87.0),
        ("reparameterized", "logvar"): (1.0, 6.0),
        ("score function", "logvar"): (1.0, 86.5),
    }
    for (name, part), (mean, var) in expected.items():
        g = est[name][part].flatten()
        assert abs(g.mean() - mean) < 4 * math.sqrt(var / g.numel()), (name, part)
        assert abs(g.var() / var - 1) < 0.05, (name, part, g.var())
    for part, mean in (("mu", 4.0), ("logvar", 1.0)):  # the baseline keeps it unbiased, lowers the variance
        g = est["score function, baseline"][part].flatten()
        assert abs(g.mean() - mean) < 0.1 and g.var() < 0.7 * est["score function"][part].var()


def test_encoder_gradient_estimates_on_a_vae_agree_with_autograd_and_the_bce():
    torch.manual_seed(0)
    vae = models.VAE(3, hidden=(16,), device="cpu").eval()
    x = data.binarize(torch.rand(4, 1, 28, 28), generator=torch.Generator().manual_seed(1))
    log_lik = ge.bernoulli_log_lik(vae, x)
    z = torch.randn(5, 4, 3)
    with torch.no_grad():
        direct = torch.stack([-losses.bernoulli_nll(vae.decode(z[s]), x) for s in range(5)])
    assert torch.allclose(log_lik(z), direct, atol=1e-4)
    with torch.no_grad():
        mu, logvar = vae.encode(x)
    est = ge.encoder_gradient_estimates(log_lik, mu, logvar, 6, generator=torch.Generator().manual_seed(2))
    eps = torch.randn(6, 4, 3, generator=torch.Generator().manual_seed(2))
    zs = (mu + torch.exp(0.5 * logvar) * eps).requires_grad_()
    (g,) = torch.autograd.grad(log_lik(zs)[0, 1], zs)  # one sample's own gradient
    assert torch.allclose(est["reparameterized"]["mu"][0, 1], g[0, 1], atol=1e-5)
    assert est["score function"]["mu"].shape == (6, 4, 3)
    with pytest.raises(ValueError):
        ge.encoder_gradient_estimates(log_lik, mu, logvar, 1)
    with pytest.raises(ValueError):
        ge.encoder_gradient_estimates(log_lik, mu, logvar[:, :2], 4)


# ------------------------------------------------------------------ Gaussian decoder: sigma^2 is a beta


def test_gaussian_vae_loss_is_the_normal_log_density_and_a_beta_vae():
    torch.manual_seed(0)
    vae = models.VAE(4, hidden=(16,), device="cpu")
    x = torch.rand(5, 1, 28, 28)
    for sigma in (1.0, 0.1):
        torch.manual_seed(1)
        out = gaussian_decoder.gaussian_vae_loss(sigma)(vae, x)
        torch.manual_seed(1)
        logits, _, _ = vae(x)
        mean = torch.sigmoid(logits)
        ref = -torch.distributions.Normal(mean, sigma).log_prob(x).flatten(1).sum(1)
        assert torch.allclose(out["recon"], ref, rtol=1e-5)
        assert torch.allclose(out["sse"], (mean - x).pow(2).flatten(1).sum(1))
        # sigma^2 * loss = sse / 2 + sigma^2 * KL + a constant: a beta-VAE with beta = sigma^2
        const = sigma**2 * 784 * (math.log(sigma) + 0.5 * math.log(2 * math.pi))
        assert torch.allclose(
            sigma**2 * out["loss"], out["sse"] / 2 + sigma**2 * out["kl"] + const, rtol=1e-5
        )
    with pytest.raises(ValueError):
        gaussian_decoder.gaussian_vae_loss(0.0)


def test_gaussian_decoder_vae_trains_once_then_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x = torch.rand(64, 1, 28, 28)
    model, hist = gaussian_decoder.gaussian_decoder_vae(0.3, 3, x, x[:16], hidden=(8,), epochs=2)
    assert len(hist["test_kl"]) == 2 and "test_sse" in hist
    again, hist2 = gaussian_decoder.gaussian_decoder_vae(0.3, 3, x, x[:16], hidden=(8,), epochs=2)
    assert hist2 == hist and all(
        torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values())
    )
    assert len(list(tmp_path.glob("gvae3d-sigma0.3-*.pt"))) == 1
    other, _ = gaussian_decoder.gaussian_decoder_vae(0.3, 3, 1 - x, x[:16], hidden=(8,), epochs=2)
    assert len(list(tmp_path.glob("gvae3d-sigma0.3-*.pt"))) == 2  # other digits of the same size
    assert not torch.equal(other.decoder[-1].bias, model.decoder[-1].bias)


# ------------------------------------------------------------------ the model picker (dropdown / slider)


def test_model_picker_redraws_the_chosen_models_reconstructions():
    torch.manual_seed(0)
    ms = {d: models.VAE(d, hidden=(16,), device="cpu").eval() for d in (2, 5)}
    x = torch.rand(3, 1, 28, 28)
    numbers = {2: {"KL": 1.0}, 5: {"KL": 2.5}}
    box = vae_widgets.model_picker(ms, x, numbers, name="latent d")
    first = box.image.value
    box.controls["latent d"].value = 5
    assert (
        box.image.value != first and box.values() == {"KL": 2.5, "label": 5} and "2.50" in box.readout.value
    )
    z = torch.randn(3, 5, generator=torch.Generator().manual_seed(0))
    expected = vae_widgets.mosaic(
        [x, models.decode_images(ms[5], models.latent_codes(ms[5], x)), models.decode_images(ms[5], z)]
    )
    assert box.image.value == widgets.png_bytes(expected, 560)
    slider = vae_widgets.model_picker(ms, x, numbers, name="σ", slider=True, n_samples=0)
    assert type(slider.controls["σ"]).__name__ == "SelectionSlider"
    with pytest.raises(ValueError):
        vae_widgets.model_picker(ms, x, {2: {}}, name="d")
    with pytest.raises(ValueError):
        vae_widgets.mosaic([x, x[:2]])


def test_active_units_is_one_definition_shared_with_the_lab():
    from course_utils.ch5_vae import latent_use
    from course_utils.ch7_vae_lab import collapse

    assert collapse.active_units is latent_use.active_units and collapse.ACTIVE_THRESHOLD == 1e-2
    mu = torch.zeros(50, 3)
    mu[:, 0] = torch.linspace(-1, 1, 50)  # variance ~0.35: active
    mu[:, 1] = torch.linspace(-0.05, 0.05, 50)  # variance ~9e-4: inactive
    count, variances = latent_use.active_units(mu)
    assert count == 1 and variances.shape == (3,)
