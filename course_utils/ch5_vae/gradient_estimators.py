"""Two Monte Carlo estimators of d/dmu E_{z ~ N(mu, sigma^2)}[f(z)], vectorised over repeats.

Why the VAE needs the reparameterization trick, measured: both estimators are unbiased, but the
score-function (REINFORCE) estimator, which only sees the values f(z), is far noisier than the
reparameterized one, which differentiates f through z = mu + sigma * eps.

Each estimator draws ``n_repeats`` independent estimates, each an average over ``n_samples``
draws, and returns them all (``[n_repeats]``) so that their mean (the bias) and variance can be
measured against the number of samples. ``f`` maps a tensor of z values elementwise to f(z).
Both use autograd on a surrogate, as a VAE's training step would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

Function = Callable[[torch.Tensor], torch.Tensor]


def _standard_normal(n_repeats: int, n_samples: int, seed: int | None) -> torch.Tensor:
    if n_repeats < 1 or n_samples < 1:
        raise ValueError(f"need n_repeats >= 1 and n_samples >= 1, got {n_repeats} and {n_samples}")
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    return torch.randn(n_repeats, n_samples, generator=generator, dtype=torch.float64)


def _check_sigma(sigma: float) -> None:
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")


def score_function_grad(
    f: Function, mu: float, sigma: float, n_samples: int, n_repeats: int = 1, seed: int | None = None
) -> torch.Tensor:
    """REINFORCE: mean over samples of f(z) * d/dmu log N(z | mu, sigma^2), z sampled (no grad path).

    The surrogate f(z).detach() * log N(z | mu, sigma^2) is differentiated w.r.t. mu only through the
    log-density; d/dmu log N = (z - mu) / sigma^2. Returns ``[n_repeats]`` estimates.
    """
    _check_sigma(sigma)
    eps = _standard_normal(n_repeats, n_samples, seed)
    mu_t = torch.full((n_repeats, 1), float(mu), dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        z = mu + sigma * eps  # a sample: no gradient path
        fz = f(z)
    log_q = torch.distributions.Normal(mu_t, sigma).log_prob(z)  # [R, S], depends on mu_t
    surrogate = (fz * log_q).mean(dim=1).sum()  # the repeats are independent
    (grad,) = torch.autograd.grad(surrogate, mu_t)
    return grad[:, 0].detach()


def reparameterized_grad(
    f: Function, mu: float, sigma: float, n_samples: int, n_repeats: int = 1, seed: int | None = None
) -> torch.Tensor:
    """Pathwise: mean over samples of d/dmu f(mu + sigma * eps), eps ~ N(0, 1); ``[n_repeats]``.

    Needs a differentiable ``f``: for a step function (no gradient path) every estimate is 0, a biased
    answer, where the score-function estimator stays unbiased.
    """
    _check_sigma(sigma)
    eps = _standard_normal(n_repeats, n_samples, seed)
    mu_t = torch.full((n_repeats, 1), float(mu), dtype=torch.float64, requires_grad=True)
    z = mu_t + sigma * eps  # the reparameterization
    out = f(z).mean(dim=1).sum()
    if not out.requires_grad:  # f has no gradient path
        return torch.zeros(n_repeats, dtype=torch.float64)
    (grad,) = torch.autograd.grad(out, mu_t)
    return grad[:, 0].detach()


ESTIMATORS = {"score function": score_function_grad, "reparameterized": reparameterized_grad}


def variance_vs_samples(
    f: Function, mu: float, sigma: float, sample_sizes: Sequence[int], n_repeats: int = 2000, seed: int = 0
) -> dict[str, dict[str, list[float]]]:
    """For each estimator and each n in ``sample_sizes``: the mean and variance of ``n_repeats`` estimates.

    Returns ``{name: {"n": [...], "mean": [...], "var": [...]}}`` for the names in :data:`ESTIMATORS`.
    The two estimators get different random draws (seeds ``seed + i`` per sample size).
    """
    out: dict[str, dict[str, list[float]]] = {}
    for offset, (name, estimator) in enumerate(ESTIMATORS.items()):
        rows: dict[str, list[float]] = {"n": [], "mean": [], "var": []}
        for i, n in enumerate(sample_sizes):
            g = estimator(f, mu, sigma, int(n), n_repeats, seed=seed + 1000 * offset + i)
            rows["n"].append(int(n))
            rows["mean"].append(g.mean().item())
            rows["var"].append(g.var().item())
        out[name] = rows
    return out


# ----------------------------------------------------------------- the same two estimators on a VAE's encoder

LogLik = Callable[[torch.Tensor], torch.Tensor]


def bernoulli_log_lik(model: torch.nn.Module, x: torch.Tensor) -> LogLik:
    """``log_lik(z [S, B, D]) -> [S, B]``: log p(x_b | z_sb) under a Bernoulli decoder, differentiable in z.

    ``x``: images ``[B, 1, 28, 28]`` (or ``[B, 784]``) with values in [0, 1].
    """
    xf = x.reshape(x.shape[0], -1)

    def log_lik(z: torch.Tensor) -> torch.Tensor:
        logits = model.decode(z.reshape(-1, z.shape[-1])).reshape(z.shape[0], z.shape[1], -1)
        return -F.binary_cross_entropy_with_logits(logits, xf.expand_as(logits), reduction="none").sum(-1)

    return log_lik


def encoder_gradient_estimates(
    log_lik: LogLik,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    n_samples: int,
    generator: torch.Generator | None = None,
) -> dict[str, dict[str, torch.Tensor]]:
    """One-sample estimates of the gradient of E_{z ~ N(mu, diag exp(logvar))}[log_lik(z)] w.r.t. the
    encoder's outputs ``mu`` and ``logvar`` (each ``[B, D]``), for ``n_samples`` independent samples.

    Returns ``{estimator: {"mu": [S, B, D], "logvar": [S, B, D]}}`` for
    ``"reparameterized"`` (d log_lik / dz through z = mu + sigma * eps),
    ``"score function"`` (log_lik(z) times d log q(z) / d(mu, logvar): (z - mu) / sigma^2 and
    ((z - mu)^2 / sigma^2 - 1) / 2) and ``"score function, baseline"`` (the same with the mean of the
    other samples' log_lik subtracted: still unbiased, a simple control variate). The KL term of the
    ELBO has a closed form and the same gradient under both, so it is left out.
    """
    if n_samples < 2:
        raise ValueError(f"encoder_gradient_estimates: need n_samples >= 2, got {n_samples}")
    if mu.shape != logvar.shape or mu.dim() != 2:
        raise ValueError(f"mu and logvar must both be [B, D], got {list(mu.shape)} and {list(logvar.shape)}")
    mu, logvar = mu.detach(), logvar.detach()
    sigma = torch.exp(0.5 * logvar)
    eps = torch.randn(n_samples, *mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
    z = (mu + sigma * eps).requires_grad_()
    f = log_lik(z)  # [S, B]
    (df_dz,) = torch.autograd.grad(f.sum(), z)  # each sample's own gradient
    f = f.detach()[..., None]  # [S, B, 1]
    z = z.detach()
    score_mu = (z - mu) / sigma**2  # d log q / d mu
    score_logvar = 0.5 * ((z - mu) ** 2 / sigma**2 - 1)  # d log q / d logvar
    baseline = (f.sum(0, keepdim=True) - f) / (n_samples - 1)  # leave-one-out mean
    return {
        "reparameterized": {"mu": df_dz, "logvar": df_dz * 0.5 * (z - mu)},
        "score function": {"mu": f * score_mu, "logvar": f * score_logvar},
        "score function, baseline": {
            "mu": (f - baseline) * score_mu,
            "logvar": (f - baseline) * score_logvar,
        },
    }
