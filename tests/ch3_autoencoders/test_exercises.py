"""Notebook 3's "Your turn" checkers: masking and Gaussian noise.

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
    nan_at_0,
    uniform_eps,
)

from course_utils.ch3_autoencoders import corruption, exercises


def mask_kept(x, fraction, generator=None):  # keeps `fraction` instead of masking it
    return x * (torch.rand(x.shape, generator=generator) < fraction)


def mask_in_place(x, fraction, generator=None):
    x[torch.rand(x.shape, generator=generator) < fraction] = 0
    return x


def mask_shared(x, fraction, generator=None):  # one mask for the whole batch
    return x * (torch.rand(x.shape[1:], generator=generator) >= fraction)


def noise(x, sigma, generator=None):
    return x + sigma * torch.randn(x.shape, generator=generator)


def mask_by(x, fraction, shape, generator=None):  # one mask decision per entry of `shape`, broadcast
    return x * (torch.rand(shape, generator=generator) >= fraction)


def mask_half_batch(x, fraction, generator=None):  # two masks, repeated over the batch
    return x * (torch.rand(2, *x.shape[1:], generator=generator) >= fraction).repeat(x.shape[0] // 2, 1, 1, 1)


def noise_half_batch(x, sigma, generator=None):  # two noise images, repeated over the batch
    return x + sigma * torch.randn(2, *x.shape[1:], generator=generator).repeat(x.shape[0] // 2, 1, 1, 1)


CORRECT = {
    "check_masking_noise": [
        corruption.masking_noise,
        lambda x, f, generator=None: x * (torch.rand(x.shape, generator=generator) >= f),
    ],
    "check_gaussian_noise": [corruption.gaussian_noise, noise],
    "check_optimal_denoiser": [
        lambda xt, s: torch.tanh(xt / s**2),
        lambda xt, s: 2 * torch.sigmoid(2 * xt / s**2) - 1,
    ],
}

WRONG = [
    ("check_masking_noise", mask_kept, "KEPT fraction"),
    ("check_masking_noise", mask_in_place, "in place"),
    ("check_masking_noise", mask_shared, "same pixels are masked in every image"),
    ("check_masking_noise", lambda x, f, generator=None: x.flatten(1), "wrong shape"),
    ("check_masking_noise", lambda x, f, generator=None: F.dropout(x, f), "like dropout"),
    ("check_masking_noise", lambda x, f: x * (torch.rand(x.shape) >= f), "generator=None"),
    (
        "check_masking_noise",
        lambda x, f, generator=None: x * (torch.rand(x.shape) >= f),
        "same seeded generator",
    ),
    ("check_gaussian_noise", lambda x, s, generator=None: noise(x, s, generator).clamp(0, 1), "clipped"),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s**2 * torch.randn(x.shape, generator=generator),
        "sigma^2",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.rand(x.shape, generator=generator),
        "torch.randn",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.randn(x.shape),
        "same seeded generator",
    ),
    ("check_gaussian_noise", lambda x, s, generator=None: noise(x, s, generator)[0], "wrong shape"),
    (
        "check_masking_noise",
        lambda x, f, generator=None: mask_by(x, f, (x.shape[0], 1, 1, 1), generator),
        "one mask",
    ),
    (
        "check_masking_noise",
        lambda x, f, generator=None: mask_by(x, f, (x.shape[0], 1, 28, 1), generator),
        "share",
    ),
    ("check_masking_noise", mask_half_batch, "different images share their mask"),
    (
        "check_masking_noise",
        lambda x, f, generator=None: x.masked_fill(
            torch.rand(x.shape, generator=generator) < f, float("nan")
        ),
        "NaN",
    ),
    (
        "check_masking_noise",
        lambda x, f, generator=None: torch.rand(x.shape, generator=generator) >= f,
        "bool",
    ),
    (
        "check_masking_noise",
        lambda x, f, generator=None: x * (torch.arange(784).reshape(1, 1, 28, 28) >= int(f * 784)),
        "same pixels are masked in every image",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.randn(x.shape[1:]),
        "the same noise for every",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.randn(x.shape[0], 1, 1, 1),
        "one noise value",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.randn(x.shape[0], 1, 28, 1),
        "pixels of an",
    ),
    ("check_gaussian_noise", noise_half_batch, "different images share their noise"),
    ("check_gaussian_noise", lambda x, s, generator=None: nan_at_0(noise(x, s, generator)), "NaN"),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: noise(x, s, generator).clamp(min=0),
        "clipped at 0",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: noise(x, s, generator).clamp(max=1),
        "clipped at 1",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * uniform_eps(x.shape, generator),
        "torch.randn",
    ),
    ("check_optimal_denoiser", lambda xt, s: torch.tanh(xt / s), "sigma SQUARED"),
    ("check_optimal_denoiser", lambda xt, s: torch.sign(xt), "posterior MEAN"),
    ("check_optimal_denoiser", lambda xt, s: torch.sigmoid(2 * xt / s**2), "2P - 1"),
    ("check_optimal_denoiser", lambda xt, s: xt, "identity"),
    (
        "check_optimal_denoiser",
        lambda xt, s: (1 - torch.exp(-2 * xt / s**2)) / (1 + torch.exp(-2 * xt / s**2)),
        "overflows",
    ),
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
