"""What every chapter's exercise tests share: a checker's verdict and the line it printed, the blank
exercise, and the mistakes any answer can make (float16, integers, NaN, a changed input, a dim left over).

tests/chK_*/test_exercises.py import it as ``exercise_harness`` (those test folders are packages, so
pytest puts tests/ on the path)."""

import math

import torch


def not_implemented(*args, **kwargs):
    raise NotImplementedError("Your turn: ...")


def nan_at_0(t):
    t = t.clone() if t.is_floating_point() else t.double()
    t.view(-1)[0] = float("nan")
    return t


def uniform_eps(shape, generator=None):  # mean 0 and std 1, but not Gaussian
    return (torch.rand(shape, generator=generator) - 0.5) * math.sqrt(12)


def assert_passes(check, fn, capsys):
    assert check(fn) is True
    out = capsys.readouterr().out
    assert "passed" in out and "❌" not in out


def assert_reports_not_implemented(check, capsys):
    assert check(not_implemented) is False
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Traceback" not in out


def assert_fails_naming(check, fn, phrase, capsys) -> str:
    """``check(fn)`` fails, and the line it printed names ``phrase``; returns that line."""
    assert check(fn) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and phrase in out, out
    return out


def assert_hint(check, fn, phrase, capsys):
    """A typical mistake: it fails with its hint, no traceback, and the pointer to the solutions."""
    out = assert_fails_naming(check, fn, phrase, capsys)
    assert "Traceback" not in out and "solutions.md" in out


def as_half(fn):
    return lambda *a, **k: fn(*a, **k).half()


def as_long(fn):
    return lambda *a, **k: torch.as_tensor(fn(*a, **k)).long()


def with_nan(fn):
    return lambda *a, **k: nan_at_0(torch.as_tensor(fn(*a, **k)))


def with_extra_dim(fn):  # keepdim=True, or [:, None]
    return lambda *a, **k: fn(*a, **k)[..., None]


def with_leading_dim(fn):  # a 0-d result returned as [1]
    return lambda *a: fn(*a)[None]


def changing_input(fn):  # the right result, but the caller's first argument is changed too
    def changed(*a, **k):
        out = fn(*a, **k)
        with torch.no_grad():
            a[0].mul_(0.5)
        return out

    return changed


def generic_cases(checkers, per_sample=(), count_result=(), scalar_result=()) -> list[tuple]:
    """``(checker name, kind, make the wrong answer, the phrase its hint must contain)`` for the mistakes any
    answer can make, over the checker names ``checkers``: ``per_sample`` return ``[B]`` (a ``[B, 1]``
    result must be named), ``count_result`` return a count (no float checks), ``scalar_result`` return a
    0-d tensor (a ``[1]`` result must be named)."""
    names = set(checkers)
    mistakes = [
        ("float16", as_half, "float16", names - set(count_result)),
        ("int64", as_long, "int64", names - set(count_result)),
        ("NaN", with_nan, "NaN", names),
        ("in place", changing_input, "in place", names),
        ("keepdim [B, 1]", with_extra_dim, "size 1 left over (keepdim=True", set(per_sample)),
        ("keepdim [1]", with_leading_dim, "a dim left over (keepdim=True", set(scalar_result)),
    ]
    return [(name, kind, make, phrase) for kind, make, phrase, names_ in mistakes for name in sorted(names_)]
