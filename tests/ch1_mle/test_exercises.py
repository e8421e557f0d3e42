"""Notebook 1's "Your turn" checkers: the Gaussian and Bernoulli NLLs.

Right answers pass, typical mistakes get their hint, nothing raises (the shared checks:
tests/exercise_harness.py)."""

import math

import pytest
import torch
import torch.nn.functional as F
from exercise_harness import (
    assert_fails_naming,
    assert_hint,
    assert_passes,
    assert_reports_not_implemented,
    generic_cases,
)

from course_utils import losses
from course_utils.ch1_mle import exercises

LOG_2PI = math.log(2 * math.pi)
B, K = losses.bernoulli_nll, losses.kl_std_normal


def flat_sum(t):
    return t.flatten(1).sum(1)


CORRECT = {
    "check_gaussian_nll": [
        losses.gaussian_nll,
        lambda m, x: flat_sum(0.5 * (x - m) ** 2 + 0.5 * LOG_2PI),
        lambda m, x: (
            -torch.distributions.Normal(m, 1.0).log_prob(x).sum(dim=(1, 2, 3))
            if x.dim() == 4
            else -torch.distributions.Normal(m, 1.0).log_prob(x).sum(1)
        ),
    ],
    "check_bernoulli_nll": [
        losses.bernoulli_nll,
        lambda lg, x: flat_sum(F.binary_cross_entropy_with_logits(lg, x, reduction="none")),
        lambda lg, x: -flat_sum(x * F.logsigmoid(lg) + (1 - x) * F.logsigmoid(-lg)),
    ],
    "check_mse_optimal_image": [
        lambda x, w: (w.reshape(-1, *[1] * (x.dim() - 1)) * x).sum(0),
        lambda x, w: torch.tensordot(w, x, dims=1),
    ],
}

WRONG = [
    ("check_gaussian_nll", lambda m, x: flat_sum(0.5 * (x - m) ** 2), "off by a constant"),
    ("check_gaussian_nll", lambda m, x: losses.gaussian_nll(m, x) / x[0].numel(), "mean instead of sum"),
    ("check_gaussian_nll", lambda m, x: ((x - m) ** 2).flatten(1).mean(1), "mean squared error"),
    ("check_gaussian_nll", lambda m, x: -losses.gaussian_nll(m, x), "wrong sign"),
    ("check_gaussian_nll", lambda m, x: flat_sum((x - m) ** 2 + 0.5 * LOG_2PI), "factor 1/2"),
    ("check_gaussian_nll", lambda m, x: losses.gaussian_nll(m, x).mean(), "reduced over the batch"),
    ("check_gaussian_nll", lambda m, x: 0.5 * (x - m) ** 2 + 0.5 * LOG_2PI, "one value per element"),
    ("check_gaussian_nll", lambda m, x: (0.5 * (x - m) ** 2 + 0.5 * LOG_2PI).sum(0), "dim 0 (the batch)"),
    ("check_gaussian_nll", lambda m, x: (0.5 * (x - m) ** 2 + 0.5 * LOG_2PI).sum(-1), "only partly reduced"),
    ("check_gaussian_nll", lambda m, x: losses.gaussian_nll(m, x) + 1.0, "off by a constant"),
    ("check_gaussian_nll", lambda m, x: None, "forget the `return`"),
    ("check_gaussian_nll", lambda m: m, "raised TypeError"),
    ("check_bernoulli_nll", lambda lg, x: B(torch.sigmoid(lg), x), "sigmoid twice"),
    ("check_bernoulli_nll", lambda lg, x: -B(lg, x), "minus sign"),
    ("check_bernoulli_nll", lambda lg, x: B(lg, x) / x[0].numel(), "mean instead of sum"),
    (
        "check_bernoulli_nll",
        lambda lg, x: flat_sum(F.binary_cross_entropy(lg, x, reduction="none")),
        "binary_cross_entropy_with_logits",
    ),
    (
        "check_bernoulli_nll",
        lambda lg, x: (
            -flat_sum(x * torch.log(torch.sigmoid(lg)) + (1 - x) * torch.log(1 - torch.sigmoid(lg)))
        ),
        "logsigmoid",
    ),
    ("check_bernoulli_nll", lambda lg, x: F.binary_cross_entropy_with_logits(lg, x), "single number"),
    (
        "check_gaussian_nll",
        lambda m, x: flat_sum(0.5 * (x - m) ** 2 + 0.5 * LOG_2PI)[:, None],
        "keepdim=True",
    ),
    (
        "check_gaussian_nll",
        lambda m, x: (0.5 * (x - m) ** 2 + 0.5 * LOG_2PI).flatten(1).sum(1, keepdim=True),
        "size 1 left over",
    ),
    ("check_gaussian_nll", lambda m, x: flat_sum(0.5 * (x - m) ** 2) + 0.5 * LOG_2PI, "off by a constant"),
    ("check_gaussian_nll", lambda m, x: flat_sum(0.5 * (x - m) ** 2) + 0.5 * LOG_2PI * x.numel(), "constant"),
    ("check_bernoulli_nll", lambda lg, x: B(lg, x.round()), "wrong values"),
    (
        "check_bernoulli_nll",
        lambda lg, x: (
            -flat_sum(
                x * torch.log(torch.sigmoid(lg) + 1e-7) + (1 - x) * torch.log(1 - torch.sigmoid(lg) + 1e-7)
            )
        ),
        "F.logsigmoid",
    ),
    ("check_mse_optimal_image", lambda x, w: x[w.argmax()], "the mode"),
    ("check_mse_optimal_image", lambda x, w: x.mean(0), "plain mean"),
    ("check_mse_optimal_image", lambda x, w: x.median(0).values, "median"),
    ("check_mse_optimal_image", lambda x, w: torch.tensordot(w, x, dims=1)[None], "wrong shape"),
]


FIRST_RIGHT = {name: fns[0] for name, fns in CORRECT.items()}
GENERIC_CASES = generic_cases(exercises.__all__, per_sample=["check_gaussian_nll", "check_bernoulli_nll"])


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


def test_unexpected_output_type_is_a_hint_not_a_traceback(capsys):
    assert exercises.check_gaussian_nll(lambda m, x: "nll") is False
    assert "expected a torch tensor" in capsys.readouterr().out
