"""Notebook 7's exercise checkers accept right answers, reject typical mistakes with the right hint,
never raise."""

import math

import pytest
import torch

from course_utils.ch7_vae_lab import collapse, likelihoods
from course_utils.classroom import exercises


def kl(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - logvar - 1)


def cb_by_lambda(lam):
    u = 1 - 2 * lam
    near = u.abs() < 1e-4
    safe = torch.where(near, torch.ones_like(u), u)
    return torch.where(near, math.log(2) + u**2 / 3, torch.log(2 * torch.atanh(safe) / safe))


def not_implemented(*args, **kwargs):
    raise NotImplementedError("Your turn: ...")


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
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).clamp(min=f).mean(0).sum(), "BATCH MEAN"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).sum(1).mean().clamp(min=f), "TOTAL"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).mean(0).clamp(max=f).sum(), "FLOOR"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).sum(0).clamp(min=f).sum(), "summed, not averaged"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).mean(0).sum(), "no floor"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).mean(0).clamp(min=f), "per latent dimension"),
    ("check_free_bits", lambda mu, lv, f: kl(mu, lv).clamp(min=f).sum(1), "per sample"),
    ("check_cb_log_normalizer", lambda lam: torch.log(2 * torch.atanh(1 - 2 * lam) / (1 - 2 * lam)), "0/0"),
    ("check_cb_log_normalizer", lambda lam: cb_by_lambda(lam).exp(), "LOGARITHM"),
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


@pytest.mark.parametrize("name,fn", CORRECT)
def test_correct_implementations_pass(name, fn, capsys):
    assert getattr(exercises, name)(fn) is True
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted({n for n, _ in CORRECT}))
def test_blank_exercise_reports_not_implemented(name, capsys):
    assert getattr(exercises, name)(not_implemented) is False
    assert "not implemented yet" in capsys.readouterr().out


@pytest.mark.parametrize("name,fn,phrase", WRONG)
def test_typical_mistakes_get_their_hint(name, fn, phrase, capsys):
    assert getattr(exercises, name)(fn) is False
    out = capsys.readouterr().out
    assert "❌" in out and phrase in out and "Traceback" not in out


def test_checkers_leave_the_random_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    exercises.check_free_bits(collapse.free_bits_kl)
    exercises.check_active_units(lambda mu: collapse.active_units(mu)[0])
    assert torch.equal(torch.rand(3), expected)


def test_every_notebook7_checker_is_covered():
    names = {"check_active_units", "check_free_bits", "check_cb_log_normalizer"}
    assert names <= set(exercises.__all__)
    assert {n for n, _ in CORRECT} == {n for n, _, _ in WRONG} == names
