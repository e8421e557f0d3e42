"""Tests for notebook 7 (the VAE lab): β objectives, collapse measures and fixes, decoder likelihoods,
uses."""

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from course_utils import losses, models
from course_utils.ch7_vae_lab import collapse, lab, likelihoods, uses


@pytest.fixture(scope="module")
def vae():
    torch.manual_seed(0)
    return models.VAE(4, hidden=(32,), device="cpu")


@pytest.fixture(scope="module")
def digits():
    return torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0)) ** 3


# ------------------------------------------------------------------ collapse: active units


def test_active_units_counts_dimensions_whose_mean_varies_across_the_data():
    g = torch.Generator().manual_seed(0)
    scales = torch.tensor([1.0, 0.5, 0.2, 0.05, 0.01, 0.0])  # variances 1, 0.25, 0.04, 0.0025, 1e-4, 0
    mu = torch.randn(20_000, 6, generator=g) * scales + 3.0  # a constant offset does not count
    count, variances = collapse.active_units(mu)
    assert count == 3
    assert torch.allclose(variances, scales**2, rtol=0.05, atol=1e-6)
    assert collapse.active_units(mu, threshold=1e-3)[0] == 4
    with pytest.raises(ValueError):
        collapse.active_units(torch.zeros(1, 3))


def test_beta_vae_loss_weights_only_the_kl(vae, digits):
    torch.manual_seed(1)
    one = collapse.beta_vae_loss(1.0)(vae, digits)
    torch.manual_seed(1)
    reference = losses.vae_loss(vae, digits)
    torch.manual_seed(1)
    five = collapse.beta_vae_loss(5.0)(vae, digits)
    assert torch.allclose(one["loss"], reference["loss"])
    assert torch.allclose(five["loss"], five["recon"] + 5 * five["kl"])
    assert torch.allclose(five["kl"], one["kl"]) and torch.allclose(five["recon"], one["recon"])
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            collapse.beta_vae_loss(bad)


def test_free_bits_costs_nothing_below_the_floor_and_the_kl_above_it():
    mu = torch.tensor([[0.1, 2.0], [-0.1, 2.0]], requires_grad=True)
    logvar = torch.zeros(2, 2, requires_grad=True)
    # per-dimension batch-mean KL: 0.005 (below 0.5: costs 0.5, no gradient) and 2.0 (above: counted)
    fb = collapse.free_bits_kl(mu, logvar, 0.5)
    assert fb.item() == pytest.approx(0.5 + 2.0)
    fb.backward()
    assert torch.all(mu.grad[:, 0] == 0) and torch.all(mu.grad[:, 1] != 0)
    assert collapse.free_bits_kl(mu, logvar, 0.0).item() == pytest.approx(0.005 + 2.0)
    with pytest.raises(ValueError):
        collapse.free_bits_kl(mu, logvar, -1.0)


def test_free_bits_loss_is_the_beta_loss_when_every_dimension_is_above_the_floor(vae, digits):
    torch.manual_seed(2)
    fb = collapse.free_bits_loss(3.0, 0.0)(vae, digits)
    torch.manual_seed(2)
    plain = collapse.beta_vae_loss(3.0)(vae, digits)
    assert fb["loss"].dim() == 0
    assert fb["loss"].item() == pytest.approx(plain["loss"].mean().item(), rel=1e-5)


def test_kl_warmup_ramps_the_weight_during_training_steps_only(vae, digits):
    warm = collapse.KLWarmup(2.0, warmup_steps=4)
    vae.train()
    weights = []
    for _ in range(6):
        weights.append(warm.weight)
        out = warm(vae, digits)
        assert torch.allclose(out["loss"], out["recon"] + weights[-1] * out["kl"])
    assert weights == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]
    vae.eval()
    warm(vae, digits)
    assert warm.step == 6  # evaluation does not advance the schedule
    with pytest.raises(ValueError):
        collapse.KLWarmup(1.0, 0)


# ------------------------------------------------------------------ likelihoods


@pytest.mark.parametrize(
    "lam", [1e-6, 0.01, 0.2, 0.45, 0.499, 0.4999999, 0.5, 0.5000001, 0.501, 0.7, 0.99, 1 - 1e-6]
)
def test_cb_normalizer_makes_the_density_integrate_to_one(lam):
    """log C(λ) = -log ∫_0^1 λ^x (1-λ)^(1-x) dx, checked by numerical integration (also next to λ = 0.5)."""
    logit = torch.tensor(math.log(lam / (1 - lam)), dtype=torch.float64)
    x = torch.linspace(0, 1, 200_001, dtype=torch.float64)
    integral = torch.trapezoid(torch.exp(x * logit - torch.nn.functional.softplus(logit)), x)
    assert likelihoods.cb_log_normalizer(logit).item() == pytest.approx(-math.log(integral.item()), abs=1e-8)


