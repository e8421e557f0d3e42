"""A VAE with a Gaussian decoder of fixed standard deviation sigma: "sigma^2 is a beta in disguise".

The decoder's output is the pixel mean ``sigmoid(logits)`` ``[B, 1, 28, 28]`` and p(x | z) =
N(x | mean, sigma^2 I). Its negative log-likelihood, summed over the 784 pixels, is

    SSE / (2 sigma^2) + 784 log sigma + (784 / 2) log 2 pi,      SSE = ||x - mean||^2,

so minimizing recon + KL has the same minimizer as SSE / 2 + sigma^2 * KL: a beta-VAE with beta = sigma^2
(against the squared-error reconstruction). A small sigma buys sharp reconstructions with a large KL
(rate); a large sigma makes the code cheap to ignore: blur, and in the limit posterior collapse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from course_utils import losses, models
from course_utils.checkpoints import train_once
from course_utils.train import fit


def gaussian_vae_loss(sigma: float):
    """``loss_fn(model, x) -> {"loss", "recon", "kl", "sse"}`` (each ``[B]`` nats; ``sse`` in squared pixels)
    for a :class:`~course_utils.models.VAE` whose decoder is N(sigmoid(logits), sigma^2 I), one sample."""
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    logvar_x = 2 * math.log(sigma)

    def loss_fn(model, x):
        logits, mu, logvar = model(x)
        mean = torch.sigmoid(logits)
        recon = losses.gaussian_nll(mean, x, logvar=logvar_x)  # summed over pixels
        kl = losses.kl_std_normal(mu, logvar)
        sse = (mean - x).pow(2).flatten(1).sum(1)
        return {"loss": recon + kl, "recon": recon, "kl": kl, "sse": sse}

    return loss_fn


def gaussian_decoder_vae(
    sigma: float,
    latent_dim: int,
    train_x: torch.Tensor,
    test_x: torch.Tensor | None = None,
    *,
    hidden: Sequence[int] = (512, 256),
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
):
    """A VAE trained with :func:`gaussian_vae_loss` ``(sigma)`` on ``train_x`` ``[N, 1, 28, 28]``, trained
    once and cached; ``(model, history)``."""
    torch.manual_seed(seed)
    model = models.VAE(latent_dim, hidden=tuple(hidden))
    return train_once(
        f"gvae{latent_dim}d-sigma{sigma:g}",
        model,
        fit,
        gaussian_vae_loss(sigma),
        train_x,
        test_data=test_x,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        seed=seed,
    )
