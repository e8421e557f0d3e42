"""Notebook 4's "Your turn" checkers: the closed-form KL and the ELBO from its parts (references:
:mod:`course_utils.losses`). The engine: :mod:`course_utils.exercises`.
"""

from __future__ import annotations

import torch

from course_utils import losses
from course_utils.exercises import Case, checker, compare, per_sample_size, seeded_generator
from course_utils.models import IMAGE_SHAPE


@checker
def check_kl_std_normal(fn) -> str:
    """``fn(mu, logvar) -> [B]``: KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dims."""
    g = seeded_generator(3)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    cases = [
        Case("a batch of 8 codes with 5 latent dims", (r(8, 5), r(8, 5))),
        Case("q equal to the prior (mu = 0, logvar = 0, KL = 0)", (torch.zeros(4, 3), torch.zeros(4, 3))),
        Case("one latent dim", (r(6, 1), r(6, 1))),
        Case("one sample", (r(1, 2), r(1, 2))),
        Case("wide posteriors (logvar up to +-4)", (r(5, 4), 4 * torch.rand(5, 4, generator=g) * 2 - 4)),
    ]
    mistakes = [
        (
            "wrong sign: KL = 0.5 * sum(mu^2 + sigma^2 - log sigma^2 - 1) is never negative.",
            lambda m, lv: -losses.kl_std_normal(m, lv),
        ),
        (
            "missing the -1 inside the sum (your result = reference + D/2); "
            "check: KL must be 0 when mu = 0, logvar = 0.",
            lambda m, lv: losses.kl_std_normal(m, lv) + 0.5 * m.shape[1],
        ),
        (
            "you used logvar as sigma: the variance is sigma^2 = exp(logvar) and log sigma^2 = logvar.",
            lambda m, lv: 0.5 * (m**2 + lv**2 - torch.log(lv**2) - 1).sum(1),
        ),
        (
            "you used the std exp(0.5*logvar) where the variance exp(logvar) belongs.",
            lambda m, lv: 0.5 * (m**2 + torch.exp(0.5 * lv) - lv - 1).sum(1),
        ),
        (
            "sign of the log-variance term: it is MINUS log sigma^2 = -logvar.",
            lambda m, lv: 0.5 * (m**2 + lv.exp() + lv - 1).sum(1),
        ),
        (
            "mean over latent dims instead of sum: the KL of independent dims is the SUM of the per-dim KLs.",
            lambda m, lv: losses.kl_std_normal(m, lv) / m.shape[1],
        ),
        ("missing the factor 1/2.", lambda m, lv: 2 * losses.kl_std_normal(m, lv)),
    ]
    return compare(
        fn,
        losses.kl_std_normal,
        cases,
        mistakes,
        over="latent dims",
        nan_hint="A log of a negative number? logvar can be negative: the variance is exp(logvar) "
        "and log sigma^2 is simply logvar.",
    )


def vae_cases(seed: int) -> list[Case]:
    """(logits, x, mu, logvar) inputs for the ELBO / VAE-loss checkers."""
    g = seeded_generator(seed)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    binary = lambda *s: (torch.rand(*s, generator=g) < 0.3).float()  # noqa: E731
    return [
        Case(
            "a batch of 6 images [B, 1, 28, 28], 2 latent dims",
            (2 * r(6, *IMAGE_SHAPE), binary(6, *IMAGE_SHAPE), r(6, 2), r(6, 2)),
        ),
        Case("flat vectors of 20 pixels, 3 latent dims", (2 * r(5, 20), binary(5, 20), r(5, 3), r(5, 3))),
        Case("grey targets x in [0, 1]", (2 * r(4, 20), torch.rand(4, 20, generator=g), r(4, 3), r(4, 3))),
        Case("one sample", (2 * r(1, 20), binary(1, 20), r(1, 2), r(1, 2))),
    ]


BATCH_MEAN = (
    "your reconstruction term is one number for the whole batch: reduction='mean' averages over the "
    "batch AND the pixels. Use reduction='none' and sum over the pixels of each image."
)


def batch_mistakes(sign: int) -> list:
    """Mistakes in how the ELBO's (``sign = 1``) or the loss's (``sign = -1``) terms are reduced over the
    batch and the latent dims; each transform returns what that mistake computes."""
    nll, kl = losses.bernoulli_nll, losses.kl_std_normal
    return [
        (
            "your KL is one number for the whole batch (a mean over the samples): each image has its own "
            "KL, summed over the latent dims only (shape [B]).",
            lambda lg, x, m, lv: -sign * (nll(lg, x) + kl(m, lv).mean()),
        ),
        (
            "your KL is summed over the whole batch: each image has its own KL, summed over the latent "
            "dims only (shape [B]).",
            lambda lg, x, m, lv: -sign * (nll(lg, x) + kl(m, lv).sum()),
        ),
        (
            "your reconstruction term is summed over the whole batch (reduction='sum'): use "
            "reduction='none' and sum over the pixels of each image.",
            lambda lg, x, m, lv: -sign * (nll(lg, x).sum() + kl(m, lv)),
        ),
        (
            "mean over latent dims in the KL: sum it.",
            lambda lg, x, m, lv: -sign * (nll(lg, x) + kl(m, lv) / m.shape[1]),
        ),
    ]


