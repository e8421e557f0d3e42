"""Notebook 6's exercise cases: right answers and typical mistakes with the phrase each hint must contain.

tests/classroom/test_exercises.py runs them with the other notebooks' cases."""

import math

import torch
import torch.nn.functional as F

from course_utils.ch6_conditional import aae, cvae, m2


def bound_naive(lg, e):
    q = lg.softmax(1)
    return (q * e).sum(1) - (q * q.log()).sum(1)


_CORRECT = {
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
    "check_aae_generator_loss": [
        aae.generator_loss,
        lambda d: -F.logsigmoid(d),
        lambda d: F.binary_cross_entropy_with_logits(d, torch.ones_like(d), reduction="none"),
    ],
}

#: (checker, right answer) pairs
CORRECT = [(name, fn) for name, fns in _CORRECT.items() for fn in fns]

#: (checker, wrong answer, a phrase the hint must contain)
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
