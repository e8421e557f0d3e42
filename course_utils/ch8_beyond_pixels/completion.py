"""Regression as structured output (Sohn, Lee & Yan 2015): complete an image from its upper half.

The visible part is the image's upper ``VISIBLE_ROWS`` rows, the hidden part the rest; each is a flat
``[B, N_VISIBLE]`` / ``[B, N_HIDDEN]`` vector. Two models predict the hidden half from the visible one:

- :class:`Regressor`: one deterministic answer, trained with the pixel loss (BCE on the hidden half);
- :class:`CompletionCVAE`: a conditional VAE, encoder q(z | visible, hidden), decoder p(hidden | z, visible),
  prior N(0, I). Its loss is the negative conditional ELBO with the reconstruction on the hidden half only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from course_utils import losses, randomness
from course_utils.device import get_device
from course_utils.models import IMAGE_SHAPE, IMAGE_SIZE, N_PIXELS, VAE, flatten_images, mlp

#: The upper half of the image is seen, the lower half predicted.
VISIBLE_ROWS = IMAGE_SIZE // 2
N_VISIBLE = VISIBLE_ROWS * IMAGE_SIZE
N_HIDDEN = N_PIXELS - N_VISIBLE


def split(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``[B, 1, 28, 28]`` (or ``[B, 784]``) -> ``(visible [B, N_VISIBLE], hidden [B, N_HIDDEN])``."""
    flat = flatten_images(x)
    return flat[:, :N_VISIBLE], flat[:, N_VISIBLE:]


