"""The decoder's likelihood: Bernoulli, Gaussian (fixed or learned σ) and the continuous Bernoulli.

All negative log-likelihoods return ``[B]`` nats, summed over the 784 pixels (the course convention).
The decoder always outputs logits ``[B, 1, 28, 28]``; each likelihood reads them its own way:

* Bernoulli: pixel = 1 with probability sigmoid(logit) (a probability of a *binary* image);
* Gaussian: mean sigmoid(logit), standard deviation σ (a *density* over real-valued pixels);
* continuous Bernoulli (Loaiza-Ganem & Cunningham 2019): density C(λ) λ^x (1-λ)^(1-x) on [0, 1]
  with λ = sigmoid(logit), whose normaliser C makes it integrate to 1 (BCE on grey pixels lacks it).

Densities of 8-bit images are made comparable by *dequantization* (Theis et al. 2016): adding
uniform noise turns the 256 grey levels into intervals, and for any density p,
E_u[log p((255 x + u) / 256)] - 784 log 256 <= log P(x), the log-probability of the 8-bit image.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from course_utils import losses, models

#: log 256 per pixel, summed over 784 pixels: the change of units from a density on [0, 1]^784 to
#: the probability of an 8-bit image (the volume of one grey-level bin is 256^-784).
DEQUANTIZATION_OFFSET = models.N_PIXELS * math.log(256)
#: Learned standard deviations are kept above this (a density on grey levels 1/256 apart).
MIN_SIGMA = 1e-3
#: log σ = LOG_SIGMA_SPEED * raw parameter: Adam moves a parameter by about lr per step, so this lets σ
#: travel its orders of magnitude in a few hundred steps (a per-parameter learning rate, in effect).
LOG_SIGMA_SPEED = 10.0

_SMALL = 1e-2  # |logit| below this uses the Taylor series (0/0 at logit 0, i.e. λ = 0.5)


def cb_log_normalizer(logits: torch.Tensor) -> torch.Tensor:
    """log C(λ) of the continuous Bernoulli, elementwise, from logits η = log(λ / (1 - λ)).

    C(λ) = 2 artanh(1 - 2λ) / (1 - 2λ), which is η / tanh(η / 2) in terms of η: 2 at λ = 0.5,
    growing like |η| far from it. Near η = 0 the formula is 0/0, so there we use its Taylor series
    log 2 + log(1 + η²/12 - η⁴/720). Stable for every finite η, and so are its gradients.
    """
    if not torch.isfinite(logits).all():
        raise ValueError("cb_log_normalizer: logits contain NaN or infinite values")
    small = logits.abs() < _SMALL
    safe = torch.where(small, torch.ones_like(logits), logits)  # keeps the unused branch finite
    far = torch.log(safe.abs()) - torch.log(torch.tanh(safe.abs() / 2))
    eta2 = logits.pow(2)
    near = math.log(2.0) + torch.log1p(eta2 / 12 - eta2.pow(2) / 720)
    return torch.where(small, near, far)


def cb_mean(logits: torch.Tensor) -> torch.Tensor:
    """The mean of the continuous Bernoulli, elementwise: 1 / (1 - e^-η) - 1 / η (0.5 at η = 0).

    It is *not* λ = sigmoid(η): the density λ^x (1-λ)^(1-x) ∝ e^(ηx) pulls the mean less towards 0
    or 1 than λ is. Shows what a CB decoder predicts on average.
    """
    small = logits.abs() < _SMALL
    safe = torch.where(small, torch.ones_like(logits), logits)
    far = -1.0 / torch.expm1(-safe) - 1.0 / safe
    near = 0.5 + logits / 12 - logits.pow(3) / 720
    return torch.where(small, near, far)


def continuous_bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log CB(x | λ) summed over pixels: BCE minus log C(λ); ``[B, ...]`` -> ``[B]`` nats (a density)."""
    return losses.bernoulli_nll(logits, x) - cb_log_normalizer(logits).flatten(1).sum(dim=1)


def gaussian_nll_fixed(sigma: float):
    """A decoder NLL ``nll(model, logits, x) -> [B]``: Gaussian, mean sigmoid(logits), fixed std ``sigma``."""
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    logvar = 2 * math.log(sigma)
    return lambda model, logits, x: losses.gaussian_nll(torch.sigmoid(logits), x, logvar)


