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


def bernoulli_decoder_loglik(
    model: torch.nn.Module, x: torch.Tensor
) -> Callable[[torch.Tensor], torch.Tensor]:
    """``log_lik(z [G, 2]) -> [G, B]``: log p(x_b | z_g) for a Bernoulli decoder and images ``x``
    ``[B, ...]``.

    log p(x | z) = sum_j x_j l_j - softplus(l_j) with l = decode(z) the logits, so the decoded grid is
    shared by all B images (one matrix product, not B decodes).
    """
    device = next(model.parameters()).device
    xf = x.reshape(x.shape[0], -1).to(device).float()  # [B, 784]

    @torch.no_grad()
    def log_lik(z: torch.Tensor) -> torch.Tensor:
        logits = model.decode(z.to(device).float()).reshape(z.shape[0], -1)  # [G, 784]
        return (logits @ xf.T - F.softplus(logits).sum(1, keepdim=True)).cpu().double()

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
        zz1, zz2 = torch.meshgrid(self.z1, self.z2, indexing="xy")  # [n2, n1] each
        pts = torch.stack([zz1, zz2], -1)  # [n2, n1, 2]
        mean = torch.einsum("bij,ijk->bk", p, pts)
        centred = pts[None] - mean[:, None, None, :]  # [B, n2, n1, 2]
        cov = torch.einsum("bij,bijk,bijl->bkl", p, centred, centred)
        return mean, cov

    def boundary_mass(self) -> torch.Tensor:
        """Posterior probability in the outermost ring of grid cells, ``[B]``: near 0 if the box is big
        enough."""
        p = self.cell_probabilities()
        inner = p[:, 1:-1, 1:-1].flatten(1).sum(1)
        return (1 - inner).clamp_min(0)


def grid_quadrature(
    log_lik: Callable[[torch.Tensor], torch.Tensor],
    z1: torch.Tensor,
    z2: torch.Tensor | None = None,
    chunk: int = 8192,
) -> GridPosterior:
    """log p(x) = log sum_g p(x | z_g) p(z_g) Δz1 Δz2 over the grid ``z1 x z2`` with a N(0, I) prior.

    ``log_lik(z [G, 2]) -> [G, B]``. The grid is evaluated ``chunk`` points at a time.
    """
    z2 = z1 if z2 is None else z2
    zz1, zz2 = torch.meshgrid(z1, z2, indexing="xy")  # [n2, n1]
    pts = torch.stack([zz1.reshape(-1), zz2.reshape(-1)], 1)  # [G, 2], z1 fastest
    log_prior = gaussian_log_density(pts)  # log N(z | 0, I_2)
    parts = [log_lik(pts[s : s + chunk]).cpu().double() for s in range(0, pts.shape[0], chunk)]
    log_joint = (torch.cat(parts) + log_prior[:, None]).T  # [B, G]
    area = float((z1[1] - z1[0]) * (z2[1] - z2[0]))
    log_px = torch.logsumexp(log_joint, 1) + math.log(area)
    return GridPosterior(z1, z2, log_joint.reshape(-1, len(z2), len(z1)), log_px)


def posterior_window(
    gp: GridPosterior, index: int, n_std: float = 5.0, min_half_width: float = 0.1
) -> tuple[float, float, float, float]:
    """A box ``(z1_low, z1_high, z2_low, z2_high)`` of ``n_std`` posterior standard deviations around
    the posterior mean of observation ``index`` (from the grid), to zoom a heat map or refine the grid."""
    mean, cov = gp.mean_cov()
    m, sd = mean[index], cov[index].diagonal().sqrt()
    half = torch.clamp(n_std * sd, min=min_half_width)
    return (float(m[0] - half[0]), float(m[0] + half[0]), float(m[1] - half[1]), float(m[1] + half[1]))


def local_quadrature(
    log_lik: Callable[[torch.Tensor], torch.Tensor],
    window: tuple[float, float, float, float],
    n: int = 121,
    chunk: int = 8192,
) -> GridPosterior:
    """:func:`grid_quadrature` on an ``n x n`` grid over ``window`` (a fine look where the mass is).

    Its ``log_px`` only counts the mass inside the window (a lower bound on the full integral)."""
    z1 = torch.linspace(window[0], window[1], n, dtype=torch.float64)
    z2 = torch.linspace(window[2], window[3], n, dtype=torch.float64)
    return grid_quadrature(log_lik, z1, z2, chunk)


@dataclass
class RefinedQuadrature:
    """Result of :func:`refined_quadrature` for B observations (all ``[B]``, nats or probabilities).

    ``log_px``: the refined cells' fine sums plus the coarse grid's other cells; ``log_px_half``: the same
    with half as many sub-points per axis (their difference shows convergence); ``outside_mass``: the share
    of the coarse grid's posterior mass in cells that were not refined; ``edge_mass``: the refined posterior
    mass in the outermost ring of refined cells (the safety margin around the mass); ``windows``: the
    bounding box ``(z1_low, z1_high, z2_low, z2_high)`` of each observation's refined cells; ``n_cells``:
    how many.
    """

    log_px: torch.Tensor
    log_px_half: torch.Tensor
    outside_mass: torch.Tensor
    edge_mass: torch.Tensor
    windows: list[tuple[float, float, float, float]]
    n_cells: torch.Tensor


def _dilate(mask: torch.Tensor) -> torch.Tensor:
    """A boolean ``[n2, n1]`` mask grown by one cell in the 8 directions."""
    return F.max_pool2d(mask[None, None].cpu().double(), 3, stride=1, padding=1)[0, 0] > 0


