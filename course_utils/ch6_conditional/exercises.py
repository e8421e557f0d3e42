"""Notebook 6's "Your turn" checkers: the CVAE decoder's input, M2's unlabelled bound and the AAE's
generator loss (references in :mod:`course_utils.ch6_conditional`). The engine: :mod:`course_utils.exercises`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from course_utils.ch6_conditional.aae import generator_loss
from course_utils.ch6_conditional.cvae import one_hot
from course_utils.ch6_conditional.m2 import unlabelled_bound_from_parts
from course_utils.exercises import Case, checker, compare, seeded_generator


def _decoder_input_shape_hint(got, expected, inp, over) -> str:
    b, d = inp
    if list(got) == [b, d + 1]:
        return (
            f"shape {list(got)}: you appended the label as ONE number; the decoder needs its one-hot vector "
            f"of 10 entries, F.one_hot(y, 10).float()."
        )
    if list(got) == [b, 10]:
        return (
            "you returned only the one-hot label; the decoder's input is z AND the label: "
            "torch.cat([z, ...], 1)."
        )
    if len(got) == 2 and got[0] == b and d < got[1] < d + 10:
        return (
            f"shape {list(got)}: your one-hot has only {got[1] - d} columns. F.one_hot(y) without "
            f"num_classes makes max(y) + 1 columns; write F.one_hot(y, num_classes=10)."
        )
    if len(got) == 2 and got[0] != b:
        return f"shape {list(got)}: you concatenated along dim 0 (the batch); concatenate along dim=1."
    if list(got) == [b, d]:
        return "the result has z's shape: the label is missing (concatenate, do not add)."
    return f"wrong shape: expected [B, latent_dim + 10] = {list(expected)}, got {list(got)}."


@checker
def check_decoder_input(fn) -> str:
    """``fn(z, y) -> [B, D + 10]``: the CVAE decoder's input, z with the one-hot label appended."""
    g = seeded_generator(61)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    cases = [
        Case("8 codes of 3 dims, labels 7..0", (r(8, 3), torch.arange(8).flip(0))),
        Case("labels that include 9", (r(10, 2), torch.arange(10))),
        Case("labels only up to 4", (r(5, 3), torch.tensor([0, 4, 2, 1, 3]))),
        Case("a 16-D code", (r(4, 16), torch.tensor([9, 0, 5, 5]))),
        Case("one sample", (r(1, 2), torch.tensor([7]))),
    ]
    reference = lambda z, y: torch.cat([z, one_hot(y)], dim=1)  # noqa: E731
    mistakes = [
        (
            "the order: the course's CVAE.decode puts z first and the one-hot label after it, "
            "torch.cat([z, one_hot], dim=1) (the decoder's weights expect that order).",
            lambda z, y: torch.cat([one_hot(y), z], dim=1),
        ),
        (
            "you appended y / 10 or another scaled label; the label goes in as a one-hot vector.",
            lambda z, y: torch.cat([z, (y.float() / 10)[:, None].expand(-1, 10)], dim=1),
        ),
    ]
    return compare(fn, reference, cases, mistakes, shape_hint=_decoder_input_shape_hint, tol=(1e-6, 1e-6))


def _m2_mistakes() -> list:
    """The unlabelled bound's typical mistakes, for :func:`check_m2_unlabelled_bound`."""

    def q_log_q(lg):
        return F.softmax(lg, 1), F.log_softmax(lg, 1)

    def entropy(lg):
        q, lq = q_log_q(lg)
        return -(q * lq).sum(1)

    return [
        (
            "you left out the entropy H(q(y|x)) = -sum_y q log q: without it q(y|x) collapses on one label.",
            lambda lg, e: (F.softmax(lg, 1) * e).sum(1),
        ),
        (
            "the entropy has the wrong sign: H(q) = -sum_y q(y|x) log q(y|x) is ADDED and is never negative.",
            lambda lg, e: (F.softmax(lg, 1) * e).sum(1) - entropy(lg),
        ),
        (
            "you weighted by the logits; the weights are the probabilities q(y|x) = softmax(logits, dim=1).",
            lambda lg, e: (lg * e).sum(1) + entropy(lg),
        ),
        (
            "softmax over dim 0 (the batch): q(y|x) is a distribution over the ten labels, "
            "softmax(logits, dim=1).",
            lambda lg, e: (F.softmax(lg, 0) * e).sum(1) - (F.softmax(lg, 0) * F.log_softmax(lg, 0)).sum(1),
        ),
        (
            "a plain mean over the labels: the ELBOs are weighted by q(y|x), not by 1/10.",
            lambda lg, e: e.mean(1) + entropy(lg),
        ),
        (
            "you weighted by log q(y|x); the weights are the probabilities q(y|x).",
            lambda lg, e: (F.log_softmax(lg, 1) * e).sum(1) + entropy(lg),
        ),
    ]


