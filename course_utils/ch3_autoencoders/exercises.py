"""Notebook 3's "Your turn" checkers: masking and Gaussian noise, checked statistically (references:
:mod:`course_utils.ch3_autoencoders.corruption`). The engine: :mod:`course_utils.exercises`.
"""

from __future__ import annotations

import math

import torch

from course_utils.exercises import Case, Hint, call, checker, compare, dtype_hint, seeded_generator
from course_utils.models import IMAGE_SHAPE


def _call_noise(fn, x: torch.Tensor, level: float, seed: int | None):
    """Call a corruption function; check shape and that ``x`` is left unchanged."""
    x_in = x.clone()
    generator = None if seed is None else seeded_generator(seed)
    out = call(fn, x_in, level, generator=generator)
    if not torch.equal(x_in, x):
        raise Hint("you changed the input x in place: corrupt a copy (x.clone(), or x * mask, x + noise).")
    if out.shape != x.shape:
        raise Hint(
            f"wrong shape: the corrupted images must have the shape of x {list(x.shape)}, "
            f"got {list(out.shape)}."
        )
    if dtype_hint(out.dtype, x.dtype) or out.dtype != x.dtype:
        raise Hint(
            f"the corrupted images are {str(out.dtype).removeprefix('torch.')}, x is "
            f"{str(x.dtype).removeprefix('torch.')}: keep x's dtype (no .half(), .long() or bool masks "
            "returned as they are)."
        )
    if not torch.isfinite(out).all():
        raise Hint(
            f"your output holds {int((~torch.isfinite(out)).sum())} NaN or inf values: corrupt with finite "
            "numbers (a masked pixel is 0, noise is sigma * torch.randn)."
        )
    return out.detach().cpu().double()


def _independence_hint(values: torch.Tensor, what: str) -> str:
    """Whether ``values`` ``[B, D]`` (one row per image) look independent across images and across
    pixels: the mean of each row (and of each column) should vary as much as ``D`` (``B``) independent
    draws allow, no more. Returns a hint naming what is shared, "" when nothing is."""
    spread = values.var()
    B, D = values.shape
    if torch.allclose(values, values[:1].expand_as(values), rtol=0, atol=1e-6):
        return f"the same {what} for every image: draw it with the full shape, x.shape."
    if torch.allclose(values, values[:, :1].expand_as(values), rtol=0, atol=1e-6):
        return f"one {what} value per image, shared by all its pixels: draw it with the full shape, x.shape."
    rows, cols = values.mean(1).var() * D / spread, values.mean(0).var() * B / spread
    if rows > 3:
        return f"the pixels of an image share their {what} (they are not independent): draw it with x.shape."
    if cols > 3:
        return f"different images share their {what} (they are not independent): draw it with x.shape."
    return ""


def _assert_noise_basics(fn, x, level, level_name: str) -> str:
    """What every noise function must do: give back ``x`` at level 0, and the same corruption for the
    same seeded generator, a different one for another generator. Returns the report's words for these
    checks (with :func:`_call_noise`'s: the input untouched)."""
    if not torch.allclose(_call_noise(fn, x, 0.0, None), x.cpu().double()):
        raise Hint(f"with {level_name} = 0 the images must come back unchanged.")
    a, b = _call_noise(fn, x, level, 0), _call_noise(fn, x, level, 0)
    if not torch.equal(a, b):
        raise Hint(
            "two calls with the same seeded generator gave different results: pass the generator "
            "on, e.g. torch.rand(x.shape, generator=generator)."
        )
    if torch.equal(a, _call_noise(fn, x, level, 1)):
        raise Hint("different generators gave the same result: the corruption must be random.")
    return "input untouched, reproducible with a generator."


@checker
def check_masking_noise(fn) -> str:
    """``fn(x, fraction, generator=None)``: about ``fraction`` of the pixels set to 0, the others
    unchanged."""
    g = seeded_generator(7)
    x = 0.1 + 0.9 * torch.rand(64, *IMAGE_SHAPE, generator=g)  # no zeros, so masked pixels are visible
    fraction = 0.3
    out = _call_noise(fn, x, fraction, None)
    xd, kept = x.cpu().double(), out != 0
    if torch.allclose(out[kept], xd[kept] / (1 - fraction), rtol=1e-4) and kept.any() and not kept.all():
        raise Hint("you rescaled the kept pixels by 1/(1 - fraction) like dropout; keep them unchanged.")
    if not torch.allclose(out[kept], xd[kept], rtol=1e-5, atol=1e-6):
        raise Hint(
            "pixels that are not masked must keep their value (set a fraction to 0, change nothing else)."
        )
    per_image = (~kept).flatten(1)
    if per_image.any() and not per_image.all():
        if (per_image == per_image[0]).all():
            raise Hint(
                "the same pixels are masked in every image: draw the mask with the full shape x.shape."
            )
        shared = _independence_hint(per_image.cpu().double(), "mask")
        if shared:
            raise Hint(shared)
    masked = 1 - kept.cpu().double().mean().item()
    if abs(masked - fraction) > 0.02:
        if abs(masked - (1 - fraction)) < 0.02:
            raise Hint(
                f"you masked {masked:.3f} of the pixels with fraction={fraction}: that is the KEPT "
                f"fraction. `fraction` is the share of pixels set to 0 (mask = rand < fraction)."
            )
        raise Hint(f"you masked {masked:.3f} of the pixels, expected about fraction = {fraction}.")
    if (_call_noise(fn, x, 1.0, None) != 0).any():
        raise Hint("with fraction = 1 every pixel must be 0.")
    basics = _assert_noise_basics(fn, x, fraction, "fraction")
    return (
        f"masked {masked:.3f} of the pixels for fraction = {fraction}, others unchanged, "
        f"fractions 0 and 1 right, {basics}"
    )


