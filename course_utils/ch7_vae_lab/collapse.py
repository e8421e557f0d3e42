"""β-VAE objectives, posterior collapse measured (active units; the KL per dimension is
:func:`course_utils.losses.kl_per_dim`) and its two fixes.

Every loss here follows the course convention: per-sample sums over pixels and latent dimensions,
averaged over the batch by :func:`course_utils.train.fit`. ``beta`` weights the KL term; β = 1 is the
ELBO, and averaging the reconstruction over the 784 pixels instead of summing it is β = 784 in disguise.
"""

from __future__ import annotations

import math

import torch

from course_utils import losses
from course_utils.ch5_vae import latent_use

#: The course's one definition of an active unit (notebook 5 meets it first): Var_x(mu_k(x)) > 1e-2.
ACTIVE_THRESHOLD = latent_use.ACTIVE_THRESHOLD
active_units = latent_use.active_units


def _check_beta(beta: float) -> float:
    beta = float(beta)
    if not math.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be a finite number >= 0, got {beta}")
    return beta


def beta_vae_loss(beta: float):
    """A ``loss_fn`` for ``fit``: Bernoulli recon + ``beta`` * KL per image; logs ``recon`` and ``kl``
    (nats)."""
    beta = _check_beta(beta)

    def loss_fn(model, x):
        logits, mu, logvar = model(x)
        recon, kl = losses.bernoulli_nll(logits, x), losses.kl_std_normal(mu, logvar)
        return {"loss": recon + beta * kl, "recon": recon, "kl": kl}

    return loss_fn


def free_bits_kl(mu: torch.Tensor, logvar: torch.Tensor, free_nats: float) -> torch.Tensor:
    """Kingma et al. (2016)'s free-bits KL: sum_k max(free_nats, mean over the batch of KL_k), a scalar.

    Below ``free_nats`` a dimension's KL costs nothing (no gradient), so the encoder can use each
    dimension for up to ``free_nats`` nats for free and the units do not collapse.
    """
    if free_nats < 0:
        raise ValueError(f"free_nats must be >= 0, got {free_nats}")
    return losses.kl_per_dim(mu, logvar).mean(dim=0).clamp(min=free_nats).sum()


def free_bits_loss(beta: float, free_nats: float):
    """A ``loss_fn``: batch-mean recon + ``beta`` * :func:`free_bits_kl` (a scalar); logs recon and the
    true KL."""
    beta = _check_beta(beta)
    if free_nats < 0:
        raise ValueError(f"free_nats must be >= 0, got {free_nats}")

    def loss_fn(model, x):
        logits, mu, logvar = model(x)
        recon, kl = losses.bernoulli_nll(logits, x), losses.kl_std_normal(mu, logvar)
        return {"loss": recon.mean() + beta * free_bits_kl(mu, logvar, free_nats), "recon": recon, "kl": kl}

    return loss_fn


class KLWarmup:
    """A ``loss_fn`` whose KL weight rises linearly from 0 to ``beta`` over ``warmup_steps`` training steps.

    ``weight`` is the KL weight of the next training step; evaluation (``model.eval()``) does not
    advance it. Logs ``recon`` and ``kl`` in nats like :func:`beta_vae_loss`.
    """

    def __init__(self, beta: float, warmup_steps: int):
        if warmup_steps < 1:
            raise ValueError(f"warmup_steps must be >= 1, got {warmup_steps}")
        self.beta, self.warmup_steps, self.step = _check_beta(beta), int(warmup_steps), 0

    @property
    def weight(self) -> float:
        return self.beta * min(1.0, self.step / self.warmup_steps)

    def __call__(self, model, x):
        logits, mu, logvar = model(x)
        recon, kl = losses.bernoulli_nll(logits, x), losses.kl_std_normal(mu, logvar)
        weight = self.weight
        if model.training:
            self.step += 1
        return {"loss": recon + weight * kl, "recon": recon, "kl": kl}
