"""The linear-Gaussian latent model, where every quantity of the ELBO story has a closed form.

Model: p(z) = N(0, I_d), p(x | z) = N(W z + b, sigma^2 I_D), with ``W`` ``[D, d]``, ``b`` ``[D]``.

- marginal:  p(x) = N(x | b, W W^T + sigma^2 I)
- posterior: p(z | x) = N(m, S), S = (I + W^T W / sigma^2)^-1, m = S W^T (x - b) / sigma^2
- ELBO of any Gaussian q(z) = N(mu, Sigma), in closed form

so ``log p(x) - ELBO(q) == KL(q || p(z | x))`` can be checked to float precision. Everything works
in float64 for one observation ``x`` ``[D]`` (call in a loop for several).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from course_utils.losses import LOG_2PI, gaussian_log_density


def _f64(t) -> torch.Tensor:
    return torch.as_tensor(t, dtype=torch.float64)


def _cov(cov_or_std: torch.Tensor, d: int) -> torch.Tensor:
    """A covariance ``[d, d]`` from a covariance matrix or a vector of standard deviations ``[d]``."""
    c = _f64(cov_or_std)
    if c.dim() == 0:
        c = c.expand(d)
    if c.dim() == 1:
        if c.numel() != d:
            raise ValueError(f"expected {d} standard deviations, got {c.numel()}")
        if (c <= 0).any():
            raise ValueError("standard deviations must be positive")
        return torch.diag(c**2)
    if c.shape != (d, d):
        raise ValueError(f"expected a [{d}, {d}] covariance, got {list(c.shape)}")
    return c


def full_cov_log_density(x: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """log N(x | mean, cov) for a full covariance, via a Cholesky factor (for a diagonal one,
    :func:`course_utils.losses.gaussian_log_density`). ``x`` ``[..., D]`` -> ``[...]``."""
    x, mean, cov = _f64(x), _f64(mean), _f64(cov)
    L = torch.linalg.cholesky(cov)
    diff = (x - mean).unsqueeze(-1)  # [..., D, 1]
    sol = torch.linalg.solve_triangular(L, diff, upper=False).squeeze(-1)
    logdet = 2 * torch.log(torch.diagonal(L)).sum()
    return -0.5 * ((sol**2).sum(-1) + logdet + x.shape[-1] * LOG_2PI)


def kl_gaussians(mean1, cov1, mean2, cov2) -> torch.Tensor:
    """KL(N(mean1, cov1) || N(mean2, cov2)) in closed form (full covariances ``[d, d]``), a scalar:

    0.5 * (tr(cov2^-1 cov1) + (mean2-mean1)^T cov2^-1 (mean2-mean1) - d + log det cov2 - log det cov1).
    """
    mean1, cov1, mean2, cov2 = _f64(mean1), _f64(cov1), _f64(mean2), _f64(cov2)
    d = mean1.shape[-1]
    L2 = torch.linalg.cholesky(cov2)
    cov2_inv_cov1 = torch.cholesky_solve(cov1, L2)
    diff = (mean2 - mean1).unsqueeze(-1)
    maha = (diff * torch.cholesky_solve(diff, L2)).sum()
    logdet2 = 2 * torch.log(torch.diagonal(L2)).sum()
    logdet1 = torch.linalg.slogdet(cov1)[1]
    return 0.5 * (torch.trace(cov2_inv_cov1) + maha - d + logdet2 - logdet1)


@dataclass
class LinearGaussian:
    """p(z) = N(0, I_d), p(x | z) = N(W z + b, sigma^2 I_D).

    ``W`` ``[D, d]``, ``b`` ``[D]``, ``sigma`` > 0."""

    W: torch.Tensor
    b: torch.Tensor
    sigma: float

    def __post_init__(self):
        self.W = _f64(self.W)
        self.b = _f64(self.b)
        if self.W.dim() != 2 or self.b.shape != (self.W.shape[0],):
            raise ValueError(f"W must be [D, d] and b [D]; got {list(self.W.shape)} and {list(self.b.shape)}")
        if not self.sigma > 0:
            raise ValueError(f"sigma must be positive, got {self.sigma}")
        self.sigma = float(self.sigma)

    @property
    def latent_dim(self) -> int:
        return self.W.shape[1]

    @property
    def data_dim(self) -> int:
        return self.W.shape[0]

    @classmethod
    def random(cls, data_dim: int, latent_dim: int, sigma: float = 0.5, seed: int = 0) -> LinearGaussian:
        g = torch.Generator().manual_seed(seed)
        W = torch.randn(data_dim, latent_dim, generator=g, dtype=torch.float64)
        b = torch.randn(data_dim, generator=g, dtype=torch.float64)
        return cls(W, b, sigma)

    def sample(self, n: int, generator: torch.Generator | None = None):
        """``(z [n, d], x [n, D])`` drawn from p(z) p(x | z)."""
        z = torch.randn(n, self.latent_dim, generator=generator, dtype=torch.float64)
        eps = torch.randn(n, self.data_dim, generator=generator, dtype=torch.float64)
        return z, z @ self.W.T + self.b + self.sigma * eps

    def marginal_cov(self) -> torch.Tensor:
        """W W^T + sigma^2 I, ``[D, D]``."""
        return self.W @ self.W.T + self.sigma**2 * torch.eye(self.data_dim, dtype=torch.float64)

    def log_px(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) = log N(x | b, W W^T + sigma^2 I); ``x`` ``[..., D]`` -> ``[...]``."""
        return full_cov_log_density(x, self.b, self.marginal_cov())

    def log_px_given_z(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log N(x | W z + b, sigma^2 I); ``x`` ``[D]`` or ``[..., D]``, ``z`` ``[..., d]`` -> ``[...]``."""
        mean = _f64(z) @ self.W.T + self.b
        return gaussian_log_density(_f64(x), mean, 2 * math.log(self.sigma))

    def log_prior(self, z: torch.Tensor) -> torch.Tensor:
        """log N(z | 0, I); ``[..., d]`` -> ``[...]``."""
        return gaussian_log_density(_f64(z))

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact p(z | x) = N(m, S): ``(m [d], S [d, d])``."""
        eye = torch.eye(self.latent_dim, dtype=torch.float64)
        S = torch.linalg.inv(eye + self.W.T @ self.W / self.sigma**2)
        S = 0.5 * (S + S.T)
        m = S @ self.W.T @ (_f64(x) - self.b) / self.sigma**2
        return m, S

    def elbo(self, x: torch.Tensor, q_mean: torch.Tensor, q_cov: torch.Tensor) -> torch.Tensor:
        """ELBO(q) = E_q[log p(x | z)] - KL(q || p(z)) in closed form, q = N(q_mean, q_cov).

        ``q_cov``: a ``[d, d]`` covariance or a vector ``[d]`` of standard deviations.
        E_q[log p(x|z)] = -D/2 log(2 pi sigma^2) - (||x - W mu - b||^2 + tr(W Sigma W^T)) / (2 sigma^2).
        """
        mu = _f64(q_mean)
        cov = _cov(q_cov, self.latent_dim)
        resid = _f64(x) - self.W @ mu - self.b
        expected_loglik = (
            -0.5 * self.data_dim * (LOG_2PI + 2 * math.log(self.sigma))
            - 0.5 * ((resid**2).sum() + torch.trace(self.W @ cov @ self.W.T)) / self.sigma**2
        )
        eye = torch.eye(self.latent_dim, dtype=torch.float64)
        kl_prior = kl_gaussians(mu, cov, torch.zeros_like(mu), eye)
        return expected_loglik - kl_prior

    def elbo_monte_carlo(
        self,
        x: torch.Tensor,
        q_mean: torch.Tensor,
        q_cov: torch.Tensor,
        n: int,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Monte Carlo ELBO: mean of log p(x, z_i) - log q(z_i), z_i ~ q.

        Returns ``(estimate, std. error)``."""
        mu = _f64(q_mean)
        cov = _cov(q_cov, self.latent_dim)
        L = torch.linalg.cholesky(cov)
        eps = torch.randn(n, self.latent_dim, generator=generator, dtype=torch.float64)
        z = mu + eps @ L.T
        w = self.log_px_given_z(x, z) + self.log_prior(z) - full_cov_log_density(z, mu, cov)
        return w.mean(), w.std() / math.sqrt(n)

    def kl_to_posterior(self, x: torch.Tensor, q_mean: torch.Tensor, q_cov: torch.Tensor) -> torch.Tensor:
        """KL(q || p(z | x)) in closed form: what the gap log p(x) - ELBO(q) must equal."""
        m, S = self.posterior(x)
        return kl_gaussians(_f64(q_mean), _cov(q_cov, self.latent_dim), m, S)
