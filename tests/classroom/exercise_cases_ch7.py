"""Notebook 7's exercise cases: right answers and typical mistakes with the phrase each hint must contain.

tests/classroom/test_exercises.py runs them with the other notebooks' cases."""

import math

import torch

from course_utils.ch7_vae_lab import collapse, likelihoods


def kl(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - logvar - 1)


def cb_by_lambda(lam):
    u = 1 - 2 * lam
    near = u.abs() < 1e-4
    safe = torch.where(near, torch.ones_like(u), u)
    return torch.where(near, math.log(2) + u**2 / 3, torch.log(2 * torch.atanh(safe) / safe))


CORRECT = [
    ("check_active_units", lambda mu: collapse.active_units(mu)[0]),
    ("check_active_units", lambda mu: (mu.var(0) > 1e-2).sum()),
    (
        "check_active_units",
        lambda mu: (
            int((torch.cov(mu.T).diagonal() > 1e-2).sum()) if mu.shape[1] > 1 else int(mu.var() > 1e-2)
        ),
    ),
    ("check_free_bits", collapse.free_bits_kl),
    ("check_free_bits", lambda mu, lv, f: torch.maximum(kl(mu, lv).mean(0), torch.tensor(f)).sum()),
    ("check_cb_log_normalizer", cb_by_lambda),
    ("check_cb_log_normalizer", lambda lam: likelihoods.cb_log_normalizer(torch.logit(lam))),
]

WRONG = [
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
