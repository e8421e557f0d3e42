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


__all__ = [name for name in dir() if name.startswith("check_")]