def reference_elbo(logits, x, mu, logvar):
    return -losses.bernoulli_nll(logits, x) - losses.kl_std_normal(mu, logvar)


@checker
def check_elbo_from_parts(fn) -> str:
    """``fn(logits, x, mu, logvar) -> [B]``: ELBO = -bernoulli_nll(logits, x) - KL(q || N(0, I))."""
    nll, kl = losses.bernoulli_nll, losses.kl_std_normal
    mistakes = [
        (
            "you returned the loss (negative ELBO); the ELBO is its negative: -bernoulli_nll - KL.",
            lambda lg, x, m, lv: nll(lg, x) + kl(m, lv),
        ),
        (
            "sign of the KL: ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)); the KL is SUBTRACTED.",
            lambda lg, x, m, lv: -nll(lg, x) + kl(m, lv),
        ),
        (
            "sign of the reconstruction term: log p(x|z) = -bernoulli_nll.",
            lambda lg, x, m, lv: nll(lg, x) - kl(m, lv),
        ),
        ("you forgot the KL term.", lambda lg, x, m, lv: -nll(lg, x)),
        (BATCH_MEAN, lambda lg, x, m, lv: -nll(lg, x).mean() / per_sample_size(x) - kl(m, lv)),
        (
            "you averaged the reconstruction term over pixels: "
            "sum it (a mean weights the KL 784 times too much).",
            lambda lg, x, m, lv: -nll(lg, x) / per_sample_size(x) - kl(m, lv),
        ),
        *batch_mistakes(1),
    ]
    return compare(fn, reference_elbo, vae_cases(4), mistakes)


def reference_kl_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    """KL(N(mu_q, exp(logvar_q)) || N(mu_p, exp(logvar_p))), diagonal, summed: ``[B, D]`` -> ``[B]``."""
    ratio = (logvar_q - logvar_p).exp()
    return 0.5 * (ratio + (mu_q - mu_p) ** 2 / logvar_p.exp() - 1 - (logvar_q - logvar_p)).sum(1)


@checker
def check_kl_gaussians(fn) -> str:
    """``fn(mu_q, logvar_q, mu_p, logvar_p) -> [B]``: the KL between two diagonal Gaussians."""
    g = seeded_generator(5)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    zeros = torch.zeros(4, 3)
    cases = [
        Case("a batch of 6 pairs with 4 latent dims", (r(6, 4), r(6, 4), r(6, 4), r(6, 4))),
        Case(
            "p = N(0, I): the KL of section 3",
            (r(5, 3), r(5, 3), torch.zeros(5, 3), torch.zeros(5, 3)),
        ),
        Case("q equal to p (KL = 0)", (zeros + 1.5, zeros - 0.5, zeros + 1.5, zeros - 0.5)),
        Case("one latent dim", (r(6, 1), r(6, 1), r(6, 1), r(6, 1))),
    ]
    ref = reference_kl_gaussians
    mistakes = [
        (
            "the direction is swapped: you computed KL(p || q). The expectation is under q.",
            lambda mq, lq, mp, lp: ref(mp, lp, mq, lq),
        ),
        (
            "missing the -1 inside the sum (your result = reference + D/2); check: KL(q || q) = 0.",
            lambda mq, lq, mp, lp: ref(mq, lq, mp, lp) + 0.5 * mq.shape[1],
        ),
        (
            "the squared mean difference must be divided by p's variance: E_q[(z - mu_p)^2] / sigma_p^2.",
            lambda mq, lq, mp, lp: ref(mq, lq, mp, lp) + 0.5 * ((mq - mp) ** 2 * (1 - 1 / lp.exp())).sum(1),
        ),
        (
            "sign of the log-variance term: it is log sigma_p^2 - log sigma_q^2 = logvar_p - logvar_q.",
            lambda mq, lq, mp, lp: ref(mq, lq, mp, lp) + (lq - lp).sum(1),
        ),
        (
            "mean over latent dims instead of sum: independent dims add their KLs.",
            lambda mq, lq, mp, lp: ref(mq, lq, mp, lp) / mq.shape[1],
        ),
        ("missing the factor 1/2.", lambda mq, lq, mp, lp: 2 * ref(mq, lq, mp, lp)),
    ]
    return compare(fn, ref, cases, mistakes, over="latent dims")


__all__ = [name for name in dir() if name.startswith("check_")]
