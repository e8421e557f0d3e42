"""Notebook 4's "Your turn" checkers: the closed-form KL and the ELBO from its parts.

Right answers pass, typical mistakes get their hint, nothing raises (the shared checks:
tests/exercise_harness.py)."""

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
from torch.distributions import Normal, kl_divergence

from course_utils import losses
from course_utils.ch4_elbo import exercises

B, K = losses.bernoulli_nll, losses.kl_std_normal


def kl(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(1)


def elbo(logits, x, mu, logvar):
    return -losses.bernoulli_nll(logits, x) - losses.kl_std_normal(mu, logvar)


CORRECT = {
    "check_kl_std_normal": [losses.kl_std_normal, kl],
    "check_elbo_from_parts": [elbo],
    "check_kl_gaussians": [
        lambda mq, lq, mp, lp: kl_divergence(Normal(mq, (0.5 * lq).exp()), Normal(mp, (0.5 * lp).exp())).sum(
            1
        )
    ],
}

GK = exercises.reference_kl_gaussians
WRONG = [
    ("check_kl_gaussians", lambda mq, lq, mp, lp: GK(mp, lp, mq, lq), "direction is swapped"),
    ("check_kl_gaussians", lambda mq, lq, mp, lp: GK(mq, lq, mp, lp) / mq.shape[1], "mean over latent dims"),
    (
        "check_kl_gaussians",
        lambda mq, lq, mp, lp: 0.5 * ((lq - lp).exp() + (mq - mp) ** 2 - 1 - (lq - lp)).sum(1),
        "divided by p's variance",
    ),
    ("check_kl_std_normal", lambda m, lv: -kl(m, lv), "wrong sign"),
    ("check_kl_std_normal", lambda m, lv: 0.5 * (m**2 + lv.exp() - lv).sum(1), "missing the -1"),
    (
        "check_kl_std_normal",
        lambda m, lv: 0.5 * (m**2 + lv**2 - torch.log(lv**2) - 1).sum(1),
        "used logvar as sigma",
    ),
    ("check_kl_std_normal", lambda m, lv: 0.5 * (m**2 + lv - torch.log(lv) - 1).sum(1), "NaN"),
    ("check_kl_std_normal", lambda m, lv: 0.5 * (m**2 + lv.exp() - lv - 1).mean(1), "mean over latent dims"),
    (
        "check_kl_std_normal",
        lambda m, lv: 0.5 * (m**2 + lv.exp() + lv - 1).sum(1),
        "sign of the log-variance",
    ),
    ("check_elbo_from_parts", lambda lg, x, m, lv: B(lg, x) + K(m, lv), "returned the loss"),
    ("check_elbo_from_parts", lambda lg, x, m, lv: -B(lg, x) + K(m, lv), "sign of the KL"),
    ("check_elbo_from_parts", lambda lg, x, m, lv: -B(lg, x), "forgot the KL"),
    (
        "check_elbo_from_parts",
        lambda lg, x, m, lv: -B(lg, x) / x[0].numel() - K(m, lv),
        "averaged the reconstruction",
    ),
    ("check_elbo_from_parts", lambda lg, x, m, lv: (-B(lg, x) - K(m, lv)).mean(), "reduced over the batch"),
    ("check_kl_std_normal", lambda m, lv: -0.5 * torch.sum(1 + lv - m**2 - lv.exp()), "single number"),
    ("check_kl_std_normal", lambda m, lv: kl(m, lv).mean().expand(m.shape[0]), "wrong values"),
    ("check_kl_std_normal", lambda m, lv: 0.5 * (m**2 + lv.exp() - lv - 1).sum(0), "dim 0 (the batch)"),
    (
        "check_elbo_from_parts",
        lambda lg, x, m, lv: -B(lg, x) - K(m, lv).mean(),
        "one number for the whole batch",
    ),
    ("check_elbo_from_parts", lambda lg, x, m, lv: -B(lg, x) - K(m, lv).sum(), "KL is summed over the whole"),
    (
        "check_elbo_from_parts",
        lambda lg, x, m, lv: -F.binary_cross_entropy_with_logits(lg, x, reduction="sum") - K(m, lv),
        "reduction='sum'",
    ),
    (
        "check_elbo_from_parts",
        lambda lg, x, m, lv: -B(lg, x) - K(m, lv) / m.shape[1],
        "mean over latent dims",
    ),
]


FIRST_RIGHT = {name: fns[0] for name, fns in CORRECT.items()}
GENERIC_CASES = generic_cases(
    exercises.__all__, per_sample=["check_kl_std_normal", "check_elbo_from_parts", "check_kl_gaussians"]
)


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


def test_passing_the_result_instead_of_the_function(capsys):
    assert exercises.check_kl_std_normal(losses.kl_std_normal(torch.zeros(2, 2), torch.zeros(2, 2))) is False
    assert "pass your function itself" in capsys.readouterr().out
