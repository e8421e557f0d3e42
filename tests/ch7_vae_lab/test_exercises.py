"""Notebook 7's "Your turn" checkers: active units, free bits, the continuous Bernoulli's log-normaliser.

Right answers pass, typical mistakes get their hint, nothing raises (the shared checks:
tests/exercise_harness.py)."""

import math

import pytest
import torch
from exercise_harness import (
    assert_fails_naming,
    assert_hint,
    assert_passes,
    assert_reports_not_implemented,
    generic_cases,
)

from course_utils.ch3_autoencoders import corruption
from course_utils.ch3_autoencoders import exercises as autoencoders_exercises
from course_utils.ch5_vae import exercises as vae_exercises
from course_utils.ch7_vae_lab import collapse, exercises, likelihoods
from course_utils.models import VAE


def kl(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - logvar - 1)


def cb_by_lambda(lam):
    u = 1 - 2 * lam
    near = u.abs() < 1e-4
    safe = torch.where(near, torch.ones_like(u), u)
    return torch.where(near, math.log(2) + u**2 / 3, torch.log(2 * torch.atanh(safe) / safe))


CORRECT = {
    "check_cb_integral": [
        lambda lam: (2 * lam - 1) / torch.log(lam / (1 - lam)),
        lambda lam: cb_by_lambda(lam).neg().exp(),
    ],
    "check_active_units": [
        lambda mu: collapse.active_units(mu)[0],
        lambda mu: (mu.var(0) > 1e-2).sum(),
        lambda mu: (
            int((torch.cov(mu.T).diagonal() > 1e-2).sum()) if mu.shape[1] > 1 else int(mu.var() > 1e-2)
        ),
    ],
    "check_free_bits": [
        collapse.free_bits_kl,
        lambda mu, lv, f: torch.maximum(kl(mu, lv).mean(0), torch.tensor(f)).sum(),
    ],
    "check_cb_log_normalizer": [
        cb_by_lambda,
        lambda lam: likelihoods.cb_log_normalizer(torch.logit(lam)),
    ],
}

WRONG = [
    ("check_cb_integral", lambda lam: torch.log(lam / (1 - lam)) / (2 * lam - 1), "1 / C"),
    ("check_cb_integral", lambda lam: (1 - 2 * lam) / torch.log(lam / (1 - lam)), "wrong sign"),
    ("check_cb_integral", lambda lam: torch.ones_like(lam), "no density"),
    ("check_active_units", lambda mu: int((mu.std(0) > 1e-2).sum()), "standard deviation"),
    ("check_active_units", lambda mu: int((mu.var(1) > 1e-2).sum()), "over the inputs"),
    ("check_active_units", lambda mu: int((mu.mean(0).abs() > 1e-2).sum()), "VARIES"),
    ("check_active_units", lambda mu: int((mu.var(0) <= 1e-2).sum()), "INACTIVE"),
    ("check_active_units", lambda mu: mu.var(0) > 1e-2, "one value per dimension"),
    ("check_active_units", lambda mu: int(((mu - mu.mean(0)).abs().mean(0) > 1e-2).sum()), "VARIANCE"),
    ("check_active_units", lambda mu: int((mu.var(0) > 1e-3).sum()), "you counted 6"),
    ("check_active_units", lambda mu: (mu.var(0) > 1e-2).float().mean(), "expected"),
    ("check_active_units", lambda mu: int(mu.var() > 1e-2), "expected"),
    ("check_active_units", lambda mu: int((mu.sub_(mu.mean(0)).pow(2).mean(0) > 1e-2).sum()), "in place"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).mean(0).clamp(min=f).mean(), "mean over the latent"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).sum(1).clamp(min=f).mean(), "no floor per dimension"),
    ("check_free_bits", lambda mu, lv, f: collapse.free_bits_kl(mu, lv, f)[None], "keepdim"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).clamp(min=f).mean(0).sum(), "BATCH MEAN"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).sum(1).mean().clamp(min=f), "TOTAL"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).mean(0).clamp(max=f).sum(), "FLOOR"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).sum(0).clamp(min=f).sum(), "summed, not averaged"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).mean(0).sum(), "no floor"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).mean(0).clamp(min=f), "per latent dimension"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).clamp(min=f).sum(1), "per sample"),
    ("check_cb_log_normalizer", lambda lam: torch.log(2 * torch.atanh(1 - 2 * lam) / (1 - 2 * lam)), "0/0"),
    ("check_cb_log_normalizer", lambda lam: cb_by_lambda(lam).exp(), "LOGARITHM"),
    ("check_cb_log_normalizer", lambda lam: cb_by_lambda(lam).flatten(), "one value per lambda"),
    ("check_cb_log_normalizer", lambda lam: cb_by_lambda(lam.float()).half(), "float16"),
    ("check_cb_log_normalizer", lambda lam: cb_by_lambda(lam) - math.log(2), "factor 2"),
    ("check_cb_log_normalizer", lambda lam: -cb_by_lambda(lam), "-log C"),
    (
        "check_cb_log_normalizer",
        lambda lam: torch.where(
            (lam - 0.5).abs() < 1e-2, torch.full_like(lam, math.log(2)), cb_by_lambda(lam)
        ),
        "next to 1/2",
    ),
]


FIRST_RIGHT = {name: fns[0] for name, fns in CORRECT.items()}
GENERIC_CASES = generic_cases(
    exercises.__all__, count_result=["check_active_units"], scalar_result=["check_free_bits"]
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


def test_checker_leaves_global_random_state_alone(capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    vae_exercises.check_reparameterize(VAE.reparameterize)
    autoencoders_exercises.check_masking_noise(corruption.masking_noise)
    exercises.check_free_bits(collapse.free_bits_kl)
    exercises.check_active_units(lambda mu: collapse.active_units(mu)[0])
    assert torch.equal(torch.rand(3), expected)
