"""The course's standard trained models, shared by several notebooks and cached on disk.

Notebooks 2, 3 and 5 all show a plain autoencoder's 2-D codes; they call the same recipe with the
same settings, so the model trains once (``checkpoints.load_or_train``) and every notebook shows
the same one. The losses are the per-sample sums of :mod:`course_utils.losses`, averaged over the
batch by :func:`course_utils.train.fit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


#: kind -> (model class, per-sample loss, checkpoint-name prefix).
KINDS = {
    "autoencoder": (models.Autoencoder, autoencoder_loss, "ae"),
    "vae": (models.VAE, losses.vae_loss, "vae"),
}


@dataclass(frozen=True)
class Recipe:
    """How one standard model is built and trained: the settings that name its checkpoint.

    ``kind``: ``"autoencoder"`` (trained on :func:`autoencoder_loss`) or ``"vae"`` (on
    :func:`course_utils.losses.vae_loss`); ``epochs=None`` means :data:`DEFAULT_EPOCHS`; ``name``: the
    checkpoint's name (default ``ae2d``, ``vae20d``, ...). ``seed`` seeds the initial weights and the
    batch order (the convention of :mod:`course_utils.randomness`).
    """

    kind: str
    latent_dim: int
    hidden: tuple[int, ...] = HIDDEN
    epochs: int | None = None
    lr: float = 1e-3
    batch_size: int = 128
    seed: int = 0
    name: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown recipe kind {self.kind!r}; choose one of {sorted(KINDS)}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.epochs is None:
            object.__setattr__(self, "epochs", DEFAULT_EPOCHS)

    def checkpoint_name(self) -> str:
        return self.name or f"{KINDS[self.kind][2]}{self.latent_dim}d"

    def settings(self, n_train: int) -> dict:
        """The settings a cached checkpoint must match (with the number of training images)."""
        return {
            "kind": self.kind,
            "latent_dim": self.latent_dim,
            "hidden": list(self.hidden),
            "epochs": self.epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "n_train": int(n_train),
        }


def train(recipe: Recipe, train_x: torch.Tensor, test_x: torch.Tensor | None = None):
    """Build the recipe's model with its seed and train it on ``train_x`` once; later calls load it.

    Returns ``(model, history)`` (see :func:`course_utils.checkpoints.load_or_train`).
    """
    model_class, loss_fn, _ = KINDS[recipe.kind]

    def build():
        torch.manual_seed(recipe.seed)
        return model_class(recipe.latent_dim, hidden=recipe.hidden)

    return load_or_train(
        recipe.checkpoint_name(),
        build,
        lambda m: fit(
            m,
            loss_fn,
            train_x,
            test_data=test_x,
            epochs=recipe.epochs,
            lr=recipe.lr,
            batch_size=recipe.batch_size,
            seed=recipe.seed,
        ),
        recipe.settings(train_x.shape[0]),
    )


def _recipe_function(kind: str, doc: str):
    """The public recipe function of one ``kind`` (:func:`autoencoder`, :func:`vae`): one body for both."""

    def recipe(
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
        return train(
            Recipe(kind, latent_dim, tuple(hidden), epochs, lr, batch_size, seed, name), train_x, test_x
        )

    recipe.__name__ = recipe.__qualname__ = kind
    recipe.__doc__ = doc
    return recipe


autoencoder = _recipe_function(
    "autoencoder",
    """A plain :class:`~course_utils.models.Autoencoder` trained with the Bernoulli NLL.

    Returns ``(model, history)``; trained once per setting and data source, then loaded.
    """,
)

vae = _recipe_function(
    "vae",
    """A :class:`~course_utils.models.VAE` trained on the negative ELBO (:func:`losses.vae_loss`).

    Returns ``(model, history)`` with ``recon`` and ``kl`` parts in the history.
    """,
)
