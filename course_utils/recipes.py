"""The course's standard trained models, shared by several notebooks and cached on disk.

Notebooks 2, 3 and 5 all show a plain autoencoder's 2-D codes; they call the same recipe with the
same settings, so the model trains once (``checkpoints.load_or_train``) and every notebook shows
the same one. The losses are the per-sample sums of :mod:`course_utils.losses`, averaged over the
batch by :func:`course_utils.train.fit`.
"""

from __future__ import annotations

from typing import Sequence

import torch

from course_utils import config, losses, models
from course_utils.checkpoints import load_or_train
from course_utils.train import fit

#: Epochs of the standard recipes: the classroom lesson, and fast mode (tests, CI).
DEFAULT_EPOCHS = 20 if config.FAST else 30
HIDDEN = (512, 256)


def autoencoder_loss(model, x):
    """Bernoulli reconstruction NLL of a deterministic autoencoder, ``[B]`` nats."""
    return losses.bernoulli_nll(model(x), x)


def _trained(kind: str, model_class, loss_fn, prefix: str, latent_dim: int, train_x, test_x, hidden,
             epochs, lr, batch_size, seed, name):
    """Build ``model_class(latent_dim, hidden)`` with a fixed seed and train it on ``loss_fn`` once."""
    epochs = DEFAULT_EPOCHS if epochs is None else epochs
    cfg = {"kind": kind, "latent_dim": latent_dim, "hidden": list(hidden), "epochs": epochs,
           "lr": lr, "batch_size": batch_size, "seed": seed, "n_train": int(train_x.shape[0])}

    def build():
        torch.manual_seed(seed)
        return model_class(latent_dim, hidden=hidden)

    return load_or_train(name or f"{prefix}{latent_dim}d", build,
                         lambda m: fit(m, loss_fn, train_x, test_data=test_x, epochs=epochs,
                                       lr=lr, batch_size=batch_size, seed=seed), cfg)


def autoencoder(latent_dim: int, train_x: torch.Tensor, test_x: torch.Tensor | None = None, *,
                hidden: Sequence[int] = HIDDEN, epochs: int | None = None, lr: float = 1e-3,
                batch_size: int = 128, seed: int = 0, name: str | None = None):
    """A plain :class:`~course_utils.models.Autoencoder` trained with the Bernoulli NLL.

    Returns ``(model, history)``; trained once per setting and data source, then loaded.
    """
    return _trained("autoencoder", models.Autoencoder, autoencoder_loss, "ae", latent_dim, train_x, test_x,
                    hidden, epochs, lr, batch_size, seed, name)


def vae(latent_dim: int, train_x: torch.Tensor, test_x: torch.Tensor | None = None, *,
        hidden: Sequence[int] = HIDDEN, epochs: int | None = None, lr: float = 1e-3,
        batch_size: int = 128, seed: int = 0, name: str | None = None):
    """A :class:`~course_utils.models.VAE` trained on the negative ELBO (:func:`losses.vae_loss`).

    Returns ``(model, history)`` with ``recon`` and ``kl`` parts in the history.
    """
    return _trained("vae", models.VAE, losses.vae_loss, "vae", latent_dim, train_x, test_x,
                    hidden, epochs, lr, batch_size, seed, name)