def join(visible: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
    """``visible [B, N_VISIBLE]`` and ``hidden [B, N_HIDDEN]`` -> images ``[B, 1, 28, 28]``."""
    return torch.cat([visible, hidden], dim=1).view(-1, *IMAGE_SHAPE)


class Regressor(nn.Module):
    """visible half -> logits of the hidden half, one deterministic answer per input."""

    def __init__(self, hidden: Sequence[int] = (256,), device=None):
        super().__init__()
        self.hidden = tuple(hidden)
        self.net = mlp([N_VISIBLE, *self.hidden, N_HIDDEN])
        self.to(get_device() if device is None else device)

    def forward(self, visible: torch.Tensor) -> torch.Tensor:
        """``[B, N_VISIBLE]`` -> logits ``[B, N_HIDDEN]``."""
        return self.net(visible)


def regressor_loss(model: Regressor, x: torch.Tensor) -> torch.Tensor:
    """The pixel loss on the hidden half: BCE summed over its pixels, ``[B]`` nats."""
    visible, hidden = split(x)
    return losses.bernoulli_nll(model(visible), hidden)


class CompletionCVAE(nn.Module):
    """Encoder [visible, hidden] -> (mu, logvar); decoder [z, visible] -> logits of the hidden half."""

    def __init__(self, latent_dim: int = 8, hidden: Sequence[int] = (256,), device=None):
        super().__init__()
        self.latent_dim, self.hidden = latent_dim, tuple(hidden)
        self.encoder = mlp([N_PIXELS, *self.hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim + N_VISIBLE, *self.hidden, N_HIDDEN])
        self.to(get_device() if device is None else device)

    reparameterize = staticmethod(VAE.reparameterize)

    def encode(self, visible: torch.Tensor, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z | visible, hidden): ``(mu, logvar)``, each ``[B, latent_dim]``."""
        return self.encoder(torch.cat([visible, hidden], dim=1)).chunk(2, dim=-1)

    def decode(self, z: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        """p(hidden | z, visible): logits ``[B, N_HIDDEN]``."""
        return self.decoder(torch.cat([z, visible], dim=1))


def completion_loss(
    model: CompletionCVAE, x: torch.Tensor, kl_weight: float = 1.0
) -> dict[str, torch.Tensor]:
    """Negative conditional ELBO of the hidden half given the visible one, one sample of z:
    ``{"loss", "recon", "kl"}``, each ``[B]`` nats; the reconstruction counts hidden pixels only.
    ``kl_weight`` < 1 makes the code cheaper, so that it carries more of the hidden half (more diverse
    completions); ``"loss"`` is then recon + kl_weight * kl, and the bound is recon + kl."""
    visible, hidden = split(x)
    mu, logvar = model.encode(visible, hidden)
    logits = model.decode(model.reparameterize(mu, logvar), visible)
    recon = losses.bernoulli_nll(logits, hidden)
    kl = losses.kl_std_normal(mu, logvar)
    return {"loss": recon + kl_weight * kl, "recon": recon, "kl": kl}


@torch.no_grad()
def log_weights(model: CompletionCVAE, x: torch.Tensor, k: int, generator=None) -> torch.Tensor:
    """``[k, B]`` importance log-weights log p(hidden | z, visible) + log p(z) - log q(z | visible, hidden),
    with z_i ~ q."""
    visible, hidden = split(x)
    mu, logvar = model.encode(visible, hidden)
    z = mu + torch.exp(0.5 * logvar) * randomness.normal((k, *mu.shape), mu, generator)  # [k, B, D]
    B = x.shape[0]
    logits = model.decode(z.reshape(k * B, -1), visible.repeat(k, 1))
    log_p = -losses.bernoulli_nll(logits, hidden.repeat(k, 1)).view(k, B)
    return log_p + losses.gaussian_log_density(z) - losses.gaussian_log_density(z, mu, logvar)


@torch.no_grad()
def conditional_log_likelihood(
    model: CompletionCVAE, x: torch.Tensor, k: int = 100, chunk: int = 50, generator=None
) -> torch.Tensor:
    """log p(hidden | visible) estimated by importance sampling with ``k`` samples of q (Sohn et al.'s
    estimate): log (1/k) sum_i w_i, ``[B]`` nats. A lower bound in expectation that rises towards the
    true value as ``k`` grows; ``k=1`` is a one-sample conditional ELBO."""
    if k < 1:
        raise ValueError(f"conditional_log_likelihood: k must be >= 1, got {k}")
    parts = [log_weights(model, x, min(chunk, k - start), generator) for start in range(0, k, chunk)]
    return torch.logsumexp(torch.cat(parts), dim=0) - math.log(k)


@torch.no_grad()
def regressor_log_likelihood(model: Regressor, x: torch.Tensor) -> torch.Tensor:
    """log p(hidden | visible) of the regressor read as independent Bernoulli pixels, ``[B]`` nats."""
    return -regressor_loss(model, x)


@torch.no_grad()
def complete(model: CompletionCVAE, x: torch.Tensor, n: int, generator=None) -> torch.Tensor:
    """``n`` completions of each image's visible half, z ~ N(0, I): images ``[n, B, 1, 28, 28]`` whose
    upper half is the input's and lower half the decoder's pixel means."""
    visible, _ = split(x)
    z = randomness.normal((n * x.shape[0], model.latent_dim), visible, generator)
    means = torch.sigmoid(model.decode(z, visible.repeat(n, 1)))
    return join(visible.repeat(n, 1), means).view(n, x.shape[0], *IMAGE_SHAPE)


@torch.no_grad()
def regress(model: Regressor, x: torch.Tensor) -> torch.Tensor:
    """The regressor's one completion: images ``[B, 1, 28, 28]`` (its mean in the hidden half)."""
    visible, _ = split(x)
    return join(visible, torch.sigmoid(model(visible)))


def hidden_squared_error(completion: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Squared error summed over the hidden half: ``[..., B, 1, 28, 28]`` against ``[B, ...]``
    -> ``[..., B]``."""
    flat = completion.reshape(*completion.shape[:-3], N_PIXELS)[..., N_VISIBLE:]
    return ((flat - split(x)[1]) ** 2).sum(-1)


def best_of_k_error(completions: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The smallest hidden-half squared error among ``k`` completions ``[k, B, 1, 28, 28]``: ``[B]``."""
    return hidden_squared_error(completions, x).min(dim=0).values