def test_cb_normalizer_is_stable_near_one_half_in_float32_with_finite_gradients():
    logits = torch.tensor(
        [-1e-2, -1e-3, -1e-7, 0.0, 1e-7, 1e-3, 0.0099, 0.0101, 30.0, -30.0], requires_grad=True
    )
    values = likelihoods.cb_log_normalizer(logits)
    exact = [math.log(v / math.tanh(v / 2)) if v else math.log(2) for v in logits.detach().double().tolist()]
    assert torch.allclose(values.double(), torch.tensor(exact, dtype=torch.float64), atol=1e-6)
    values.sum().backward()
    assert torch.isfinite(logits.grad).all()
    assert logits.grad[3].item() == pytest.approx(0.0, abs=1e-6)  # log C is even in the logit
    with pytest.raises(ValueError):
        likelihoods.cb_log_normalizer(torch.tensor([float("nan")]))


@pytest.mark.parametrize("logit", [-8.0, -1.0, -1e-3, 0.0, 2e-3, 0.5, 6.0])
def test_cb_mean_by_numerical_integration(logit):
    x = torch.linspace(0, 1, 100_001, dtype=torch.float64)
    density = torch.exp(x * logit)
    mean = torch.trapezoid(x * density, x) / torch.trapezoid(density, x)
    assert likelihoods.cb_mean(torch.tensor(logit, dtype=torch.float64)).item() == pytest.approx(
        mean.item(), abs=1e-7
    )


def test_cb_nll_is_bce_minus_the_normalizer_and_matches_torch():
    logits = torch.randn(3, 1, 28, 28)
    x = torch.rand(3, 1, 28, 28).clamp(1e-4, 1 - 1e-4)
    ours = likelihoods.continuous_bernoulli_nll(logits, x)
    ref = (
        -torch.distributions.ContinuousBernoulli(logits=logits.double())
        .log_prob(x.double())
        .flatten(1)
        .sum(1)
    )
    assert ours.shape == (3,)
    assert torch.allclose(ours.double(), ref, rtol=1e-4, atol=1e-2)


def test_gaussian_decoders(vae, digits):
    logits = torch.randn(16, 1, 28, 28)
    fixed = likelihoods.gaussian_nll_fixed(0.1)(vae, logits, digits)
    assert torch.allclose(fixed, losses.gaussian_nll(torch.sigmoid(logits), digits, 2 * math.log(0.1)))
    with pytest.raises(ValueError):
        likelihoods.gaussian_nll_fixed(0.0)
    for per_pixel, shape in [(False, ()), (True, (1, 28, 28))]:
        torch.manual_seed(0)
        m = likelihoods.LearnedSigmaVAE(4, hidden=(32,), per_pixel=per_pixel, device="cpu")
        assert m.raw_log_sigma.shape == shape
        with torch.no_grad():
            m.raw_log_sigma.fill_(-20.0)
        assert torch.all(m.log_sigma() == math.log(likelihoods.MIN_SIGMA))  # the floor
        nll = likelihoods.gaussian_nll_learned(m, logits, digits)
        assert torch.allclose(nll, losses.gaussian_nll(torch.sigmoid(logits), digits, 2 * math.log(1e-3)))
        loss = likelihoods.decoder_vae_loss(likelihoods.gaussian_nll_learned)(m, digits)["loss"].mean()
        with torch.no_grad():
            m.raw_log_sigma.fill_(math.log(0.2) / likelihoods.LOG_SIGMA_SPEED)
        assert m.log_sigma().exp().mean().item() == pytest.approx(0.2)
        loss = likelihoods.decoder_vae_loss(likelihoods.gaussian_nll_learned)(m, digits)["loss"].mean()
        loss.backward()
        assert m.raw_log_sigma.grad is not None and torch.isfinite(m.raw_log_sigma.grad).all()


def test_elbo_with_bernoulli_is_the_course_elbo(vae, digits):
    x = (digits > 0.5).float()
    torch.manual_seed(3)
    ours = likelihoods.elbo_with(vae, likelihoods.bernoulli_nll, x, n_samples=3)
    torch.manual_seed(3)
    ref = losses.elbo(vae, x, n_samples=3)
    assert torch.allclose(ours, ref, atol=1e-3)


def test_decoder_vae_loss_applies_the_transform_to_encoder_and_decoder(vae, digits):
    seen = []

    def nll(model, logits, x):
        seen.append(x)
        return losses.bernoulli_nll(logits, x)

    out = likelihoods.decoder_vae_loss(nll, transform=lambda x: (x > 0.5).float())(vae, digits)
    assert set(out) == {"loss", "recon", "kl"} and out["loss"].shape == (16,)
    assert torch.equal(seen[0], (digits > 0.5).float())


