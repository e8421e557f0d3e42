"""Notebook 2's "Your turn" checker: pairwise Euclidean distances (reference:
:func:`course_utils.ch2_manifold.manifold.pairwise_distances`). The engine: :mod:`course_utils.exercises`.
"""

from __future__ import annotations

import math

import torch

from course_utils.ch2_manifold.manifold import pairwise_distances
from course_utils.exercises import Case, checker, compare, seeded_generator
from course_utils.models import N_PIXELS


def _pairwise_shape_hint(got, expected, inp, over) -> str:
    N, D = inp
    if got == torch.Size([N, N, D]):
        return (
            f"you returned the differences per coordinate {list(got)}: "
            "square, SUM over the last dim, take the root."
        )
    if got.numel() == N * (N - 1) // 2 and len(got) == 1:
        return "that is the condensed upper triangle (like torch.pdist); return the full [N, N] matrix."
    return f"wrong shape: expected [N, N] = {list(expected)}, got {list(got)}."


@checker
def check_pairwise_distances(fn) -> str:
    """``fn(X) -> [N, N]``: Euclidean distances between the rows of ``X`` ``[N, D]`` (reference:
    :func:`course_utils.ch2_manifold.manifold.pairwise_distances`)."""
    reference = pairwise_distances

    g = seeded_generator(6)
    dup = torch.rand(6, 3, generator=g, dtype=torch.float64)
    dup[3] = dup[1]
    cases = [
        Case("10 points in 5-D", (torch.randn(10, 5, generator=g, dtype=torch.float64),)),
        Case("5 flattened images in 784-D", (torch.rand(5, N_PIXELS, generator=g, dtype=torch.float64),)),
        Case(
            "a repeated point (distance exactly 0)",
            (dup,),
            "If you expanded |a-b|^2 = |a|^2 + |b|^2 - 2 a.b, round-off can make it slightly negative: "
            "clamp(min=0) before sqrt.",
        ),
        Case("points on a line (D = 1)", (torch.randn(7, 1, generator=g, dtype=torch.float64),)),
        Case("a single point", (torch.randn(1, 4, generator=g, dtype=torch.float64),)),
    ]
    mistakes = [
        ("these are SQUARED distances: take the square root.", lambda X: reference(X) ** 2),
        (
            "that is the L1 (Manhattan) distance: square the differences, sum, then take the root.",
            lambda X: (X[:, None, :] - X[None, :, :]).abs().sum(-1),
        ),
        (
            "root of the MEAN squared difference: SUM over the coordinates.",
            lambda X: reference(X) / math.sqrt(X.shape[1]),
        ),
    ]
    return compare(
        fn,
        reference,
        cases,
        mistakes,
        shape_hint=_pairwise_shape_hint,
        nan_hint=cases[2].hint,
        tol=(1e-6, 1e-6),
    )


def _dims_shape_hint(got, expected, inp, over) -> str:
    return f"wrong shape: expected one value per dimension d, {list(expected)}, got {list(got)}."


@checker
def check_mean_squared_distance(fn) -> str:
    """``fn(d [M] float) -> [M]``: E||x - y||^2 for independent x, y uniform in the unit cube [0, 1]^d,
    which is d / 6 (each coordinate: E(x_i - y_i)^2 = 1/3 - 2 * 1/4 + 1/3)."""
    cases = [
        Case("d = 1, 2, 10, 100", (torch.tensor([1.0, 2.0, 10.0, 100.0]),)),
        Case("d = 784 (pixel space)", (torch.tensor([784.0]),)),
    ]
    mistakes = [
        (
            "d/12 is the variance of one coordinate of ONE point; the difference x_i - y_i of two "
            "independent "
            "coordinates has twice that variance.",
            lambda d: d / 12,
        ),
        (
            "2d/3 leaves out the cross term: E(x_i - y_i)^2 = E x_i^2 - 2 E x_i E y_i + E y_i^2, "
            "and E x_i E y_i = 1/4.",
            lambda d: 2 * d / 3,
        ),
        ("d/3 is E||x||^2, the squared distance of one point from the corner 0.", lambda d: d / 3),
        (
            "that is the root of the answer: the exercise asks for the mean SQUARED distance.",
            lambda d: (d / 6).sqrt(),
        ),
        ("d/4 uses (E x_i)^2 for E x_i^2: for a uniform x_i, E x_i^2 = 1/3.", lambda d: d / 4),
    ]
    return compare(fn, lambda d: d / 6, cases, mistakes, shape_hint=_dims_shape_hint)


__all__ = [name for name in dir() if name.startswith("check_")]
