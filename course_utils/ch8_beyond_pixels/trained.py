"""Notebook 8's trained models, each trained once, then loaded from the cache
(:func:`course_utils.checkpoints.train_once`, keyed by everything the training call is given). Every
function returns ``(model, history)``.
"""

from __future__ import annotations

import functools

import torch

from course_utils import config, losses, models
from course_utils.ch8_beyond_pixels import completion, vaegan
from course_utils.checkpoints import train_once
from course_utils.train import fit

#: Epochs per model: (fast mode, the classroom lesson).
EPOCHS = {"regressor": (12, 40), "cvae": (12, 40), "pixel vae": (20, 30), "vaegan": (20, 20)}
LATENT_DIM = 16
#: The completion CVAE's KL weight: below 1 its code carries more of the hidden half (diverse completions).
CVAE_KL_WEIGHT = 0.3
#: The VAE/GAN: decoder's weight on the feature loss against fooling, and the discriminator's channels.
GAMMA, CHANNELS = 0.3, 16
BATCH_SIZE = 64


def epochs_for(kind: str) -> int:
    return EPOCHS[kind][0 if config.FAST else 1]


def regressor(train_x: torch.Tensor, seed: int = 0):
    """The deterministic completion: visible half -> the hidden half's pixel means, BCE on the hidden half."""
    torch.manual_seed(seed)
    model = completion.Regressor()
    return train_once(
        "ch8-regressor", model, fit, completion.regressor_loss, train_x,
        epochs=epochs_for("regressor"), batch_size=BATCH_SIZE, seed=seed,
    )  # fmt: skip


def cvae(train_x: torch.Tensor, seed: int = 0):
    """The completion CVAE (latent 16), its KL weighted by :data:`CVAE_KL_WEIGHT`."""
    torch.manual_seed(seed)
    model = completion.CompletionCVAE(latent_dim=LATENT_DIM)
    loss = functools.partial(completion.completion_loss, kl_weight=CVAE_KL_WEIGHT)
    return train_once(
        "ch8-cvae", model, fit, loss, train_x, epochs=epochs_for("cvae"), batch_size=BATCH_SIZE, seed=seed
    )


def pixel_vae(train_x: torch.Tensor, seed: int = 0):
    """The VAE/GAN's own VAE (784-256-16) trained with the pixel loss (summed BCE + KL): the baseline."""
    torch.manual_seed(seed)
    model = models.VAE(LATENT_DIM, hidden=(256,))
    return train_once(
        "ch8-pixel-vae", model, fit, losses.vae_loss, train_x,
        epochs=epochs_for("pixel vae"), batch_size=BATCH_SIZE, seed=seed,
    )  # fmt: skip


def vae_gan(train_x: torch.Tensor, start: models.VAE, seed: int = 0):
    """The VAE/GAN: its VAE starts from ``start``'s weights (:func:`pixel_vae`'s model) and goes on with its
    reconstruction measured in a convolutional discriminator's features."""
    torch.manual_seed(seed)
    model = vaegan.VAEGAN(LATENT_DIM, hidden=(256,), conv_channels=CHANNELS)
    model.vae.load_state_dict(start.state_dict())  # part of the cache key, with the discriminator's seed
    return train_once(
        "ch8-vaegan", model, vaegan.train_vaegan, train_x,
        epochs=epochs_for("vaegan"), batch_size=BATCH_SIZE, gamma=GAMMA, seed=seed,
    )  # fmt: skip