class LearnedSigmaVAE(models.VAE):
    """A :class:`~course_utils.models.VAE` with a Gaussian decoder whose std is learned: one σ for
    all pixels (``per_pixel=False``) or one per pixel (``[1, 28, 28]``), kept >= :data:`MIN_SIGMA`."""

    def __init__(self, latent_dim: int, hidden=(400,), per_pixel: bool = False, device=None):
        super().__init__(latent_dim, hidden=hidden, device=device)
        shape = models.IMAGE_SHAPE if per_pixel else ()
        self.per_pixel = per_pixel
        start = math.log(0.3) / LOG_SIGMA_SPEED
        self.raw_log_sigma = nn.Parameter(torch.full(shape, start, device=self.encoder[0].weight.device))

    def log_sigma(self) -> torch.Tensor:
        """log σ: a scalar, or ``[1, 28, 28]`` per pixel; never below log(MIN_SIGMA)."""
        return (LOG_SIGMA_SPEED * self.raw_log_sigma).clamp(min=math.log(MIN_SIGMA))


def gaussian_nll_learned(model: LearnedSigmaVAE, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Decoder NLL of a :class:`LearnedSigmaVAE`: Gaussian, mean sigmoid(logits), std the model's σ."""
    return losses.gaussian_nll(torch.sigmoid(logits), x, 2 * model.log_sigma())


def bernoulli_nll(model, logits, x):
    """Decoder NLL ``(model, logits, x) -> [B]`` of a Bernoulli decoder (the course's BCE)."""
    return losses.bernoulli_nll(logits, x)


def continuous_bernoulli(model, logits, x):
    """Decoder NLL ``(model, logits, x) -> [B]`` of a continuous-Bernoulli decoder."""
    return continuous_bernoulli_nll(logits, x)


def dequantize(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """8-bit grey images in [0, 1] -> (255 x + u) / 256 with u ~ U[0, 1): each grey level becomes an
    interval."""
    if x.min() < 0 or x.max() > 1:
        raise ValueError(
            f"dequantize needs pixel values in [0, 1], got [{x.min().item():.3g}, {x.max().item():.3g}]"
        )
    u = torch.rand(
        x.shape, generator=generator, device=generator.device if generator is not None else x.device
    )
    return (255 * x + u.to(x.device)) / 256


def decoder_vae_loss(nll, transform=None):
    """A ``loss_fn`` for ``fit``: ``nll(model, logits, x)`` + KL per image, after ``transform(x)`` (e.g. a
    fresh binarization or dequantization of every batch, seen by the encoder and the decoder alike)."""

    def loss_fn(model, x):
        if transform is not None:
            x = transform(x)
        logits, mu, logvar = model(x)
        recon, kl = nll(model, logits, x), losses.kl_std_normal(mu, logvar)
        return {"loss": recon + kl, "recon": recon, "kl": kl}

    return loss_fn


@torch.no_grad()
def elbo_with(model, nll, x: torch.Tensor, n_samples: int = 1, batch_size: int = 1000) -> torch.Tensor:
    """ELBO of ``x`` for a VAE with decoder NLL ``nll``, ``[N]`` nats: mean over ``n_samples`` samples of
    the reconstruction log-likelihood, minus the closed-form KL. With ``liklihoods.bernoulli_nll`` it
    is :func:`course_utils.losses.elbo`."""
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    out = []
    for start in range(0, x.shape[0], batch_size):
        xb = x[start : start + batch_size]
        mu, logvar = model.encode(xb)
        rec = torch.stack(
            [-nll(model, model.decode(model.reparameterize(mu, logvar)), xb) for _ in range(n_samples)]
        ).mean(0)
        out.append(rec - losses.kl_std_normal(mu, logvar))
    return torch.cat(out)


def sharpness(images: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels (across and down), per image: ``[N, 1, 28, 28]``
    -> ``[N]``. Crisp strokes score high, blur scores low; MNIST's test digits give about 0.1."""
    if images.dim() != 4:
        raise ValueError(f"sharpness needs images [N, C, H, W], got {list(images.shape)}")
    across = (images[..., :, 1:] - images[..., :, :-1]).abs().flatten(1).mean(1)
    down = (images[..., 1:, :] - images[..., :-1, :]).abs().flatten(1).mean(1)
    return 0.5 * (across + down)
