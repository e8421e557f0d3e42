"""course_utils.losses against torch's own implementations, closed forms and Monte Carlo."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from course_utils import losses, models


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def test_bernoulli_nll_is_bce_with_logits_summed_over_pixels(gen):
    logits = torch.randn(5, 1, 28, 28, generator=gen) * 3
    x = torch.rand(5, 1, 28, 28, generator=gen)
    expected = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=(1, 2, 3))
    got = losses.bernoulli_nll(logits, x)
    assert got.shape == (5,)
    assert torch.allclose(got, expected)
    # also equals -log Bernoulli(x | sigmoid(logits)) for binary x
    xb = (x > 0.5).float()
    p = torch.sigmoid(logits)
    direct = -(xb * p.log() + (1 - xb) * (1 - p).log()).sum(dim=(1, 2, 3))
    assert torch.allclose(losses.bernoulli_nll(logits, xb), direct, rtol=1e-4)


def test_bernoulli_nll_is_stable_for_saturated_logits():
    logits = torch.tensor([[200.0, -200.0]])
    x = torch.tensor([[0.0, 1.0]])
    assert torch.isfinite(losses.bernoulli_nll(logits, x)).all()
    assert losses.bernoulli_nll(logits, x).item() == pytest.approx(400.0)


def test_gaussian_nll_unit_variance_is_half_sse_plus_constant(gen):
    mean = torch.rand(4, 784, generator=gen)
    x = torch.rand(4, 1, 28, 28, generator=gen)
    sse = ((x.reshape(4, -1) - mean) ** 2).sum(1)
    assert torch.allclose(losses.gaussian_nll(mean, x), 0.5 * sse + 392 * math.log(2 * math.pi))


def test_gaussian_nll_matches_torch_normal_log_prob(gen):
    mean = torch.randn(3, 10, generator=gen)
    x = torch.randn(3, 10, generator=gen)
    logvar = torch.randn(3, 10, generator=gen)
    expected = -Normal(mean, torch.exp(0.5 * logvar)).log_prob(x).sum(1)
    assert torch.allclose(losses.gaussian_nll(mean, x, logvar), expected, atol=1e-5)


def test_kl_closed_form_matches_torch_and_monte_carlo(gen):
    mu = torch.randn(6, 3, generator=gen)
    logvar = torch.randn(6, 3, generator=gen) * 0.5
    ours = losses.kl_std_normal(mu, logvar)
    q = Normal(mu, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    assert torch.allclose(ours, kl_divergence(q, p).sum(1), atol=1e-5)
    z = q.sample((200_000,))
    mc = (q.log_prob(z) - p.log_prob(z)).sum(-1).mean(0)
    assert torch.allclose(ours, mc, atol=0.03)


def test_kl_is_zero_only_at_the_prior():
    assert losses.kl_std_normal(torch.zeros(2, 4), torch.zeros(2, 4)).abs().max() < 1e-7
    assert (losses.kl_std_normal(torch.full((2, 4), 0.1), torch.zeros(2, 4)) > 0).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: losses.bernoulli_nll(torch.zeros(2, 784), torch.full((2, 784), 1.5)), r"\[0, 1\]"),
        (lambda: losses.bernoulli_nll(torch.zeros(2, 784), torch.zeros(2, 10)), "shape mismatch"),
        (lambda: losses.bernoulli_nll(torch.zeros(2, 784), torch.zeros(3, 784)), "shape mismatch"),
        (lambda: losses.bernoulli_nll(torch.full((1, 4), float("nan")), torch.zeros(1, 4)), "NaN"),
        (lambda: losses.gaussian_nll(torch.zeros(2, 5), torch.zeros(2, 6)), "shape mismatch"),
        (lambda: losses.gaussian_nll(torch.zeros(2, 5), torch.zeros(2, 5), torch.zeros(3)), "broadcast"),
        (lambda: losses.kl_std_normal(torch.zeros(2, 3), torch.zeros(2, 4)), "differ in shape"),
        (lambda: losses.kl_std_normal(torch.zeros(2, 3), torch.full((2, 3), float("inf"))), "infinite"),
        (lambda: losses.iwae_bound(models.VAE(2, device="cpu"), torch.rand(2, 784), k=0), "k must be"),
    ],
)
def test_bad_inputs_raise_value_errors_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_elbo_equals_recon_minus_kl_with_the_same_sample():
    torch.manual_seed(0)
    model = models.VAE(2, hidden=(32,), device="cpu")
    x = (torch.rand(8, 1, 28, 28) > 0.5).float()
    torch.manual_seed(1)
    elbo = losses.elbo(model, x)
    torch.manual_seed(1)
    parts = losses.vae_loss(model, x)
    assert torch.allclose(elbo, -parts["loss"], atol=1e-4)
    assert torch.allclose(parts["loss"], parts["recon"] + parts["kl"])


def test_iwae_rises_with_k_and_k1_matches_the_elbo_on_average():
    torch.manual_seed(0)
    model = models.VAE(2, hidden=(32,), device="cpu")
    x = (torch.rand(16, 1, 28, 28) > 0.5).float()
    with torch.no_grad():
        elbo = torch.stack([losses.elbo(model, x, n_samples=50) for _ in range(4)]).mean(0)
        k1 = torch.stack([losses.iwae_bound(model, x, k=1) for _ in range(200)]).mean(0)
        k10 = torch.stack([losses.iwae_bound(model, x, k=10) for _ in range(20)]).mean(0)
        k1000 = losses.iwae_bound(model, x, k=1000, chunk=128)
    # k = 1 is an unbiased ELBO estimate (with an MC instead of closed-form KL)
    assert (k1 - elbo).abs().mean() < 0.5
    assert k10.mean() > k1.mean() and k1000.mean() > k10.mean()


def linear_gaussian_log_px(W, b, sigma2, x):
    cov = W @ W.T + sigma2 * torch.eye(W.shape[0], dtype=W.dtype)
    return torch.distributions.MultivariateNormal(b, cov).log_prob(x)


def test_elbo_bounds_exact_log_likelihood_of_linear_gaussian_model_with_equality_at_posterior():
    """p(z)=N(0,I), p(x|z)=N(Wz+b, s2 I): log p(x) is exact; the ELBO built from the package's
    gaussian_nll and kl_std_normal stays below it, and meets it when q is the true posterior."""
    g = torch.Generator().manual_seed(0)
    D, K, s2 = 5, 2, 0.3
    W = torch.randn(D, K, generator=g, dtype=torch.float64)
    b = torch.randn(D, generator=g, dtype=torch.float64)
    x = torch.randn(1, D, generator=g, dtype=torch.float64)
    log_px = linear_gaussian_log_px(W, b, s2, x[0])

    def elbo(m, S):
        """Closed-form E_q[log p(x|z)] - KL(q||p(z)) for q = N(m, S) (S full covariance)."""
        L = torch.linalg.cholesky(S)
        n = 200_000
        eps = torch.randn(n, K, generator=g, dtype=torch.float64)
        z = m + eps @ L.T
        rec = -losses.gaussian_nll(z @ W.T + b, x.expand(n, D), math.log(s2)).mean()
        kl = 0.5 * (torch.trace(S) + m @ m - K - torch.logdet(S))
        return rec - kl

    S_post = torch.linalg.inv(torch.eye(K, dtype=torch.float64) + W.T @ W / s2)
    m_post = S_post @ W.T @ (x[0] - b) / s2
    assert elbo(m_post, S_post).item() == pytest.approx(log_px.item(), abs=0.02)
    for shift, scale in [(0.5, 1.0), (0.0, 0.3), (-1.0, 2.0)]:
        assert elbo(m_post + shift, S_post * scale) < log_px
    # the diagonal-Gaussian KL of the package equals the full formula when S is diagonal
    m = torch.tensor([[0.3, -1.2]], dtype=torch.float64)
    logvar = torch.tensor([[0.2, -0.7]], dtype=torch.float64)
    S = torch.diag(logvar[0].exp())
    full = 0.5 * (torch.trace(S) + m[0] @ m[0] - K - torch.logdet(S))
    assert losses.kl_std_normal(m, logvar).item() == pytest.approx(full.item())


def test_gaussian_log_density_is_the_normal_log_pdf_summed_over_the_last_dim():
    g = torch.Generator().manual_seed(0)
    x, mean, log_var = (torch.randn(4, 3, 5, generator=g, dtype=torch.float64) for _ in range(3))
    expected = torch.distributions.Normal(mean, (0.5 * log_var).exp()).log_prob(x).sum(-1)
    assert torch.allclose(losses.gaussian_log_density(x, mean, log_var), expected, atol=1e-12)
    standard = torch.distributions.Normal(0.0, 1.0).log_prob(x).sum(-1)
    assert torch.allclose(losses.gaussian_log_density(x), standard, atol=1e-12)  # N(0, I) by default
    flat = x.reshape(4, -1)
    assert torch.allclose(
        losses.gaussian_nll(mean, x, log_var),
        -losses.gaussian_log_density(flat, mean.reshape(4, -1), log_var.reshape(4, -1)),
    )


def test_kl_per_dim_sums_to_the_reference_kl():
    mu, logvar = torch.randn(8, 5), torch.randn(8, 5)
    per_dim = losses.kl_per_dim(mu, logvar)
    assert per_dim.shape == (8, 5) and (per_dim >= 0).all()
    assert torch.allclose(per_dim.sum(1), losses.kl_std_normal(mu, logvar))
    assert torch.allclose(losses.kl_per_dim(torch.zeros(3, 2), torch.zeros(3, 2)), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="kl_per_dim: mu"):
        losses.kl_per_dim(torch.zeros(3, 2), torch.zeros(3, 3))
