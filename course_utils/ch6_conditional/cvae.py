"""The conditional VAE (Kingma et al. 2014; Sohn et al. 2015) and a small classifier of digits.

The label y enters as a one-hot vector concatenated to the input of both networks: the encoder
q(z | x, y) and the decoder p(x | z, y). The loss is the conditional negative ELBO
-E_q[log p(x | z, y)] + KL(q(z | x, y) || N(0, I)), per sample ``[B]``, summed over pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from course_utils import losses
from course_utils.device import get_device
from course_utils.models import IMAGE_SHAPE, N_PIXELS, VAE, flatten_images, mlp

N_CLASSES = 10


def one_hot(y: torch.Tensor, n_classes: int = N_CLASSES) -> torch.Tensor:
    """Integer labels ``[B]`` -> float one-hot ``[B, n_classes]``; a float ``[B, n_classes]`` passes
    through."""
    if y.dim() == 2 and y.shape[1] == n_classes and y.is_floating_point():
        return y
    if y.dim() != 1 or y.is_floating_point():
        raise ValueError(
            f"labels must be integers [B] or one-hot [B, {n_classes}], got {y.dtype} {list(y.shape)}"
        )
    if y.numel() and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got [{int(y.min())}, {int(y.max())}]")
    return F.one_hot(y.long(), n_classes).float()  # int32/uint8 labels (read with NumPy) too


class CVAE(nn.Module):
    """Conditional VAE: encoder [x, onehot(y)] -> (mu, logvar), decoder [z, onehot(y)] -> logits."""

    def __init__(
        self, latent_dim: int, hidden: Sequence[int] = (512, 256), n_classes: int = N_CLASSES, device=None
    ):
        super().__init__()
        self.latent_dim, self.hidden, self.n_classes = latent_dim, tuple(hidden), n_classes
        self.encoder = mlp([N_PIXELS + n_classes, *self.hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim + n_classes, *reversed(self.hidden), N_PIXELS])
        self.to(get_device() if device is None else device)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images ``[B, 1, 28, 28]``, labels ``[B]`` -> ``(mu, logvar)``, each ``[B, latent_dim]``."""
        h = torch.cat([flatten_images(x), one_hot(y, self.n_classes)], dim=1)
        mu, logvar = self.encoder(h).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Codes ``[B, latent_dim]``, labels ``[B]`` -> logits ``[B, 1, 28, 28]``."""
        return self.decoder(torch.cat([z, one_hot(y, self.n_classes)], dim=1)).view(-1, *IMAGE_SHAPE)

    reparameterize = staticmethod(VAE.reparameterize)  # z = mu + sigma * eps, as in notebook 5

    def forward(self, x: torch.Tensor, y: torch.Tensor):
        """-> ``(logits [B, 1, 28, 28], mu [B, D], logvar [B, D])`` with one sampled z."""
        mu, logvar = self.encode(x, y)
        return self.decode(self.reparameterize(mu, logvar), y), mu, logvar


def cvae_loss(model: CVAE, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Conditional negative ELBO with one sample: ``{"loss", "recon", "kl"}``, each ``[B]`` nats."""
    logits, mu, logvar = model(x, y)
    recon = losses.bernoulli_nll(logits, x)
    kl = losses.kl_std_normal(mu, logvar)
    return {"loss": recon + kl, "recon": recon, "kl": kl}


@torch.no_grad()
def generate(
    model: CVAE, labels: torch.Tensor, z: torch.Tensor | None = None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Pixel means ``[B, 1, 28, 28]`` of p(x | z, y) for labels ``[B]``; z from N(0, I) unless given."""
    device = next(model.parameters()).device
    labels = labels.to(device)
    if z is None:
        z = torch.randn(labels.shape[0], model.latent_dim, generator=generator)
    return torch.sigmoid(model.decode(z.to(device), labels))


@torch.no_grad()
def analogies(model: CVAE, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each image's style z = mu(x, y), decoded with every label: ``[N, n_classes, 1, 28, 28]``."""
    mu, _ = model.encode(x, y)
    n, k = mu.shape[0], model.n_classes
    labels = torch.arange(k, device=mu.device).repeat(n)
    return torch.sigmoid(model.decode(mu.repeat_interleave(k, dim=0), labels)).view(n, k, *IMAGE_SHAPE)


class DigitClassifier(nn.Module):
    """A small MLP 784 -> hidden -> 10 giving class logits; it judges generated digits."""

    def __init__(self, hidden: Sequence[int] = (256,), device=None):
        super().__init__()
        self.hidden = tuple(hidden)
        self.net = mlp([N_PIXELS, *self.hidden, N_CLASSES])
        self.to(get_device() if device is None else device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``[B, 1, 28, 28]`` -> logits ``[B, 10]``."""
        return self.net(flatten_images(x))


def classifier_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Cross-entropy per sample ``[B]`` (nats) and the 0/1 error, for :func:`course_utils.train.fit`."""
    logits = model(x)
    return {"loss": F.cross_entropy(logits, y, reduction="none"), "error": (logits.argmax(1) != y).float()}


@torch.no_grad()
def predict(classifier: nn.Module, x: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """Predicted labels ``[N]`` for images ``[N, 1, 28, 28]``."""
    classifier.eval()
    return torch.cat([classifier(x[i : i + batch_size]).argmax(1) for i in range(0, x.shape[0], batch_size)])


def label_agreement(classifier: nn.Module, images: torch.Tensor, requested: torch.Tensor) -> float:
    """Fraction of ``images`` that ``classifier`` labels as ``requested`` ``[N]``."""
    if images.shape[0] != requested.shape[0]:
        raise ValueError(f"{images.shape[0]} images but {requested.shape[0]} requested labels")
    return (predict(classifier, images) == requested.to(images.device)).float().mean().item()
