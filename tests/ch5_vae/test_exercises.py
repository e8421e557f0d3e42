"""Notebook 5's "Your turn" checkers: the VAE loss from its parts and the reparameterisation.

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
    uniform_eps,
)

from course_utils import losses
from course_utils.ch5_vae import exercises
from course_utils.models import VAE

B, K = losses.bernoulli_nll, losses.kl_std_normal


def elbo(logits, x, mu, logvar):
    return -losses.bernoulli_nll(logits, x) - losses.kl_std_normal(mu, logvar)


CORRECT = {
    "check_pixel_mean_sigma": [lambda n: (n / 2).sqrt(), lambda n: torch.sqrt(n * 0.5)],
    "check_vae_loss_from_parts": [lambda *a: -elbo(*a)],
    "check_reparameterize": [
        VAE.reparameterize,
        lambda mu, lv: torch.distributions.Normal(mu, (0.5 * lv).exp()).rsample(),
    ],
}

WRONG = [
    ("check_pixel_mean_sigma", lambda n: n / 2, "sigma squared"),
    ("check_pixel_mean_sigma", lambda n: n.sqrt(), "mind the 2"),
    ("check_pixel_mean_sigma", lambda n: 2 / n, "1 / sigma"),
    ("check_vae_loss_from_parts", lambda lg, x, m, lv: B(lg, x) - K(m, lv), "sign of the KL"),
    ("check_vae_loss_from_parts", lambda lg, x, m, lv: -B(lg, x) - K(m, lv), "returned the ELBO"),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: B(lg, x) / x[0].numel() + K(m, lv),
        "mean over pixels",
    ),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: (B(lg, x) + K(m, lv)).mean(),
        "reduced over the batch",
    ),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: F.binary_cross_entropy_with_logits(lg, x) + K(m, lv),
        "reduction='mean'",
    ),
    ("check_reparameterize", lambda mu, lv: mu + lv.exp() * torch.randn_like(mu), "VARIANCE"),
    ("check_reparameterize", lambda mu, lv: mu + lv * torch.randn_like(mu), "used logvar as the std"),
    ("check_reparameterize", lambda mu, lv: torch.normal(mu, (0.5 * lv).exp()), "no gradient"),
    (
        "check_reparameterize",
        lambda mu, lv: torch.distributions.Normal(mu, (0.5 * lv).exp()).sample(),
        "no gradient",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp().detach() * torch.randn_like(mu),
        "gradient does not reach logvar",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(mu.shape[1]),
        "same eps for every sample",
    ),
    ("check_reparameterize", lambda mu, lv: mu, "no randomness"),
    ("check_reparameterize", lambda mu, lv: mu + torch.randn_like(mu), "does not depend on logvar"),
    ("check_reparameterize", lambda mu, lv: (0.5 * lv).exp() * torch.randn_like(mu), "sample mean"),
    ("check_reparameterize", lambda mu, lv: mu[0], "wrong shape"),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: B(lg, x) + K(m, lv).mean(),
        "one number for the whole",
    ),
    ("check_vae_loss_from_parts", lambda lg, x, m, lv: B(lg, x) + K(m, lv) / m.shape[1], "mean over latent"),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: F.binary_cross_entropy_with_logits(lg, x, reduction="sum") + K(m, lv),
        "reduction='sum'",
    ),
    ("check_vae_loss_from_parts", lambda lg, x, m, lv: B(torch.sigmoid(lg), x) + K(m, lv), "wrong values"),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(mu.shape[0], 1).expand_as(mu),
        "share",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(mu.shape[0], 1),
        "torch.randn(B, 1)",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(mu.shape[0] // 2, mu.shape[1]).repeat(2, 1),
        "some samples share the same eps",
    ),
    ("check_reparameterize", lambda mu, lv: mu + (0.5 * lv).exp() * uniform_eps(mu.shape), "0.683"),
    ("check_reparameterize", lambda mu, lv: mu + (0.5 * lv).exp() * torch.rand_like(mu), "sample std"),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv.mean(0)).exp() * torch.randn_like(mu),
        "own logvar",
    ),
    ("check_reparameterize", lambda mu, lv: mu + (0.5 * lv[0]).exp() * torch.randn_like(mu), "own logvar"),
    ("check_reparameterize", lambda mu, lv: mu.mean(0) + (0.5 * lv).exp() * torch.randn_like(mu), "own mu"),
    (
        "check_reparameterize",
        lambda mu, lv: mu.detach() + (0.5 * lv).exp() * torch.randn_like(mu),
        "no gradient",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: (mu + (0.5 * lv).exp() * torch.randn_like(mu)).double(),
        "z is float64",
    ),
]


FIRST_RIGHT = {name: fns[0] for name, fns in CORRECT.items()}
GENERIC_CASES = generic_cases(exercises.__all__, per_sample=["check_vae_loss_from_parts"])


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