@checker
def check_m2_unlabelled_bound(fn) -> str:
    """``fn(class_logits, elbo_per_label) -> [B]``: sum_y q(y|x) ELBO(x, y) + H(q(y|x)),
    q = softmax(logits)."""
    g = seeded_generator(62)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    elbos = lambda b: -100 + 20 * r(b, 10)  # noqa: E731
    cases = [
        Case("a batch of 6, ten labels", (2 * r(6, 10), elbos(6))),
        Case(
            "a uniform classifier (logits all 0: the bound is the mean ELBO + log 10)",
            (torch.zeros(4, 10), elbos(4)),
        ),
        Case("one sample", (r(1, 10), elbos(1))),
        Case(
            "a confident classifier (logits of size 300)",
            (300 * r(5, 10), elbos(5)),
            "A probability that underflows to 0 gives 0 * log 0 = NaN: take log q from "
            "F.log_softmax(logits, 1) and q = log_q.exp().",
        ),
    ]

    mistakes = _m2_mistakes()
    return compare(
        fn,
        unlabelled_bound_from_parts,
        cases,
        mistakes,
        over="labels",
        nan_hint=cases[-1].hint,
        tol=(1e-4, 1e-3),
    )


@checker
def check_aae_generator_loss(fn) -> str:
    """``fn(d_code) -> [B]``: the encoder's loss -log sigmoid(D(E(x))) from the discriminator's logits on
    codes."""
    g = seeded_generator(63)
    cases = [
        Case("logits of 8 codes", (2 * torch.randn(8, generator=g),)),
        Case("an undecided discriminator (logits 0)", (torch.zeros(4),)),
        Case("one code", (torch.randn(1, generator=g),)),
        Case(
            "a discriminator sure these are codes (logits down to -200)",
            (-torch.linspace(10, 200, 5),),
            "sigmoid(-200) rounds to 0 and log(0) = -inf: write -log sigmoid(d) as F.softplus(-d) or "
            "-F.logsigmoid(d).",
        ),
    ]
    mistakes = [
        (
            "that is the discriminator's loss on codes, -log(1 - sigmoid(d)): it pushes the codes AWAY "
            'from the prior. The encoder wants D to say "prior": -log sigmoid(d).',
            lambda d: F.softplus(d),
        ),
        (
            "wrong sign: the loss -log sigmoid(d) is positive and shrinks as D is fooled.",
            lambda d: F.logsigmoid(d),
        ),
        (
            "that is the saturating minimax form log(1 - sigmoid(d)): its gradient vanishes exactly when "
            "D rejects the codes (early in training). Use the non-saturating -log sigmoid(d).",
            lambda d: -F.softplus(d),
        ),
        (
            "you treated the logits as probabilities: apply the sigmoid (inside F.logsigmoid) first.",
            lambda d: -torch.log(d.clamp_min(1e-12)),
        ),
    ]
    return compare(
        fn,
        generator_loss,
        cases,
        mistakes,
        over="(nothing: one value per code)",
        nan_hint="D outputs logits, any real number (not probabilities); -log sigmoid(d) written as "
        "F.softplus(-d) or -F.logsigmoid(d) never gives NaN or inf.",
    )


@checker
def check_m2_best_bound(fn) -> str:
    """``fn(elbo_per_label) -> [B]``: the largest unlabelled bound max_q sum_y q(y) L(x, y) + H(q) over every
    distribution q on the ten labels, from the labelled bounds ``[B, 10]`` (it is logsumexp_y L(x, y))."""
    g = seeded_generator(64)
    elbos = lambda b, scale: -100 + scale * torch.randn(b, 10, generator=g)  # noqa: E731
    cases = [
        Case("a batch of 6, ten labels", (elbos(6, 3.0),)),
        Case(
            "equal bounds for every label (the best q is uniform: L + log 10)", (torch.full((4, 10), -90.0),)
        ),
        Case(
            "bounds near -500 nats (exp underflows to 0)",
            (elbos(5, 3.0) - 400,),
            "exp(-500) is 0 in float32: take torch.logsumexp, which subtracts the largest bound first.",
        ),
    ]
    mistakes = [
        (
            "that is the best label's bound, max_y L(x, y): the best q WITHOUT the entropy (all mass on one "
            "label). With H(q), maximise over q with a Lagrange multiplier: q(y) is proportional to "
            "exp L(x, y).",
            lambda e: e.max(1).values,
        ),
        (
            "that is the uniform q's bound (mean L + log 10); the best q weighs the labels by exp L(x, y).",
            lambda e: e.mean(1) + torch.log(torch.tensor(10.0)),
        ),
    ]
    return compare(
        fn, lambda e: torch.logsumexp(e, 1), cases, mistakes, over="labels", nan_hint=cases[-1].hint
    )


__all__ = [name for name in dir() if name.startswith("check_")]
