"""Notebook 8's "Your turn" checkers: the best single answer under the pixel loss (a derivation), the
completion loss on the hidden half, the feature-space reconstruction loss, nats to bits
(the engine: :mod:`course_utils.exercises`)."""

from __future__ import annotations

import math

import torch

from course_utils import losses
from course_utils.ch8_beyond_pixels import completion, compression, vaegan
from course_utils.exercises import Case, checker, compare, seeded_generator
from course_utils.models import IMAGE_SHAPE, N_PIXELS

__all__ = [
    "check_best_single_answer",
    "check_completion_loss",
    "check_feature_reconstruction_loss",
    "check_nats_to_bits",
]


def _completion_reference(logits, x):
    return losses.bernoulli_nll(completion.split(logits)[1], completion.split(x)[1])


@checker
def check_completion_loss(fn) -> str:
    """``fn(logits, x) -> [B]``: BCE with logits summed over the hidden (lower) half of each image only."""
    g = seeded_generator(8)
    cases = [
        Case(
            "a batch of 6 images",
            (
                3 * torch.randn(6, *IMAGE_SHAPE, generator=g),
                (torch.rand(6, *IMAGE_SHAPE, generator=g) < 0.3).float(),
            ),
        ),
        Case(
            "one image", (torch.randn(1, *IMAGE_SHAPE, generator=g), torch.rand(1, *IMAGE_SHAPE, generator=g))
        ),
    ]
    mistakes = [
        (
            "you summed over every pixel: the visible (upper) half is given, only the hidden half is scored.",
            lambda lg, x: losses.bernoulli_nll(lg, x),
        ),
        (
            "you scored the visible (upper) half: the hidden half is the lower one, rows 14 to 27.",
            lambda lg, x: losses.bernoulli_nll(completion.split(lg)[0], completion.split(x)[0]),
        ),
        (
            "mean instead of sum over the hidden pixels: the loss of an image is the SUM over its pixels.",
            lambda lg, x: _completion_reference(lg, x) / completion.N_HIDDEN,
        ),
    ]
    return compare(fn, _completion_reference, cases, mistakes, over="hidden pixels")


def _features(x):
    """A fixed stand-in for a discriminator layer: 12 features of the image."""
    weights = torch.randn(N_PIXELS, 12, generator=torch.Generator().manual_seed(3)).to(x.dtype)
    return torch.tanh(x.flatten(1) @ weights / 10)


@checker
def check_feature_reconstruction_loss(fn) -> str:
    """``fn(features, x, x_tilde) -> [B]``: 1/2 ||features(x) - features(x_tilde)||^2 per image."""
    g = seeded_generator(9)
    cases = [
        Case(
            f"a batch of {n}",
            (_features, torch.rand(n, *IMAGE_SHAPE, generator=g), torch.rand(n, *IMAGE_SHAPE, generator=g)),
        )
        for n in (5, 1)
    ]
    reference = vaegan.feature_reconstruction_loss
    mistakes = [
        (
            "you compared pixels: the learned similarity compares features(x) with features(x_tilde).",
            lambda f, x, xt: 0.5 * (x - xt).pow(2).flatten(1).sum(1),
        ),
        (
            "the factor 1/2 is missing: minus the log-density of a unit Gaussian is 1/2 ||.||^2.",
            lambda f, x, xt: 2 * reference(f, x, xt),
        ),
        ("mean instead of sum over the features.", lambda f, x, xt: reference(f, x, xt) / 12),
    ]
    return compare(
        fn,
        lambda f, x, xt: reference(f, x, xt),
        cases,
        mistakes,
        over="features",
        shape_hint=lambda got, exp, inp, over: (
            f"expected one value per image [B] = {list(exp)}, got {list(got)}: sum over the {over} only."
        ),
    )


@checker
def check_nats_to_bits(fn) -> str:
    """``fn(nats) -> bits``: divide by ln 2."""
    g = seeded_generator(10)
    cases = [
        Case("a batch of rates in nats", (50 * torch.rand(7, generator=g),)),
        Case("one code length", (torch.tensor([math.log(2) * 8]),)),
    ]
    mistakes = [
        (
            "you multiplied by ln 2: a nat is MORE than a bit (1 nat = 1/ln 2 = 1.44 bits), so divide.",
            lambda n: n * math.log(2),
        ),
        (
            "you took log2 of the nats: the units change by a constant factor, bits = nats / ln 2.",
            lambda n: torch.log2(n),
        ),
        ("you divided by log10(2) or ln(10): bits = nats / ln 2.", lambda n: n / math.log10(2)),
        (
            "you divided by the pixels: the question asks for bits per image.",
            lambda n: compression.nats_to_bits(n) / N_PIXELS,
        ),
    ]
    return compare(
        fn,
        compression.nats_to_bits,
        cases,
        mistakes,
        over="nothing",
        shape_hint=lambda got, exp, inp, over: f"return one value per input, shape {list(exp)}.",
    )


@checker
def check_best_single_answer(fn) -> str:
    """``fn(p) -> a``: the one prediction a in [0, 1] that minimises the expected pixel loss
    -p log a - (1 - p) log(1 - a) of a pixel that is on with probability p (elementwise): a = p."""
    g = seeded_generator(11)
    cases = [
        Case("probabilities of a pixel being on", (torch.rand(9, generator=g),)),
        Case("a sure pixel and an undecided one", (torch.tensor([0.999, 0.5]),)),
    ]
    mistakes = [
        (
            "you predicted the likelier value (0 or 1): a confident wrong pixel costs a lot, so the expected "
            "loss is smallest at a grey value. Set the derivative p/a - (1 - p)/(1 - a) to zero.",
            lambda p: (p > 0.5).float(),
        ),
        ("you swapped on and off: the answer grows with p.", lambda p: 1 - p),
        (
            "one grey value for every p ignores what the top says about the pixel.",
            lambda p: torch.full_like(p, 0.5),
        ),
    ]
    return compare(
        fn,
        lambda p: p.clone(),
        cases,
        mistakes,
        over="nothing",
        shape_hint=lambda got, exp, inp, over: f"return one value per probability, shape {list(exp)}.",
    )
