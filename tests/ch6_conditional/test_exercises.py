"""Notebook 6's "Your turn" checkers: the CVAE decoder's input, M2's unlabelled bound, the AAE's generator
loss.

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

from course_utils.ch6_conditional import aae, cvae, exercises, m2


def bound_naive(lg, e):
    q = lg.softmax(1)
    return (q * e).sum(1) - (q * q.log()).sum(1)


CORRECT = {
    "check_decoder_input": [
        lambda z, y: torch.cat([z, F.one_hot(y, 10).float()], 1),
        lambda z, y: torch.cat([z, torch.eye(10)[y]], dim=-1),
        lambda z, y: torch.cat([z, cvae.one_hot(y)], 1),
    ],
    "check_m2_unlabelled_bound": [
        m2.unlabelled_bound_from_parts,
        lambda lg, e: (lg.softmax(1) * (e - lg.log_softmax(1))).sum(1),
        lambda lg, e: (
            (torch.distributions.Categorical(logits=lg).probs * e).sum(1)
            + torch.distributions.Categorical(logits=lg).entropy()
        ),
    ],
    "check_m2_best_bound": [
        lambda e: torch.logsumexp(e, 1),
        lambda e: e.max(1).values + torch.log(torch.exp(e - e.max(1, keepdim=True).values).sum(1)),
    ],
    "check_aae_generator_loss": [
        aae.generator_loss,
        lambda d: -F.logsigmoid(d),
        lambda d: F.binary_cross_entropy_with_logits(d, torch.ones_like(d), reduction="none"),
    ],
}


WRONG = [
    ("check_decoder_input", lambda z, y: torch.cat([z, y.float()[:, None]], 1), "ONE number"),
    ("check_decoder_input", lambda z, y: torch.cat([z, F.one_hot(y).float()], 1), "num_classes"),
    ("check_decoder_input", lambda z, y: torch.cat([F.one_hot(y, 10).float(), z], 1), "the order"),
    ("check_decoder_input", lambda z, y: torch.cat([z.T, F.one_hot(y, 10).float().T], 0).T[:0], "dim 0"),
    ("check_decoder_input", lambda z, y: F.one_hot(y, 10).float(), "only the one-hot"),
    ("check_decoder_input", lambda z, y: z + y[:, None], "label is missing"),
    ("check_m2_unlabelled_bound", lambda lg, e: (lg.softmax(1) * e).sum(1), "entropy"),
    (
        "check_m2_unlabelled_bound",
        lambda lg, e: (lg.softmax(1) * e).sum(1) + (lg.softmax(1) * lg.log_softmax(1)).sum(1),
        "wrong sign",
    ),
    (
        "check_m2_unlabelled_bound",
        lambda lg, e: (lg * e).sum(1) - (lg.softmax(1) * lg.log_softmax(1)).sum(1),
        "weighted by the logits",
    ),
    (
        "check_m2_unlabelled_bound",
        lambda lg, e: e.mean(1) - (lg.softmax(1) * lg.log_softmax(1)).sum(1),
        "plain mean",
    ),
    (
        "check_m2_unlabelled_bound",
        lambda lg, e: (lg.softmax(0) * e).sum(1) - (lg.softmax(0) * lg.log_softmax(0)).sum(1),
        "dim 0",
    ),
    ("check_m2_unlabelled_bound", bound_naive, "log_softmax"),
    (
        "check_m2_unlabelled_bound",
        lambda lg, e: m2.unlabelled_bound_from_parts(lg, e).mean(),
        "single number",
    ),
    (
        "check_decoder_input",
        lambda z, y: torch.cat([z, F.one_hot((y - 1) % 10, 10).float()], 1),
        "wrong values",
    ),
    ("check_decoder_input", lambda z, y: torch.cat([z, 2 * F.one_hot(y, 10).float()], 1), "wrong values"),
    ("check_decoder_input", lambda z, y: torch.cat([z, F.one_hot(y, 11).float()], 1), "wrong shape"),
    (
        "check_m2_unlabelled_bound",
        lambda lg, e: (lg.softmax(1) * e).sum(1) - (lg.softmax(1) * lg.log_softmax(1)).sum(1).mean(),
        "wrong values",
    ),
    (
        "check_m2_unlabelled_bound",
        lambda lg, e: (lg.softmax(1) * e).sum(1) - (lg.softmax(1) * lg.log_softmax(1)).sum(1) / math.log(2),
        "wrong values",
    ),
    ("check_m2_unlabelled_bound", lambda lg, e: e.max(1).values + 0 * lg.sum(1), "wrong values"),
    ("check_aae_generator_loss", lambda d: F.softplus(-d).mean().expand(d.shape[0]), "wrong values"),
    ("check_aae_generator_loss", lambda d: -torch.log(torch.sigmoid(d) + 1e-8), "F.softplus(-d)"),
    (
        "check_aae_generator_loss",
        lambda d: F.binary_cross_entropy(torch.sigmoid(d), torch.ones_like(d), reduction="none"),
        "F.softplus(-d)",
    ),
    ("check_aae_generator_loss", lambda d: torch.log1p(torch.exp(-d)), "never gives NaN or inf"),
    ("check_aae_generator_loss", lambda d: F.softplus(d), "AWAY from the prior"),
    ("check_m2_best_bound", lambda e: e.max(1).values, "WITHOUT the entropy"),
    ("check_m2_best_bound", lambda e: e.mean(1) + math.log(10), "uniform"),
    ("check_m2_best_bound", lambda e: torch.log(torch.exp(e).sum(1)), "NaN or inf"),
    ("check_aae_generator_loss", lambda d: F.logsigmoid(d), "wrong sign"),
    ("check_aae_generator_loss", lambda d: -F.softplus(d), "saturating"),
    ("check_aae_generator_loss", lambda d: -torch.log(torch.sigmoid(d)), "softplus"),
    ("check_aae_generator_loss", lambda d: -torch.log(d), "logits"),
    (
        "check_aae_generator_loss",
        lambda d: F.binary_cross_entropy_with_logits(d, torch.ones_like(d)),
        "single number",
    ),
]


FIRST_RIGHT = {name: fns[0] for name, fns in CORRECT.items()}
GENERIC_CASES = generic_cases(
    exercises.__all__, per_sample=["check_m2_unlabelled_bound", "check_aae_generator_loss"]
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