def test_dequantization_stays_in_the_grey_level_bin():
    levels = torch.arange(256, dtype=torch.float32).repeat(4) / 255
    noisy = likelihoods.dequantize(levels, generator=torch.Generator().manual_seed(0))
    assert torch.all(noisy >= levels * 255 / 256) and torch.all(noisy < (levels * 255 + 1) / 256)
    assert torch.equal(noisy, likelihoods.dequantize(levels, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError):
        likelihoods.dequantize(levels + 1)
    assert pytest.approx(784 * math.log(256)) == likelihoods.DEQUANTIZATION_OFFSET


def test_sharpness_is_high_for_strokes_and_zero_for_flat_images():
    flat = torch.full((2, 1, 28, 28), 0.3)
    stripes = torch.zeros(1, 1, 28, 28)
    stripes[..., ::2] = 1.0  # every second column on
    assert torch.allclose(likelihoods.sharpness(flat), torch.zeros(2))
    assert likelihoods.sharpness(stripes).item() == pytest.approx(0.5)  # across: 1, down: 0
    blurred = torch.nn.functional.avg_pool2d(stripes, 3, stride=1, padding=1)
    assert likelihoods.sharpness(blurred) < likelihoods.sharpness(stripes)
    with pytest.raises(ValueError):
        likelihoods.sharpness(torch.zeros(28, 28))


# ------------------------------------------------------------------ uses: retrieval, anomaly detection


def test_nearest_neighbours_match_brute_force_and_skip_self():
    g = torch.Generator().manual_seed(0)
    db = torch.randn(50, 3, generator=g)
    nn_idx = uses.nearest_neighbours(db, db, 4, exclude_self=True, chunk=7)
    d = torch.cdist(db, db)
    d.fill_diagonal_(float("inf"))
    assert torch.equal(nn_idx, d.topk(4, largest=False).indices)
    q = torch.randn(5, 3, generator=g)
    assert torch.equal(uses.nearest_neighbours(q, db, 1)[:, 0], torch.cdist(q, db).argmin(1))
    with pytest.raises(ValueError):
        uses.nearest_neighbours(db, db, 50, exclude_self=True)
    with pytest.raises(ValueError):
        uses.nearest_neighbours(q, db, 2, exclude_self=True)


def test_precision_at_k_on_separated_and_on_random_clusters():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(5).repeat_interleave(30)
    separated = torch.randn(150, 2, generator=g) * 0.1 + labels[:, None].float() * 10
    assert uses.precision_at_k(separated, labels, k=10).mean().item() == 1.0
    random = torch.randn(150, 2, generator=g)
    assert uses.precision_at_k(random, labels, k=10).mean().item() < 0.4  # chance is 29/149
    with pytest.raises(ValueError):
        uses.precision_at_k(random, labels[:-1])


def test_roc_auc_matches_scikit_learn_with_ties():
    g = torch.Generator().manual_seed(0)
    normal = torch.randn(300, generator=g).round(decimals=1)
    anomalous = (torch.randn(200, generator=g) + 1).round(decimals=1)
    truth = np.r_[np.zeros(300), np.ones(200)]
    expected = roc_auc_score(truth, torch.cat([normal, anomalous]).numpy())
    assert uses.roc_auc(normal, anomalous) == pytest.approx(expected, abs=1e-12)
    assert uses.roc_auc(torch.zeros(3), torch.ones(2)) == 1.0
    assert uses.roc_auc(torch.ones(3), torch.ones(2)) == 0.5
    with pytest.raises(ValueError):
        uses.roc_auc(torch.zeros(0), torch.ones(2))


# ------------------------------------------------------------------ the lab's cached models


def test_lab_models_are_keyed_by_their_objective(tmp_path, monkeypatch, capsys, digits):
    """The key comes from the loss function itself: its beta, its warm-up schedule's state."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))

    def weights(model):
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    beta1, _ = lab.trained("beta", collapse.beta_vae_loss(1.0), digits, epochs=3)
    again, _ = lab.trained("beta", collapse.beta_vae_loss(1.0), digits, epochs=3)
    assert "Loaded the trained 'lab-beta'" in capsys.readouterr().out
    assert torch.equal(weights(beta1), weights(again))
    beta3, _ = lab.trained("beta", collapse.beta_vae_loss(3.0), digits, epochs=3)
    lab.trained("warm", collapse.KLWarmup(3.0, 10), digits, epochs=1)
    lab.trained("warm", collapse.KLWarmup(3.0, 20), digits, epochs=1)
    assert "Loaded" not in capsys.readouterr().out
    assert not torch.equal(weights(beta1), weights(beta3))