@checker
def check_gaussian_noise(fn) -> str:
    """``fn(x, sigma, generator=None)``: ``x + sigma * eps`` with ``eps ~ N(0, I)``, no clipping."""
    g = seeded_generator(8)
    x = torch.rand(64, *IMAGE_SHAPE, generator=g)
    sigma = 0.5
    out = _call_noise(fn, x, sigma, None)
    d = out - x.cpu().double()
    n, mean, std = d.numel(), d.mean().item(), d.std().item()
    at_0, at_1 = (out == 0).cpu().double().mean().item(), (out == 1).cpu().double().mean().item()
    if max(at_0, at_1) > 0.01:  # x + sigma * eps hits 0 or 1 exactly almost never; a clamp piles pixels there
        where = "at 0 and 1" if min(at_0, at_1) > 0.01 else "at 0" if at_0 > 0.01 else "at 1"
        raise Hint(
            f"{max(at_0, at_1):.0%} of your output pixels are exactly {where[3:]}: you clipped {where}. "
            "Return plain x + sigma * eps (the clipping, if wanted, is a separate step)."
        )
    shared = _independence_hint(d.flatten(1), "noise")
    if shared:
        raise Hint(shared)
    if abs(std - sigma**2) < 0.03 * sigma**2:
        raise Hint(
            f"the noise has std {std:.3f} = sigma^2: sigma is the standard deviation, multiply eps by sigma."
        )
    if abs(std - math.sqrt(sigma)) < 0.03 * math.sqrt(sigma):
        raise Hint(f"the noise has std {std:.3f} = sqrt(sigma): sigma is already the standard deviation.")
    if abs(mean) > 5 * sigma / math.sqrt(n):
        raise Hint(
            f"the noise has mean {mean:.3f}, expected 0 (torch.rand is uniform on [0, 1); use torch.randn)."
        )
    if abs(std - sigma) > 0.03 * sigma:
        raise Hint(f"the noise has std {std:.3f}, expected sigma = {sigma}.")
    inside = (d.abs() < sigma).cpu().double().mean().item()
    if abs(inside - 0.6827) > 0.02:
        raise Hint(f"{inside:.3f} of the noise lies within one sigma, a Gaussian has 0.683: use torch.randn.")
    basics = _assert_noise_basics(fn, x, sigma, "sigma")
    return f"noise mean {mean:+.4f}, std {std:.4f} for sigma = {sigma}, Gaussian shape, no clipping, {basics}"


def _denoiser_shape_hint(got, expected, inp, over) -> str:
    return f"wrong shape: expected one value per noisy input, {list(expected)}, got {list(got)}."


@checker
def check_optimal_denoiser(fn) -> str:
    """``fn(x_tilde [N], sigma) -> [N]``: E[x | x_tilde] for x = -1 or +1 with probability 1/2 each and
    x_tilde = x + sigma * eps, eps ~ N(0, 1): tanh(x_tilde / sigma^2), the squared-error-optimal denoiser."""
    g = seeded_generator(4)
    cases = [
        Case("sigma = 1", (2 * torch.randn(12, generator=g), 1.0)),
        Case("sigma = 0.5", (2 * torch.randn(12, generator=g), 0.5)),
        Case("sigma = 2", (3 * torch.randn(12, generator=g), 2.0)),
        Case(
            "large inputs (x_tilde = +-30, sigma = 0.5)",
            (torch.tensor([-30.0, -3.0, 0.0, 3.0, 30.0]), 0.5),
            "exp(2 x_tilde / sigma^2) overflows for large inputs: write the ratio as "
            "torch.tanh or torch.sigmoid.",
        ),
    ]
    mistakes = [
        (
            "the likelihood ratio is exp(2 x_tilde / sigma^2): divide by sigma SQUARED.",
            lambda xt, s: torch.tanh(xt / s),
        ),
        (
            "that is the most probable x (the sign of x_tilde). Squared error is minimised by the "
            "posterior MEAN, "
            "E[x | x_tilde] = P(+1 | x_tilde) - P(-1 | x_tilde).",
            lambda xt, s: torch.sign(xt),
        ),
        (
            "that is P(x = +1 | x_tilde). The expectation is "
            "(+1) P(+1 | x_tilde) + (-1) P(-1 | x_tilde) = 2P - 1.",
            lambda xt, s: torch.sigmoid(2 * xt / s**2),
        ),
        (
            "twice the exponent: 2P - 1 with P = sigmoid(2a) is tanh(a), a = x_tilde / sigma^2.",
            lambda xt, s: torch.tanh(2 * xt / s**2),
        ),
        (
            "the identity keeps the noise: x is +-1, so the best guess lies in [-1, 1].",
            lambda xt, s: xt.clone(),
        ),
    ]
    return compare(
        fn,
        lambda xt, s: torch.tanh(xt / s**2),
        cases,
        mistakes,
        shape_hint=_denoiser_shape_hint,
        nan_hint=cases[-1].hint,
    )


__all__ = [name for name in dir() if name.startswith("check_")]
