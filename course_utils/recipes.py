"""The course's standard trained models, shared by several notebooks and cached on disk.

Notebooks 2, 3 and 5 all show a plain autoencoder's 2-D codes; they call the same recipe with the
same settings, so the model trains once (:func:`course_utils.checkpoints.train_once`) and every
notebook shows the same one. The losses are the per-sample sums of :mod:`course_utils.losses`,
averaged over the batch by :func:`course_utils.train.fit`. ``seed`` seeds the initial weights and the
batch order (the convention of :mod:`course_utils.randomness`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from course_utils import config, losses, models
from course_utils.checkpoints import train_once
from course_utils.train import fit

#: Epochs of the standard recipes: the classroom lesson, and fast mode (tests, CI).
DEFAULT_EPOCHS = 20 if config.FAST else 30
HIDDEN = (512, 256)


def autoencoder_loss(model, x):
    """Bernoulli reconstruction NLL of a deterministic autoencoder, ``[B]`` nats."""
    return losses.bernoulli_nll(model(x), x)


def autoencoder(
    latent_dim: int,
    train_x: torch.Tensor,
    test_x: torch.Tensor | None = None,
    *,
    hidden: Sequence[int] = HIDDEN,
    epochs: int | None = None,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
    name: str | None = None,
):
    """A plain :class:`~course_utils.models.Autoencoder` trained with :func:`autoencoder_loss`.

    ``train_x`` ``[N, 1, 28, 28]``; ``epochs=None``: :data:`DEFAULT_EPOCHS`; ``name``: the checkpoint's
    (default ``ae<latent_dim>d``). Returns ``(model, history)``, trained once, then loaded.
    """
    torch.manual_seed(seed)
    model = models.Autoencoder(latent_dim, hidden=tuple(hidden))
    return train_once(
        name or f"ae{latent_dim}d",
        model,
        fit,
        autoencoder_loss,
        train_x,
        test_data=test_x,
        epochs=DEFAULT_EPOCHS if epochs is None else epochs,
        lr=lr,
        batch_size=batch_size,
        seed=seed,
    )


def vae(
    latent_dim: int,
    train_x: torch.Tensor,
    test_x: torch.Tensor | None = None,
    *,
    hidden: Sequence[int] = HIDDEN,
    epochs: int | None = None,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
    name: str | None = None,
):
    """A :class:`~course_utils.models.VAE` trained on the negative ELBO (:func:`losses.vae_loss`).

    As :func:`autoencoder` (default name ``vae<latent_dim>d``); the history has ``recon`` and ``kl``
    parts. Returns ``(model, history)``, trained once, then loaded.
    """
    torch.manual_seed(seed)
    model = models.VAE(latent_dim, hidden=tuple(hidden))
    return train_once(
        name or f"vae{latent_dim}d",
        model,
        fit,
        losses.vae_loss,
        train_x,
        test_data=test_x,
        epochs=DEFAULT_EPOCHS if epochs is None else epochs,
        lr=lr,
        batch_size=batch_size,
        seed=seed,
    )
