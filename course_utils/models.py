"""MLP autoencoders over the 784 pixels of an MNIST digit.

Both models accept images ``[B, 1, 28, 28]`` or flat ``[B, 784]`` and decode to raw outputs
``[B, 1, 28, 28]``: Bernoulli logits (apply ``torch.sigmoid`` for pixel means), or the mean of a
Gaussian decoder when trained with :func:`course_utils.losses.gaussian_nll`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from course_utils import randomness
from course_utils.device import get_device
from course_utils.inputs import check_values, float_batch

#: An MNIST digit: ``IMAGE_SIZE`` x ``IMAGE_SIZE`` grey pixels, stored as ``IMAGE_SHAPE`` = (channels, height,
#: width); ``N_PIXELS`` of them in all. The package writes these names, never the literals 28 and 784.
IMAGE_SIZE = 28
IMAGE_SHAPE = (1, IMAGE_SIZE, IMAGE_SIZE)
N_PIXELS = IMAGE_SIZE * IMAGE_SIZE


def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def flatten_images(x, name: str = "x", like: torch.Tensor | None = None) -> torch.Tensor:
    """Images ``[B, 1, 28, 28]``, ``[B, 28, 28]`` or ``[B, 784]`` -> float ``[B, 784]`` in ``like``'s
    dtype (see :func:`course_utils.inputs.float_batch`); anything else is a one-line ``ValueError``."""
    x = float_batch(x, name, like)
    if x.dim() >= 2 and x[0].numel() == N_PIXELS and x.shape[-1] in (IMAGE_SIZE, N_PIXELS):
        return x.reshape(x.shape[0], N_PIXELS)
    hint = ""
    if x.dim() == 2 and tuple(x.shape) == (IMAGE_SIZE, IMAGE_SIZE):
        hint = f"; one image? pass {name}[None]"
    elif x.dim() == 4 and x.shape[-1] == 1:
        hint = f"; channels last? pass {name}.permute(0, 3, 1, 2)"
    raise ValueError(
        f"expected {name} of shape [B, 1, 28, 28] or [B, 784]; each of its rows is {list(x.shape[1:])}{hint}"
    )


def pixel_images(x, name: str = "images") -> torch.Tensor:
    """Images for a widget, as :func:`flatten_images` takes them and finite in [0, 1] (one pass);
    returned as given (float32), not flattened."""
    x = float_batch(x, name)
    flatten_images(x, name)
    check_values(name, x, 0, 1)
    return x


class Autoencoder(nn.Module):
    """Deterministic autoencoder: encoder h (784 -> hidden -> latent), decoder g (mirror image).

    ``hidden=()`` gives a linear autoencoder (one linear map each way).
    """

    def __init__(self, latent_dim: int, hidden: Sequence[int] = (400,), device=None):
        super().__init__()
        self.latent_dim = latent_dim
        self.hidden = tuple(hidden)
        self.encoder = mlp([N_PIXELS, *self.hidden, latent_dim])
        self.decoder = mlp([latent_dim, *reversed(self.hidden), N_PIXELS])
        self.to(get_device() if device is None else device)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 1, 28, 28]`` -> codes ``z`` ``[B, latent_dim]``."""
        return self.encoder(flatten_images(x, like=self.encoder[0].weight))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """``[B, latent_dim]`` -> logits ``[B, 1, 28, 28]``."""
        return self.decoder(z).view(-1, *IMAGE_SHAPE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class VAE(nn.Module):
    """Variational autoencoder with a diagonal Gaussian encoder q(z|x) = N(mu, diag(exp(logvar)))."""

    def __init__(self, latent_dim: int, hidden: Sequence[int] = (400,), device=None):
        super().__init__()
        self.latent_dim = latent_dim
        self.hidden = tuple(hidden)
        self.encoder = mlp([N_PIXELS, *self.hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim, *reversed(self.hidden), N_PIXELS])
        self.to(get_device() if device is None else device)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[B, 1, 28, 28]`` -> ``(mu, logvar)``, each ``[B, latent_dim]``."""
        mu, logvar = self.encoder(flatten_images(x, like=self.encoder[0].weight)).chunk(2, dim=-1)
        return mu, logvar

    @staticmethod
    def reparameterize(
        mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I) drawn from ``generator`` (None: the global one):
        a sample that gradients flow through."""
        std = torch.exp(0.5 * logvar)
        return mu + std * randomness.normal(std.shape, std, generator)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """``[B, latent_dim]`` -> logits ``[B, 1, 28, 28]``."""
        return self.decoder(z).view(-1, *IMAGE_SHAPE)

    def forward(self, x: torch.Tensor):
        """-> ``(logits [B, 1, 28, 28], mu [B, D], logvar [B, D])`` with one sampled z."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


@torch.no_grad()
def latent_codes(model: nn.Module, x: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """Deterministic codes ``[N, latent_dim]``: z for an Autoencoder, the mean mu for a VAE."""
    x = float_batch(x, "x", like=next(model.parameters()))
    out = []
    for start in range(0, x.shape[0], batch_size):
        code = model.encode(x[start : start + batch_size])
        out.append(code[0] if isinstance(code, tuple) else code)
    return torch.cat(out)


@torch.no_grad()
def decode_images(model: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """Codes ``[N, latent_dim]`` -> pixel means in [0, 1], ``[N, 1, 28, 28]`` (sigmoid of logits)."""
    return torch.sigmoid(model.decode(z))
