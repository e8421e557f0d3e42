"""Input corruption for the denoising autoencoder (Vincent et al. 2008/2010).

The three noise processes ``q_D(x~ | x)`` of Vincent et al., for a batch of images ``[B, ...]``
with pixels in [0, 1] (any shape; the "pixels" of a sample are all its entries after the first
dimension):

- :func:`gaussian_noise`: additive isotropic Gaussian, ``x~ ~ N(x, sigma^2 I)``. **Not clipped**
  by default (as in the paper): values may leave [0, 1]; pass ``clip=True`` to clamp them.
- :func:`masking_noise`: a fraction ``nu`` of each sample's pixels, chosen at random, forced to 0.
- :func:`salt_and_pepper`: a fraction ``nu`` of each sample's pixels, chosen at random, set to the
  minimum (0) or the maximum (1) with equal probability (a fair coin per pixel).

For masking and salt-and-pepper the fraction is exact per sample: ``round(nu * D)`` of the ``D``
pixels are chosen without replacement. Every function takes a ``torch.Generator`` so a corruption
can be reproduced, and rejects bad arguments with a ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from course_utils import randomness

#: The noise types by name, in the order the demo's dropdown lists them.
NOISE_TYPES = ("gaussian", "masking", "salt_and_pepper")
NOISE_LABELS = {
    "gaussian": "additive Gaussian (σ)",
    "masking": "masking (ν set to 0)",
    "salt_and_pepper": "salt-and-pepper (ν set to 0 or 1)",
}


def _check_images(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name}: x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(f"{name}: x must be a floating-point tensor, got {x.dtype}")
    if x.dim() < 2 or x.shape[0] == 0 or x[0].numel() == 0:
        raise ValueError(f"{name}: x must be a non-empty batch [B, ...], got shape {list(x.shape)}")


def _check_level(value, name: str, what: str, upper: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        else:
            raise ValueError(f"{name}: {what} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (upper is not None and value > upper):
        bounds = f"[0, {upper:g}]" if upper is not None else ">= 0"
        raise ValueError(f"{name}: {what} must be finite and in {bounds}, got {value}")
    return value


def _rand(shape, x: torch.Tensor, generator: torch.Generator | None, normal: bool = False) -> torch.Tensor:
    """Uniform (or standard normal) numbers of ``shape`` for ``x``, by :mod:`course_utils.randomness`."""
    return (randomness.normal if normal else randomness.uniform)(shape, x, generator)


def _chosen_pixels(x: torch.Tensor, fraction: float, generator: torch.Generator | None) -> torch.Tensor:
    """Boolean mask ``[B, D]`` with exactly ``round(fraction * D)`` True entries per row, at random."""
    b, d = x.shape[0], x[0].numel()
    k = int(round(fraction * d))
    ranks = _rand((b, d), x, generator).argsort(dim=1)  # a random permutation per sample
    mask = torch.zeros(b, d, dtype=torch.bool, device=x.device)
    mask.scatter_(1, ranks[:, :k], True)
    return mask


def gaussian_noise(
    x: torch.Tensor, sigma: float, generator: torch.Generator | None = None, clip: bool = False
) -> torch.Tensor:
    """``x + sigma * eps``, ``eps ~ N(0, I)``: a sample of N(x, sigma^2 I), same shape as ``x``.

    Not clipped unless ``clip=True`` (then clamped to [0, 1], which biases the noise near 0 and 1).
    """
    _check_images(x, "gaussian_noise")
    sigma = _check_level(sigma, "gaussian_noise", "sigma", None)
    noisy = x + sigma * _rand(x.shape, x, generator, normal=True)
    return noisy.clamp(0.0, 1.0) if clip else noisy


def masking_noise(x: torch.Tensor, fraction: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Force ``round(fraction * D)`` randomly chosen pixels of each sample to 0; the rest unchanged."""
    _check_images(x, "masking_noise")
    fraction = _check_level(fraction, "masking_noise", "fraction", 1.0)
    mask = _chosen_pixels(x, fraction, generator).view(x.shape)
    return x.masked_fill(mask, 0.0)


def salt_and_pepper(
    x: torch.Tensor,
    fraction: float,
    generator: torch.Generator | None = None,
    low: float = 0.0,
    high: float = 1.0,
) -> torch.Tensor:
    """Set ``round(fraction * D)`` randomly chosen pixels of each sample to ``low`` or ``high``
    (a fair coin each); the rest unchanged."""
    _check_images(x, "salt_and_pepper")
    fraction = _check_level(fraction, "salt_and_pepper", "fraction", 1.0)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"salt_and_pepper: need finite low < high, got low={low}, high={high}")
    mask = _chosen_pixels(x, fraction, generator).view(x.shape)
    coin = _rand(x.shape, x, generator) < 0.5
    value = torch.where(coin, torch.full_like(x, high), torch.full_like(x, low))
    return torch.where(mask, value, x)


_FUNCTIONS: dict[str, Callable[..., torch.Tensor]] = {
    "gaussian": gaussian_noise,
    "masking": masking_noise,
    "salt_and_pepper": salt_and_pepper,
}


def corrupt(
    x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Dispatch by name: ``kind`` in :data:`NOISE_TYPES`; ``level`` is sigma for ``"gaussian"``,
    the fraction nu for ``"masking"`` and ``"salt_and_pepper"``."""
    if kind not in _FUNCTIONS:
        raise ValueError(f"unknown noise type {kind!r}; choose one of {list(NOISE_TYPES)}")
    return _FUNCTIONS[kind](x, level, generator=generator)


# --------------------------------------------------------------------------- the live demo


def denoising_errors(models: dict, x: torch.Tensor, x_noisy: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-image squared error ``||x - sigmoid(g(h(x~)))||^2`` ``[B]`` of each named model's reconstruction
    of the corrupted ``x_noisy``, measured against the clean ``x``."""
    out = {}
    with torch.no_grad():
        for name, model in models.items():
            recon = torch.sigmoid(model(x_noisy))
            out[name] = (recon - x).pow(2).reshape(x.shape[0], -1).sum(dim=1)
    return out