def _subcell_sum(
    log_lik: Callable[[torch.Tensor], torch.Tensor], centres: torch.Tensor, h: float, m: int, chunk: int
) -> torch.Tensor:
    """log of the midpoint sums of p(x | z) p(z) over ``m x m`` sub-cells of each cell
    (``centres`` ``[C, 2]``, side ``h``): ``[C]``, each already multiplied by the sub-cell area."""
    offsets = (torch.arange(m, dtype=torch.float64) + 0.5) / m * h - h / 2  # [m]
    o1, o2 = torch.meshgrid(offsets, offsets, indexing="xy")
    sub = torch.stack([o1.reshape(-1), o2.reshape(-1)], 1)  # [m^2, 2]
    pts = (centres[:, None, :] + sub[None]).reshape(-1, 2)  # [C m^2, 2]
    parts = [log_lik(pts[s : s + chunk])[:, 0].cpu().double() for s in range(0, pts.shape[0], chunk)]
    log_joint = torch.cat(parts) + gaussian_log_density(pts)  # log p(x | z) + log N(z | 0, I_2)
    return torch.logsumexp(log_joint.reshape(-1, m * m), 1) + 2 * math.log(h / m)


def _refined_cells(probs: torch.Tensor, keep: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(region, ring)``, boolean ``[n2, n1]`` masks of the grid whose cell probabilities are ``probs``
    ``[n2, n1]``: ``region`` the smallest set of cells holding all but ``keep`` of the mass, grown by one cell
    all round; ``ring`` the cells that growing added."""
    p = probs.flatten()
    order = torch.argsort(p, descending=True)
    needed = int(torch.searchsorted(torch.cumsum(p[order], 0), torch.tensor(1 - keep, dtype=p.dtype))) + 1
    core = torch.zeros_like(p, dtype=torch.bool)
    core[order[: min(needed, p.numel())]] = True
    core = core.reshape(probs.shape)
    region = _dilate(core)
    return region, region & ~core


def _bounding_box(z1: torch.Tensor, z2: torch.Tensor, h: float) -> tuple[float, float, float, float]:
    """``(z1_low, z1_high, z2_low, z2_high)`` around the cells of side ``h`` centred at ``(z1, z2)``
    (each ``[C]``)."""
    return (
        float(z1.min() - h / 2),
        float(z1.max() + h / 2),
        float(z2.min() - h / 2),
        float(z2.max() + h / 2),
    )


def refined_quadrature(
    log_lik_of: Callable[[int], Callable[[torch.Tensor], torch.Tensor]],
    coarse: GridPosterior,
    m: int | None = None,
    keep: float = 1e-6,
    budget: int = 6000,
    chunk: int = 8192,
) -> RefinedQuadrature:
    """log p(x) with a finer grid where each posterior's mass is: adaptive two-level quadrature.

    A trained VAE's posteriors can be narrower than any affordable global grid's spacing, and some have two
    bumps or a long tail. The ``coarse`` global grid (:func:`grid_quadrature`) ranks its cells by posterior
    mass; the smallest set holding all but ``keep`` of it, grown by one cell all round, is refined: each of
    those cells is split into ``m x m`` sub-cells (spacing h / m) evaluated at their midpoints. All other
    cells keep their coarse value. The same with ``m // 2`` gives ``log_px_half``. By default ``m`` adapts to
    each posterior: the largest of 2, 4, 6, 8 with at most ``budget`` points (narrow posteriors, few cells:
    fine sub-cells; broad ones, many cells: the coarse spacing is nearly enough already).
    ``log_lik_of(b)`` returns ``log_lik(z [G, 2]) -> [G, 1]`` for observation ``b`` alone (e.g.
    ``bernoulli_decoder_loglik(model, x[b:b + 1])``).
    """
    if m is not None and (m < 2 or m % 2):
        raise ValueError(f"refined_quadrature: m must be even and >= 2, got {m}")
    if not 0 < keep < 1:
        raise ValueError(f"refined_quadrature: keep must lie in (0, 1), got {keep}")
    h = float(coarse.z1[1] - coarse.z1[0])
    zz1, zz2 = torch.meshgrid(coarse.z1, coarse.z2, indexing="xy")  # [n2, n1]
    probs = coarse.cell_probabilities()
    log_area = math.log(coarse.cell_area)
    out = {"log_px": [], "log_px_half": [], "outside_mass": [], "edge_mass": [], "n_cells": []}
    windows = []
    for b in range(coarse.log_px.shape[0]):
        region, ring = _refined_cells(probs[b], keep)
        centres = torch.stack([zz1[region], zz2[region]], 1)  # [C, 2]
        m_b = m or max([2] + [k for k in (4, 6, 8) if centres.shape[0] * k * k <= budget])
        log_lik = log_lik_of(b)
        fine = _subcell_sum(log_lik, centres, h, m_b, chunk)  # [C]
        half = _subcell_sum(log_lik, centres, h, m_b // 2, chunk)
        rest = coarse.log_joint[b][~region]
        log_rest = torch.logsumexp(rest, 0) + log_area if rest.numel() else torch.tensor(-math.inf)
        total = torch.logaddexp(torch.logsumexp(fine, 0), log_rest)
        out["log_px"].append(total)
        out["log_px_half"].append(torch.logaddexp(torch.logsumexp(half, 0), log_rest))
        out["outside_mass"].append(torch.exp(log_rest - coarse.log_px[b]))
        ring_in_region = ring[region]
        out["edge_mass"].append(
            torch.exp(torch.logsumexp(fine[ring_in_region], 0) - total)
            if ring_in_region.any()
            else torch.tensor(0.0, dtype=torch.float64)
        )
        out["n_cells"].append(torch.tensor(int(region.sum())))
        windows.append(_bounding_box(zz1[region], zz2[region], h))
    return RefinedQuadrature(**{k: torch.stack(v) for k, v in out.items()}, windows=windows)
