"""Notebook 1's "Your turn" checkers: the Gaussian and Bernoulli negative log-likelihoods
(references: :mod:`course_utils.losses`). The engine and the convention: :mod:`course_utils.exercises`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from course_utils import losses
from course_utils.exercises import Case, checker, compare, per_sample_size, seeded_generator, sum_per_sample
from course_utils.models import IMAGE_SHAPE


@checker
def check_gaussian_nll(fn) -> str:
    """``fn(mean, x) -> [B]``: -log N(x | mean, I) summed over pixels, 0.5*log(2*pi) per pixel included."""
    g = seeded_generator(1)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    x_img = torch.rand(4, *IMAGE_SHAPE, generator=g)
    cases = [
        Case("a batch of 8 vectors of 20 pixels", (r(8, 20), r(8, 20))),
        Case("MNIST-shaped images [B, 1, 28, 28]", (torch.rand(4, *IMAGE_SHAPE, generator=g), x_img)),
        Case("a perfect reconstruction (mean == x)", (x_img.clone(), x_img.clone())),
        Case("one sample", (r(1, 10), r(1, 10))),
        Case("one pixel per sample", (r(6, 1), r(6, 1))),
    ]
    sse = lambda m, x: sum_per_sample((x - m) ** 2)  # noqa: E731
    mistakes = [
        (
            "off by a constant: you left out the normalising constant 0.5*log(2*pi) per pixel "
            "(your result = reference - D/2 * log(2*pi)).",
            lambda m, x: 0.5 * sse(m, x),
        ),
        (
            "wrong sign: the NEGATIVE log-likelihood is 0.5*(x-mean)^2 + 0.5*log(2*pi) per pixel, "
            "a positive number here.",
            lambda m, x: -losses.gaussian_nll(m, x),
        ),
        (
            "mean instead of sum over pixels: the NLL of an image is the SUM of the per-pixel NLLs.",
            lambda m, x: losses.gaussian_nll(m, x) / per_sample_size(x),
        ),
        (
            "mean instead of sum over pixels, and the constant 0.5*log(2*pi) is missing.",
            lambda m, x: 0.5 * sse(m, x) / per_sample_size(x),
        ),
        (
            "that is the mean squared error (MSE); the NLL is 0.5*SSE + D/2*log(2*pi), summed over pixels.",
            lambda m, x: sse(m, x) / per_sample_size(x),
        ),
        ("that is the sum of squared errors; the NLL is 0.5*SSE + D/2*log(2*pi).", sse),
        (
            "missing the factor 1/2 in front of the squared error.",
            lambda m, x: sse(m, x) + 0.5 * per_sample_size(x) * losses.LOG_2PI,
        ),
        (
            "twice the reference: missing the factor 1/2 (on both terms).",
            lambda m, x: 2 * losses.gaussian_nll(m, x),
        ),
        (
            "the constant is log(2*pi) per pixel, it should be 0.5*log(2*pi).",
            lambda m, x: 0.5 * sse(m, x) + per_sample_size(x) * losses.LOG_2PI,
        ),
    ]
    return compare(fn, losses.gaussian_nll, cases, mistakes)


@checker
def check_bernoulli_nll(fn) -> str:
    """``fn(logits, x) -> [B]``: Bernoulli NLL (binary cross-entropy with logits) summed over pixels."""
    g = seeded_generator(2)
    binary = lambda *s: (torch.rand(*s, generator=g) < 0.3).float()  # noqa: E731
    logits = lambda *s: 3 * torch.randn(*s, generator=g)  # noqa: E731
    big = 30 * torch.sign(torch.randn(5, 12, generator=g))
    cases = [
        Case("a batch of 8 binary vectors of 20 pixels", (logits(8, 20), binary(8, 20))),
        Case("MNIST-shaped images [B, 1, 28, 28]", (logits(4, *IMAGE_SHAPE), binary(4, *IMAGE_SHAPE))),
        Case("grey targets x in [0, 1]", (logits(6, 15), torch.rand(6, 15, generator=g))),
        Case("one sample", (logits(1, 10), binary(1, 10))),
        Case(
            "large logits (+-30)",
            (big, binary(5, 12)),
            "For large |logits|, sigmoid rounds to exactly 0 or 1 and log() gives -inf (or a clamped -100): "
            "compute from the logits with F.binary_cross_entropy_with_logits or F.logsigmoid.",
        ),
    ]
    mistakes = [
        (
            "you applied the sigmoid twice: the function receives LOGITS and "
            "F.binary_cross_entropy_with_logits applies the sigmoid itself.",
            lambda lg, x: losses.bernoulli_nll(torch.sigmoid(lg), x),
        ),
        (
            "forgot the minus sign: NLL = -[x log p + (1 - x) log(1 - p)] is positive.",
            lambda lg, x: -losses.bernoulli_nll(lg, x),
        ),
        (
            "mean instead of sum over pixels: the NLL of an image is the SUM over its pixels.",
            lambda lg, x: losses.bernoulli_nll(lg, x) / per_sample_size(x),
        ),
        (
            "the arguments are swapped: binary_cross_entropy_with_logits(input=logits, target=x).",
            lambda lg, x: sum_per_sample(F.binary_cross_entropy_with_logits(x, lg, reduction="none")),
        ),
    ]
    return compare(fn, losses.bernoulli_nll, cases, mistakes, nan_hint=cases[-1].hint)


def _shape_hint(got, expected, inp, over) -> str:
    return f"wrong shape: expected {list(expected)} (one image, the shape of images[0]), got {list(got)}."


@checker
def check_mse_optimal_image(fn) -> str:
    """``fn(images [K, ...], weights [K]) -> [...]``: the one image mu that minimises the expected squared
    error sum_k weights[k] * ||images[k] - mu||^2 (the weights sum to 1): the weighted mean."""
    g = seeded_generator(3)
    w = lambda k: torch.softmax(torch.randn(k, generator=g), 0)  # noqa: E731
    cases = [
        Case(
            "two images [2, 1, 28, 28], weights 0.7 and 0.3",
            (torch.rand(2, *IMAGE_SHAPE, generator=g), torch.tensor([0.7, 0.3])),
        ),
        Case("five vectors of 12 pixels", (torch.randn(5, 12, generator=g), w(5))),
        Case("three images, one weight 1", (torch.rand(3, 4, 4, generator=g), torch.tensor([0.0, 1.0, 0.0]))),
    ]
    spread = lambda x, weights: weights.reshape(-1, *[1] * (x.dim() - 1))  # noqa: E731
    mistakes = [
        (
            "that is the most probable image (the mode). Squared error is minimised by the weighted "
            "MEAN: set the "
            "derivative of sum_k w_k ||x_k - mu||^2 to zero.",
            lambda x, weights: x[weights.argmax()],
        ),
        ("that is the plain mean: weight each image by its probability.", lambda x, weights: x.mean(0)),
        (
            "the weights are not normalised by their number: sum_k w_k x_k is already the mean, since the "
            "weights sum to 1.",
            lambda x, weights: (spread(x, weights) * x).sum(0) / len(weights),
        ),
        (
            "that is the pixel-wise median, which minimises the absolute error, not the squared error.",
            lambda x, weights: x.median(0).values,
        ),
    ]
    return compare(fn, _reference_blend, cases, mistakes, shape_hint=_shape_hint)


def _reference_blend(images: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """sum_k weights[k] * images[k]: ``[K, ...]``, ``[K]`` -> ``[...]``."""
    return (weights.reshape(-1, *[1] * (images.dim() - 1)) * images).sum(0)


__all__ = [name for name in dir() if name.startswith("check_")]
