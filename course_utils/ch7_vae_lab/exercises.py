"""Notebook 7's "Your turn" checkers, the VAE lab: active units, free bits, the continuous Bernoulli's
log-normaliser (references: :mod:`course_utils.ch7_vae_lab.collapse` and ``.likelihoods``). The engine:
:mod:`course_utils.exercises`.
"""

from __future__ import annotations

import math

import torch

from course_utils.ch7_vae_lab import collapse, likelihoods
from course_utils.exercises import Case, Hint, call, checker, compare, seeded_generator


def _scalar_shape_hint(got: torch.Size, expected: torch.Size, inp: torch.Size, over: str) -> str:
    if got.numel() == 1:
        return (
            f"your result has shape {list(got)}, a single number with a dim left over (keepdim=True, or "
            "a sum over one dim of a [1, D] tensor): return a 0-d tensor, e.g. .sum() over everything."
        )
    if len(got) == 1 and got[0] == inp[-1]:
        return (
            f"you returned one value per latent dimension {list(got)}: floor each at free_nats, then SUM "
            f"them into one number."
        )
    if len(got) >= 1 and got[0] == inp[0]:
        return (
            f"you returned one value per sample {list(got)}: average each dimension's KL over the batch "
            f"(dim 0) first, then floor and sum."
        )
    return f"wrong shape: expected a single number (a 0-d tensor), got {list(got)}."


@checker
def check_active_units(fn) -> str:
    """``fn(mu) -> int``: the number of dimensions of ``mu`` ``[N, D]`` whose variance over N exceeds 1e-2."""
    g = seeded_generator(11)
    scales = torch.tensor([1.0, 0.3, 0.2, 0.05, 0.02, 0.0, 0.5, 0.15])  # 5 variances above 1e-2, 3 below
    cases = [
        ("8 dimensions, 5,000 inputs, means offset by 3", torch.randn(5000, 8, generator=g) * scales + 3.0),
        ("a fully collapsed code (all means equal)", torch.full((100, 5), 0.7)),
        ("every unit active, 3 inputs", torch.tensor([[0.0, 1.0], [1.0, -1.0], [2.0, 0.0]])),
    ]
    for label, mu in cases:
        expected, mu_in = collapse.active_units(mu)[0], mu.clone()
        got = call(fn, mu_in)
        where = f"on {label} (mu {list(mu.shape)})"
        if not torch.equal(mu_in, mu):
            raise Hint(f"{where}: your function changed mu in place (e.g. mu -= ...); compute a new tensor.")
        if got.numel() != 1:
            if got.shape == (mu.shape[1],):
                raise Hint(
                    f"{where}: you returned one value per dimension: count the dimensions above the "
                    f"threshold, e.g. int((variances > 1e-2).sum())."
                )
            raise Hint(f"{where}: return one number, the count; got shape {list(got.shape)}.")
        if not torch.isfinite(got).all():
            raise Hint(
                f"{where}: you returned {got.item()} (NaN or inf): return the count of active dimensions."
            )
        got = round(float(got))
        if got == expected:
            continue
        if got == int((mu.std(0) > 1e-2).sum()):
            raise Hint(
                f"{where}: you thresholded the standard deviation (or another spread); Burda et al.'s "
                f"criterion is the VARIANCE Var_x(mu_k) > 1e-2."
            )
        if got == int((mu.var(1) > 1e-2).sum()):
            raise Hint(f"{where}: the variance must be taken over the inputs (dim 0), per latent dimension.")
        if got == int((mu.mean(0).abs() > 1e-2).sum()):
            raise Hint(
                f"{where}: you looked at the mean of mu; a unit is active when mu VARIES with the input "
                f"(its variance over the inputs), whatever its mean."
            )
        if got == mu.shape[1] - expected:
            raise Hint(f"{where}: you counted the INACTIVE units (variance <= 1e-2).")
        raise Hint(f"{where}: you counted {got} active units, expected {expected}.")
    return f"right count on {len(cases)} cases ({'; '.join(c[0] for c in cases)})."


@checker
def check_free_bits(fn) -> str:
    """``fn(mu, logvar, free_nats) -> scalar``: sum over dims of max(free_nats, batch-mean KL of that dim)."""
    g = seeded_generator(12)
    mu = torch.randn(16, 6, generator=g) * torch.tensor([2.0, 1.0, 0.5, 0.2, 0.1, 0.05])
    logvar = torch.randn(16, 6, generator=g) * 0.3 - torch.tensor([1.5, 1.0, 0.5, 0.1, 0.0, 0.0])
    cases = [
        Case("16 samples, 6 dimensions, free_nats = 0.5", (mu, logvar, 0.5)),
        Case("free_nats = 0 (the plain KL, averaged over the batch)", (mu, logvar, 0.0)),
        Case("one sample, free_nats = 1", (mu[:1], logvar[:1], 1.0)),
        Case("a nearly collapsed code, total KL below free_nats", (0.05 * mu, 0.01 * logvar, 0.5)),
    ]
    kl = lambda m, lv: 0.5 * (m**2 + lv.exp() - lv - 1)  # noqa: E731
    mistakes = [
        (
            "you floored each sample's KL before averaging over the batch; Kingma et al. floor the "
            "BATCH MEAN of each dimension's KL: kl.mean(dim=0).clamp(min=free_nats).sum().",
            lambda m, lv, f: kl(m, lv).clamp(min=f).mean(0).sum(),
        ),
        (
            "no floor per dimension: each dimension's batch-mean KL must be replaced by max(free_nats, KL_k) "
            "(flooring the TOTAL KL is not the same).",
            lambda m, lv, f: kl(m, lv).mean(0).sum(),
        ),
        (
            "you floored the TOTAL KL; the floor applies to each latent dimension separately.",
            lambda m, lv, f: kl(m, lv).sum(1).mean().clamp(min=f),
        ),
        (
            "you capped the KL at free_nats (clamp(max=...)); free bits is a FLOOR: clamp(min=free_nats).",
            lambda m, lv, f: kl(m, lv).mean(0).clamp(max=f).sum(),
        ),
        (
            "mean over the latent dimensions: free bits SUMS the floored KL of each dimension.",
            lambda m, lv, f: kl(m, lv).mean(0).clamp(min=f).mean(),
        ),
        (
            "the batch is summed, not averaged: take kl.mean(dim=0) over the samples.",
            lambda m, lv, f: kl(m, lv).sum(0).clamp(min=f).sum(),
        ),
        (
            "wrong sign of the KL: 0.5 * (mu^2 + exp(logvar) - logvar - 1) is never negative.",
            lambda m, lv, f: (-kl(m, lv)).mean(0).clamp(min=f).sum(),
        ),
    ]
    return compare(
        fn, collapse.free_bits_kl, cases, mistakes, shape_hint=_scalar_shape_hint, tol=(1e-5, 1e-6)
    )


