"""Which latent dimensions a VAE uses: the course's one definition of an *active unit*.

Notebook 5 meets unused dimensions first (the 20-D VAE's KL per dimension); notebook 7 measures posterior
collapse with the same count (:mod:`course_utils.ch7_vae_lab.collapse` uses this function).
"""

from __future__ import annotations

import torch

#: Burda et al. (2016): a latent dimension is *active* when Cov_x(E_q[z_k | x]) = Var_x(mu_k(x)) exceeds this.
ACTIVE_THRESHOLD = 1e-2


def active_units(mu: torch.Tensor, threshold: float = ACTIVE_THRESHOLD) -> tuple[int, torch.Tensor]:
    """Count active units from the posterior means ``mu`` ``[N, D]`` of N data points (N >= 2).

    Returns ``(count, variances)``: ``variances[k]`` = Var_x(mu_k), the diagonal of Cov_x(E_q[z|x]);
    a unit is active when it exceeds ``threshold`` (Burda et al. 2016 use 1e-2).
    """
    if mu.dim() != 2 or mu.shape[0] < 2:
        raise ValueError(f"active_units needs posterior means [N >= 2, D], got {list(mu.shape)}")
    variances = mu.detach().cpu().double().var(dim=0, unbiased=True).float().to(mu.device)
    return int((variances > threshold).sum()), variances
