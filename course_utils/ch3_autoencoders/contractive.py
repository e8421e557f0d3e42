"""The contractive autoencoder's penalty (Rifai et al. 2011) and a scale-fair measure of contraction.

- :func:`jacobian_frobenius_sq`: ``||J_h(x)||_F^2 = sum_{j,i} (dh_j / dx_i)^2`` per sample, exact, by
  autograd (``torch.func.jacrev`` vectorised over the batch with ``torch.func.vmap``). It is
  differentiable in the encoder's parameters, so it can be added to a training loss.
- :func:`code_sensitivity`: how far codes move when the input gets a small Gaussian perturbation,
  relative to how spread out the codes are. Dividing by the spread matters: an untied decoder can
  undo any rescaling of the code, so an encoder could "contract" for free by shrinking all its
  codes; the ratio is unchanged by such a rescaling.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.func import jacrev, vmap

from course_utils import randomness


def jacobian_frobenius_sq(encode: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Squared Frobenius norm of the encoder's Jacobian at each sample: ``[B, ...]`` -> ``[B]``.

    ``encode`` maps a batch ``[b, D]`` (flattened inputs) to codes ``[b, k]``, e.g.
    ``model.encode``; samples must not interact (no batch norm). The Jacobian of each sample is
    ``[k, D]``; the result keeps the graph, so ``penalty.mean().backward()`` trains the encoder.
    """
    if x.dim() < 2:
        raise ValueError(f"jacobian_frobenius_sq needs a batch [B, ...], got shape {list(x.shape)}")
    flat = x.reshape(x.shape[0], -1)

    def one(sample: torch.Tensor) -> torch.Tensor:  # [D] -> [k]
        return encode(sample.unsqueeze(0)).squeeze(0)

    jac = vmap(jacrev(one))(flat)  # [B, k, D]
    return jac.pow(2).sum(dim=(1, 2))


@torch.no_grad()
def code_sensitivity(
    encode: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    eps: float = 0.05,
    n_draws: int = 4,
    generator: torch.Generator | None = None,
) -> dict[str, float]:
    """Code movement under input noise ``delta ~ N(0, eps^2 I)``, relative to the code spread.

    Returns a dict of floats:

    - ``displacement``: RMS over samples and draws of ``||h(x + delta) - h(x)||``;
    - ``spread``: RMS distance of the clean codes from their mean, ``sqrt(mean ||h(x) - mean h||^2)``;
    - ``relative``: ``displacement / spread``, unchanged if the codes are rescaled;
    - ``jacobian_limit``: for small ``eps``, ``E||h(x + delta) - h(x)||^2 ~= eps^2 ||J_h(x)||_F^2``, so
      ``displacement ~= eps * sqrt(mean ||J_h||_F^2)``; this is that first-order prediction.
    """
    if not eps > 0:
        raise ValueError(f"code_sensitivity: eps must be positive, got {eps}")
    if n_draws < 1:
        raise ValueError(f"code_sensitivity: n_draws must be >= 1, got {n_draws}")
    z = encode(x)
    spread_sq = (z - z.mean(dim=0)).pow(2).sum(dim=1).mean()
    moved_sq = torch.zeros((), device=z.device)
    for _ in range(n_draws):
        noise = randomness.normal(x.shape, x, generator)
        moved_sq += (encode(x + eps * noise) - z).pow(2).sum(dim=1).mean() / n_draws
    with torch.enable_grad():
        jac_sq = jacobian_frobenius_sq(encode, x).mean()
    return {
        "displacement": moved_sq.sqrt().item(),
        "spread": spread_sq.sqrt().item(),
        "relative": (moved_sq / spread_sq).sqrt().item(),
        "jacobian_limit": eps * jac_sq.sqrt().item(),
    }