@checker
def check_cb_log_normalizer(fn) -> str:
    """``fn(lam) -> log C(lam)`` elementwise; log 2 at lam = 1/2, accurate next to it."""
    reference = lambda lam: likelihoods.cb_log_normalizer(torch.log(lam / (1 - lam)))  # noqa: E731
    d = torch.float64
    cases = [
        Case("lambda from 0.01 to 0.99", (torch.tensor([0.01, 0.1, 0.3, 0.45, 0.7, 0.9, 0.99], dtype=d),)),
        Case(
            "lambda = 1/2 exactly",
            (torch.tensor([0.5], dtype=d),),
            "At lambda = 1/2 the formula is 0/0: use its limit, C(1/2) = 2, i.e. log 2 (torch.where).",
        ),
        Case(
            "lambda next to 1/2",
            (torch.tensor([0.5 - 1e-3, 0.5 - 1e-6, 0.5 + 1e-9, 0.5 + 1e-4], dtype=d),),
            "Next to 1/2 use the formula where it is accurate and the limit only very close to 1/2 "
            "(log C = log 2 + u^2/3 + ... with u = 1 - 2 lambda).",
        ),
        Case(
            "a batch of images [2, 1, 28, 28] in float32",
            (torch.rand(2, 1, 28, 28, generator=seeded_generator(13)) * 0.98 + 0.01,),
        ),
    ]
    mistakes = [
        ("that is C(lambda) itself: return its LOGARITHM.", lambda lam: reference(lam).exp()),
        (
            "off by log 2: C = 2 artanh(1 - 2 lambda) / (1 - 2 lambda), don't forget the factor 2.",
            lambda lam: reference(lam) - math.log(2),
        ),
        (
            "that is -log C: the normaliser C makes the density integrate to 1, and log C >= log 2 > 0.",
            lambda lam: -reference(lam),
        ),
    ]
    nan = (
        "at lambda = 1/2 the formula is 0/0: return log 2 there (torch.where(u == 0, log 2, formula)), "
        "and make sure the unused branch is not evaluated at 0/0 either."
    )
    summary = compare(
        fn,
        reference,
        cases,
        mistakes,
        shape_hint=lambda got, exp, inp, over: (
            f"return one value per lambda, shape {list(exp)}; got {list(got)}."
        ),
        nan_hint=nan,
        tol=(1e-6, 1e-7),
    )
    return summary + " Stable at and next to lambda = 1/2."


@checker
def check_cb_integral(fn) -> str:
    """``fn(lam) -> integral over x in [0, 1] of lam^x (1 - lam)^(1 - x)`` elementwise, for lam != 1/2:
    (2 lam - 1) / (log lam - log(1 - lam)), i.e. 1 / C(lam)."""
    reference = lambda lam: (2 * lam - 1) / (lam.log() - (1 - lam).log())  # noqa: E731
    d = torch.float64
    cases = [
        Case("lambda = 0.9", (torch.tensor([0.9], dtype=d),)),
        Case(
            "lambda from 0.01 to 0.99, not 1/2", (torch.tensor([0.01, 0.1, 0.3, 0.45, 0.7, 0.99]).double(),)
        ),
        Case("a [2, 3] batch in float32", (torch.tensor([[0.05, 0.2, 0.4], [0.6, 0.8, 0.95]]),)),
    ]
    mistakes = [
        ("that is C(lambda), the normaliser: the integral is 1 / C.", lambda lam: 1 / reference(lam)),
        ("that is the LOG of the integral: return the integral itself.", lambda lam: reference(lam).log()),
        (
            "wrong sign: the integrand is positive, so is the integral; check (2 lambda - 1) against "
            "log(lambda / (1 - lambda)).",
            lambda lam: -reference(lam),
        ),
        (
            "that is 1, what a density would give: lambda^x (1 - lambda)^(1 - x) is no density on [0, 1].",
            lambda lam: torch.ones_like(lam),
        ),
    ]
    summary = compare(
        fn,
        reference,
        cases,
        mistakes,
        shape_hint=lambda got, exp, inp, over: (
            f"return one value per lambda, shape {list(exp)}, not {list(got)}."
        ),
        tol=(1e-5, 1e-6),
    )
    return summary + " At most 1/2 (at lambda = 1/2), near 0 at the ends: C = 1 / integral fixes that."


__all__ = [name for name in dir() if name.startswith("check_")]
