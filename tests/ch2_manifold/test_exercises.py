"""Notebook 2's "Your turn" checkers: pairwise distances.

Right answers pass, typical mistakes get their hint, nothing raises (the shared checks:
tests/exercise_harness.py)."""

import pytest
import torch
from exercise_harness import (
    assert_fails_naming,
    assert_hint,
    assert_passes,
    assert_reports_not_implemented,
    generic_cases,
)

from course_utils.ch2_manifold import exercises


def distances(X):
    return ((X[:, None] - X[None]) ** 2).sum(-1).sqrt()


CORRECT = {
    "check_pairwise_distances": [
        distances,
        lambda X: torch.cdist(X, X),
        lambda X: ((X**2).sum(1)[:, None] + (X**2).sum(1)[None] - 2 * X @ X.T).clamp(min=0).sqrt(),
    ],
    "check_mean_squared_distance": [lambda d: d / 6, lambda d: d * (1 / 3 - 2 * 0.25 + 1 / 3)],
}

WRONG = [
    ("check_pairwise_distances", lambda X: distances(X) ** 2, "SQUARED distances"),
    ("check_pairwise_distances", lambda X: (X[:, None] - X[None]).abs().sum(-1), "L1"),
    ("check_pairwise_distances", lambda X: torch.pdist(X), "condensed upper triangle"),
    ("check_pairwise_distances", lambda X: X[:, None] - X[None], "SUM over the last dim"),
    (
        "check_pairwise_distances",
        lambda X: ((X**2).sum(1)[:, None] + (X**2).sum(1)[None] - 2 * X @ X.T).sqrt(),
        "clamp(min=0)",
    ),
    ("check_pairwise_distances", lambda X: torch.cdist(X.T, X.T), "wrong shape"),
    ("check_pairwise_distances", lambda X: torch.triu(torch.cdist(X, X)), "wrong values"),
    ("check_pairwise_distances", lambda X: torch.cdist(X, X) + 1e-3, "off by a constant"),
    ("check_pairwise_distances", lambda X: distances(X.sub_(X.mean(0))), "in place"),
    ("check_mean_squared_distance", lambda d: d / 12, "variance of one coordinate"),
    ("check_mean_squared_distance", lambda d: 2 * d / 3, "cross term"),
    ("check_mean_squared_distance", lambda d: (d / 6).sqrt(), "SQUARED"),
    ("check_mean_squared_distance", lambda d: (d / 6).sum(), "wrong shape"),
]


FIRST_RIGHT = {name: fns[0] for name, fns in CORRECT.items()}
GENERIC_CASES = generic_cases(exercises.__all__)


@pytest.mark.parametrize("name,fn", [(name, fn) for name, fns in CORRECT.items() for fn in fns])
def test_correct_implementations_pass(name, fn, capsys):
    assert_passes(getattr(exercises, name), fn, capsys)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_blank_exercise_reports_not_implemented(name, capsys):
    assert_reports_not_implemented(getattr(exercises, name), capsys)


@pytest.mark.parametrize("name,fn,phrase", WRONG, ids=[f"{n}-{p}" for n, _, p in WRONG])
def test_typical_mistakes_get_their_hint(name, fn, phrase, capsys):
    assert_hint(getattr(exercises, name), fn, phrase, capsys)


@pytest.mark.parametrize(
    "name,kind,make,phrase", GENERIC_CASES, ids=[f"{n}-{k}" for n, k, _, _ in GENERIC_CASES]
)
def test_generic_mistakes_fail_with_a_hint_that_names_them(name, kind, make, phrase, capsys):
    """A float16 or integer result, a NaN, a changed input, a dim left over: each fails, and the hint
    names that mistake (not sum versus mean, not the generator, not torch.rand)."""
    assert_fails_naming(getattr(exercises, name), make(FIRST_RIGHT[name]), phrase, capsys)


def test_every_checker_is_covered_by_the_tests():
    assert set(exercises.__all__) == set(CORRECT) == {name for name, _, _ in WRONG}
