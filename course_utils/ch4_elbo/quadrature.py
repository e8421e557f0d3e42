"""log p(x) of a 2-D latent model by brute-force quadrature on a grid of z, and the posterior there.

    log p(x) = log ∫ p(x | z) p(z) dz  ≈  logsumexp_g [log p(x | z_g) + log p(z_g)] + log(Δz1 Δz2)

over an evenly spaced grid z_g (the midpoint/Riemann sum; for smooth integrands that decay to zero
inside the box it converges very fast as the spacing shrinks). The same grid gives the exact
posterior p(z_g | x) = p(x | z_g) p(z_g) / p(x) as a heat map. ``logsumexp`` keeps it finite: the
terms are like e^-150, which underflows float32.

A likelihood is passed as a function ``log_lik(z [G, 2]) -> [G, B]`` (one column per observation);
:func:`bernoulli_decoder_loglik` builds it for a trained VAE decoder.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from course_utils.losses import gaussian_log_density


def grid_axis(low: float, high: float, step: float) -> torch.Tensor:
    """Evenly spaced values from ``low`` to ``high`` (both included, up to rounding), float64."""
    if step <= 0 or high <= low:
        raise ValueError(f"need low < high and step > 0, got {low}, {high}, {step}")
    n = int(round((high - low) / step)) + 1
    return torch.linspace(low, high, n, dtype=torch.float64)


def bernoulli_decoder_loglik(model: torch.nn.Module, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``log_lik(z [G, 2]) -> [G, B]``: log p(x_b | z_g) for a Bernoulli decoder and images ``x``
    ``[B, ...]``.

    log p(x | z) = sum_j x_j l_j - softplus(l_j) with l = decode(z) the logits, so the decoded grid is
    shared by all B images (one matrix product, not B decodes).
    """
    device = next(model.parameters()).device
    xf = x.reshape(x.shape[0], -1).to(device).float()                  # [B, 784]

    @torch.no_grad()
    def log_lik(z: torch.Tensor) -> torch.Tensor:
        logits = model.decode(z.to(device).float()).reshape(z.shape[0], -1)   # [G, 784]
        return (logits @ xf.T - F.softplus(logits).sum(1, keepdim=True)).double().cpu()

    return log_lik


@dataclass
class GridPosterior:
    """Result of :func:`grid_quadrature` for B observations.

    ``z1`` ``[n1]``, ``z2`` ``[n2]``: the grid axes; ``log_joint`` ``[B, n2, n1]``: log p(x, z) at
    each grid point (rows: z2, columns: z1); ``log_px`` ``[B]``: the quadrature log p(x).
    """

    z1: torch.Tensor
    z2: torch.Tensor
    log_joint: torch.Tensor
    log_px: torch.Tensor

    @property
    def cell_area(self) -> float:
        return float((self.z1[1] - self.z1[0]) * (self.z2[1] - self.z2[0]))

    def posterior(self) -> torch.Tensor:
        """p(z | x) as a density on the grid, ``[B, n2, n1]`` (sums to 1 / cell_area)."""
        return torch.exp(self.log_joint - self.log_px[:, None, None])

    def cell_probabilities(self) -> torch.Tensor:
        """Posterior probability of each grid cell, ``[B, n2, n1]``, summing to 1 per observation."""
        return torch.exp(self.log_joint - torch.logsumexp(self.log_joint.flatten(1), 1)[:, None, None])

    def mean_cov(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean ``[B, 2]`` and covariance ``[B, 2, 2]`` from the grid."""
        p = self.cell_probabilities()
        zz1, zz2 = torch.meshgrid(self.z1, self.z2, indexing="xy")       # [n2, n1] each
        pts = torch.stack([zz1, zz2], -1)                                  # [n2, n1, 2]
        mean = torch.einsum("bij,ijk->bk", p, pts)
        centred = pts[None] - mean[:, None, None, :]                       # [B, n2, n1, 2]
        cov = torch.einsum("bij,bijk,bijl->bkl", p, centred, centred)
        return mean, cov

    def boundary_mass(self) -> torch.Tensor:
        """Posterior probability in the outermost ring of grid cells, ``[B]``: near 0 if the box is big
        enough."""
        p = self.cell_probabilities()
        inner = p[:, 1:-1, 1:-1].flatten(1).sum(1)
        return (1 - inner).clamp_min(0)


def grid_quadrature(log_lik: Callable[[torch.Tensor], torch.Tensor], z1: torch.Tensor,
                    z2: torch.Tensor | None = None, chunk: int = 8192) -> GridPosterior:
    """log p(x) = log sum_g p(x | z_g) p(z_g) Δz1 Δz2 over the grid ``z1 x z2`` with a N(0, I) prior.

    ``log_lik(z [G, 2]) -> [G, B]``. The grid is evaluated ``chunk`` points at a time.
    """
    z2 = z1 if z2 is None else z2
    zz1, zz2 = torch.meshgrid(z1, z2, indexing="xy")                     # [n2, n1]
    pts = torch.stack([zz1.reshape(-1), zz2.reshape(-1)], 1)             # [G, 2], z1 fastest
    log_prior = gaussian_log_density(pts)                                  # log N(z | 0, I_2)
    parts = [log_lik(pts[s:s + chunk]).double() for s in range(0, pts.shape[0], chunk)]
    log_joint = (torch.cat(parts) + log_prior[:, None]).T                # [B, G]
    area = float((z1[1] - z1[0]) * (z2[1] - z2[0]))
    log_px = torch.logsumexp(log_joint, 1) + math.log(area)
    return GridPosterior(z1, z2, log_joint.reshape(-1, len(z2), len(z1)), log_px)


def posterior_window(gp: GridPosterior, index: int, n_std: float = 5.0,
                     min_half_width: float = 0.1) -> tuple[float, float, float, float]:
    """A box ``(z1_low, z1_high, z2_low, z2_high)`` of ``n_std`` posterior standard deviations around
    the posterior mean of observation ``index`` (from the grid), to zoom a heat map or refine the grid."""
    mean, cov = gp.mean_cov()
    m, sd = mean[index], cov[index].diagonal().sqrt()
    half = torch.clamp(n_std * sd, min=min_half_width)
    return (float(m[0] - half[0]), float(m[0] + half[0]), float(m[1] - half[1]), float(m[1] + half[1]))


def local_quadrature(log_lik: Callable[[torch.Tensor], torch.Tensor], window: tuple[float, float, float, float],
                     n: int = 121, chunk: int = 8192) -> GridPosterior:
    """:func:`grid_quadrature` on an ``n x n`` grid over ``window`` (a fine look where the mass is).

    Its ``log_px`` only counts the mass inside the window (a lower bound on the full integral)."""
    z1 = torch.linspace(window[0], window[1], n, dtype=torch.float64)
    z2 = torch.linspace(window[2], window[3], n, dtype=torch.float64)
    return grid_quadrature(log_lik, z1, z2, chunk)
