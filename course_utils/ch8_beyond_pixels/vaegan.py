"""A learned similarity (Larsen et al. 2016): the VAE/GAN, small MLPs.

A VAE whose reconstruction term is measured in the features of a discriminator trained at the same time,
with the GAN loss beside it. Per image ``x`` with code z ~ q(z|x), reconstruction x~ = Dec(z) and prior
sample x_p = Dec(z_p), z_p ~ N(0, I):

- encoder:       KL(q(z|x) || N(0, I)) + L_rec,   L_rec = L_feature + pixel_weight * BCE(x~, x),
                 L_feature = 1/2 ||Dis_l(x) - Dis_l(x~)||^2;
- decoder:       gamma * L_rec + GAN loss of x~ and x_p as "real" (non-saturating);
- discriminator: -log D(x) - log(1 - D(x~)) - log(1 - D(x_p)).

With ``pixel_weight = 0`` (the default) this is Larsen et al.'s loss.

The stabilising tricks of :func:`train_vaegan` are named in :data:`TRICKS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from course_utils import losses, randomness
from course_utils.data import batches
from course_utils.device import get_device
from course_utils.models import N_PIXELS, VAE, flatten_images, mlp

TRICKS = (
    "the reconstruction is measured in the discriminator's features (feature matching), not by the GAN loss",
    "the decoder fools the discriminator with the non-saturating loss -log D(x~), not log(1 - D(x~))",
    "the feature loss trains the encoder and decoder only, never the discriminator",
    "gamma weighs reconstructing against fooling in the decoder's loss",
    "Adam with beta1 = 0.5 and a small learning rate, one discriminator step per generator step",
    "leaky ReLUs in the discriminator, so that its gradients do not vanish on fakes",
    "a small convolutional discriminator: its features see strokes, so matching them does not reward speckle",
    "the reconstruction matches both of its layers: the first sees fine texture, so dithering grey costs",
    "the VAE starts from the pixel VAE's weights: the GAN sharpens images that are already digits or clothes "
    "instead of searching from noise, where a young discriminator lets the decoder settle on one image",
)


class Discriminator(nn.Module):
    """Images -> features ``[B, hidden[-1]]`` (the layer the reconstruction is measured in) -> a
    logit ``[B]``."""

    def __init__(self, hidden: Sequence[int] = (256,), device=None):
        super().__init__()
        self.hidden = tuple(hidden)
        self.body = nn.Sequential(mlp([N_PIXELS, *self.hidden], nn.LeakyReLU), nn.LeakyReLU(0.2))
        self.head = nn.Linear(self.hidden[-1], 1)
        self.to(get_device() if device is None else device)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Dis_l(x): ``[B, 1, 28, 28]`` -> ``[B, hidden[-1]]``."""
        return self.body(flatten_images(x, like=self.head.weight))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logit of "x is a real image", ``[B]``."""
        return self.head(self.features(x)).squeeze(1)


class ConvDiscriminator(nn.Module):
    """Images -> two strided convolutions (``channels`` maps of 14x14, then twice as many of 7x7) -> a logit
    ``[B]``. The feature layer is both convolutions' outputs, flattened and joined, ``[B, 294 * channels]``.
    Convolutions see strokes, not single pixels, so their features change little under a small shift
    (Larsen et al.'s choice); matching the first layer too keeps fine texture and grey levels (the
    discriminator features of pix2pixHD, Wang et al. 2018)."""

    def __init__(self, channels: int = 16, device=None):
        super().__init__()
        self.channels = channels
        self.first = nn.Sequential(nn.Conv2d(1, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2))
        self.second = nn.Sequential(
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2)
        )
        self.head = nn.Linear(2 * channels * 7 * 7, 1)
        self.to(get_device() if device is None else device)

    def _layers(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        first = self.first(x.reshape(-1, 1, 28, 28).to(self.head.weight.dtype))
        return first, self.second(first)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Dis_l(x): ``[B, 1, 28, 28]`` (or ``[B, 784]``) -> ``[B, 294 * channels]``."""
        return torch.cat([layer.flatten(1) for layer in self._layers(x)], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logit of "x is a real image", ``[B]``."""
        return self.head(self._layers(x)[1].flatten(1)).squeeze(1)


class VAEGAN(nn.Module):
    """A :class:`~course_utils.models.VAE` (``.vae``) and a :class:`Discriminator` (``.discriminator``);
    ``encode``/``decode``/``reparameterize`` are the VAE's, so the core's helpers take it as a VAE.
    ``conv_channels``: a :class:`ConvDiscriminator` with that many channels instead of the MLP one."""

    def __init__(
        self, latent_dim: int, hidden: Sequence[int] = (256,), conv_channels: int | None = None, device=None
    ):
        super().__init__()
        self.latent_dim = latent_dim
        self.vae = VAE(latent_dim, hidden=hidden, device=device)
        if conv_channels is None:
            self.discriminator = Discriminator(hidden, device=device)
        else:
            self.discriminator = ConvDiscriminator(conv_channels, device=device)

    def encode(self, x):
        return self.vae.encode(x)

    def decode(self, z):
        return self.vae.decode(z)

    reparameterize = staticmethod(VAE.reparameterize)


def feature_reconstruction_loss(features, x: torch.Tensor, x_tilde: torch.Tensor) -> torch.Tensor:
    """1/2 ||features(x) - features(x~)||^2 summed over the features, ``[B]``: minus the log-density of
    a unit Gaussian in feature space, constant dropped (Larsen et al.'s L_llike^Dis_l)."""
    return 0.5 * (features(x) - features(x_tilde)).pow(2).flatten(1).sum(1)


def discriminator_loss(real_logits: torch.Tensor, *fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(x) - sum_fakes log(1 - D(fake)), ``[B]``, with D = sigmoid(logit)."""
    return F.softplus(-real_logits) + sum(F.softplus(f) for f in fake_logits)


def generator_loss(*fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating loss -sum_fakes log D(fake), ``[B]``."""
    return sum(F.softplus(-f) for f in fake_logits)


def _step_losses(
    model: VAEGAN, x: torch.Tensor, gamma: float, pixel_weight: float
) -> tuple[torch.Tensor, ...]:
    """One batch's (encoder, decoder, discriminator) losses, batch means."""
    dis = model.discriminator
    mu, logvar = model.encode(x)
    logits = model.decode(model.reparameterize(mu, logvar))
    x_tilde = torch.sigmoid(logits)
    x_prior = torch.sigmoid(model.decode(randomness.normal(mu.shape, mu)))
    feature = feature_reconstruction_loss(dis.features, x, x_tilde)
    reconstruction = feature + pixel_weight * losses.bernoulli_nll(logits, x) if pixel_weight else feature
    kl = losses.kl_std_normal(mu, logvar)
    encoder = (kl + reconstruction).mean()
    decoder = (gamma * reconstruction + generator_loss(dis(x_tilde), dis(x_prior))).mean()
    discriminator = discriminator_loss(dis(x), dis(x_tilde.detach()), dis(x_prior.detach())).mean()
    return encoder, decoder, discriminator, feature.mean(), kl.mean()


def train_vaegan(
    model: VAEGAN,
    train_x: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 64,
    gamma: float = 1.0,
    lr: float = 3e-4,
    pixel_weight: float = 0.0,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Larsen et al.'s alternating training, each network on its own loss (see the module's docstring).

    Returns the per-epoch means ``{"train_feature", "train_kl", "train_discriminator"}``."""
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    groups = [model.vae.encoder, model.vae.decoder, model.discriminator]
    params = [list(g.parameters()) for g in groups]
    optimizers = [torch.optim.Adam(p, lr=lr, betas=(0.5, 0.999)) for p in params]
    history: dict[str, list[float]] = {"train_feature": [], "train_kl": [], "train_discriminator": []}
    model.train()
    for _ in range(epochs):
        sums, n = torch.zeros(3), 0
        for (x,) in batches(train_x, batch_size=batch_size, generator=order):
            *three, feature, kl = _step_losses(model, x, gamma, pixel_weight)
            for loss, p, opt in zip(three, params, optimizers):
                opt.zero_grad(set_to_none=True)
                for param, grad in zip(p, torch.autograd.grad(loss, p, retain_graph=True)):
                    param.grad = grad
            for opt in optimizers:
                opt.step()
            sums += torch.stack([feature, kl, three[2]]).detach().cpu() * len(x)
            n += len(x)
        if not torch.isfinite(sums).all():
            raise FloatingPointError(
                "the VAE/GAN's losses became NaN or infinite; try a smaller learning rate"
            )
        for name, total in zip(history, (sums / n).tolist()):
            history[name].append(total)
    model.eval()
    return history


@torch.no_grad()
def feature_distance(model: VAEGAN, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """||Dis_l(a) - Dis_l(b)||^2 between images ``[B, ...]``: ``[B]`` (twice the feature loss)."""
    return 2 * feature_reconstruction_loss(model.discriminator.features, a, b)


def edge_energy(images: torch.Tensor) -> torch.Tensor:
    """Sharpness: the squared differences of neighbouring pixels (across and down), summed, ``[B]``.
    A blurred image has less of it than a crisp one with the same strokes."""
    img = images.reshape(images.shape[0], *images.shape[-2:])
    across = (img[:, :, 1:] - img[:, :, :-1]).pow(2).flatten(1).sum(1)
    down = (img[:, 1:, :] - img[:, :-1, :]).pow(2).flatten(1).sum(1)
    return across + down
