"""The engine behind the self-checking "Your turn" exercises; each chapter's checkers live in its package.

The convention every notebook follows: a markdown cell ``### Your turn: ...`` and then ONE code
cell tagged ``exercise`` that defines the student's function, its body between the lines
``# BEGIN SOLUTION`` and ``# END SOLUTION``, and ends with the checker call::

    from course_utils.ch1_mle import exercises   # in the notebook's import cell

    def my_gaussian_nll(mean, x):
        # BEGIN SOLUTION
        return 0.5 * ((x - mean) ** 2 + math.log(2 * math.pi)).flatten(1).sum(1)
        # END SOLUTION

    exercises.check_gaussian_nll(my_gaussian_nll)

``python -m course_utils.classroom student`` replaces the solution lines by
``raise NotImplementedError("Your turn: ...")`` and collects them in ``solutions.md``; later cells
never use the student's function, so a student copy runs through.

A checker (``check_NAME`` in ``course_utils/chK_name/exercises.py``) is a function ``check(fn) -> summary``
decorated with :func:`checker`. It calls ``fn`` through :func:`call` on several random inputs (a typical
:class:`Case` first, then edge cases) and compares with the reference through :func:`compare` (mostly
:mod:`course_utils.losses`), raising :class:`Hint` at the first problem. The decorated ``check_NAME(fn)``
PRINTS one line -- a pass, or a hint that names the likely mistake (wrong shape, wrong sign, off by a
constant, mean instead of sum, ...) -- and returns ``True``/``False``. It never raises and leaves the
global random state untouched, so the cells after it give the same numbers whether or not the exercise
is solved.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import torch

from course_utils.i18n import tr, translate

STUCK = "Stuck? The reference solution is in solutions.md next to the student notebooks."


class Hint(Exception):
    """Raised inside a checker at the first problem; its message is the hint printed."""


class Case(NamedTuple):
    """One test input: a label for the student, the arguments, an extra hint if it fails."""

    label: str
    args: tuple
    hint: str = ""


def checker(check: Callable) -> Callable:
    """Turn ``check(fn) -> summary`` (raising :class:`Hint`) into a printing ``check_NAME(fn) -> bool``."""
    name = check.__name__

    @functools.wraps(check)
    def run(fn) -> bool:
        if not callable(fn):
            print(
                tr(
                    "❌ {name}: pass your function itself, e.g. {name}(my_fn), not the result of calling it "
                    "(got a {kind}).",
                    name=name,
                    kind=type(fn).__name__,
                )
            )
            return False
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(
                0
            )  # the checks are deterministic; the notebook's random state is restored after
            try:
                summary = check(fn)
            except Hint as hint:
                print(f"❌ {name}: {translate(str(hint))}\n   {tr(STUCK)}")
                return False
            except Exception as err:  # noqa: BLE001 - e.g. an output of an unexpected dtype
                print(
                    tr(
                        "❌ {name}: could not test your function ({error}); check what it returns (a float "
                        "tensor of the shape asked for).",
                        name=name,
                        error=f"{type(err).__name__}: {err}",
                    )
                    + f"\n   {tr(STUCK)}"
                )
                return False
        print(tr("✅ {name}: passed - {summary}", name=name, summary=summary))
        return True

    return run


# Advice appended when the student's function raises an exception whose message contains the key.
_EXCEPTION_ADVICE = {
    "between 0 and 1": "F.binary_cross_entropy wants probabilities; with logits use "
    "F.binary_cross_entropy_with_logits (or apply torch.sigmoid once).",
    "must match the size": "Check the shapes of your intermediate tensors (print t.shape).",
    "unexpected keyword argument 'generator'": "Add a parameter generator=None, pass it to torch.rand/randn.",
}


def call(fn, *args, **kwargs) -> torch.Tensor:
    """Call the student's function; turn every failure into a :class:`Hint`."""
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        raise Hint(
            tr(
                "not implemented yet: replace the `raise NotImplementedError(...)` line with your code "
                "and run the cell again."
            )
        ) from None
    except Exception as err:  # noqa: BLE001 - any student error becomes a hint, never a traceback
        advice = " ".join(tr(a) for key, a in _EXCEPTION_ADVICE.items() if key in str(err))
        said = tr("your function raised {error}.", error=f"{type(err).__name__}: {err}")
        raise Hint(f"{said} {advice}".rstrip()) from None
    if out is None:
        raise Hint(tr("your function returned None: did you forget the `return`?"))
    if not isinstance(out, torch.Tensor):
        try:
            out = torch.as_tensor(out)
        except Exception:  # noqa: BLE001
            raise Hint(tr("expected a torch tensor, got a {kind}.", kind=type(out).__name__)) from None
    return out


def _shapes(args) -> str:
    return ", ".join(str(list(a.shape)) for a in args if isinstance(a, torch.Tensor))


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-4, atol: float = 1e-4) -> bool:
    return a.shape == b.shape and torch.allclose(a.cpu().double(), b.cpu().double(), rtol=rtol, atol=atol)


def per_sample_shape_hint(got: torch.Size, expected: torch.Size, inp: torch.Size, over: str) -> str:
    """Why a ``[B]`` result came out with another shape."""
    B = inp[0]
    if got.numel() == 1 and B > 1:
        return (
            f"you returned a single number, so you also reduced over the batch. Return one value per "
            f"sample, shape [B] = {list(expected)}: sum over the {over} only; "
            "the caller averages over the batch."
        )
    if got == inp:
        return (
            f"you returned one value per element {list(got)}: sum over the {over} to get shape "
            f"[B] = {list(expected)}."
        )
    if got == inp[1:]:
        return (
            f"you reduced over dim 0 (the batch) instead of the {over}: sum over the other dims to get "
            f"[B] = {list(expected)}."
        )
    if len(got) > 1 and got[0] == B and got[1:].numel() == 1:
        return (
            f"your result has shape {list(got)}: the right values, probably, with dims of size 1 left "
            f"over (keepdim=True, or [:, None]). Return shape [B] = {list(expected)}: drop keepdim, "
            "or .squeeze() the result."
        )
    if len(got) > 1 and got[0] == B:
        return (
            f"only partly reduced ({list(got)}): sum over ALL dims except the batch dim, e.g. "
            f"t.flatten(1).sum(1) (for images [B, 1, 28, 28] that is dims 1, 2, 3)."
        )
    return f"wrong shape: expected [B] = {list(expected)}, got {list(got)}."


def compare(
    fn, reference, cases, mistakes, *, over="pixels", shape_hint=None, nan_hint="", tol=(1e-4, 1e-4)
) -> str:
    """Compare ``fn`` with ``reference`` on each case; raise a :class:`Hint` at the first mismatch.

    ``mistakes`` is the table of typical mistakes: ``(hint, transform)`` pairs where
    ``transform(*args)`` computes what that mistake returns. A result that matches a transform
    (and not the reference) gets that hint; anything else gets a generic diagnosis (a constant
    offset, a constant factor, or the first differing value).
    """
    for case in cases:
        expected = reference(*case.args).detach()
        expected, expected_dtype = expected.cpu().double(), expected.dtype
        inputs = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in case.args)
        got = call(fn, *inputs)
        where = f"on {case.label} (inputs {_shapes(case.args)})"
        if any(isinstance(a, torch.Tensor) and not torch.equal(a, b) for a, b in zip(inputs, case.args)):
            raise Hint(f"{where}: your function changed its input in place; compute a new tensor instead.")
        if got.shape != expected.shape:
            hint = (shape_hint or per_sample_shape_hint)(got.shape, expected.shape, case.args[0].shape, over)
            raise Hint(f"{where}: {hint}")
        got_dtype = got.dtype
        if dtype_hint(got_dtype, expected_dtype):
            raise Hint(f"{where}: {dtype_hint(got_dtype, expected_dtype)}")
        got = got.detach().cpu().double()
        if not torch.isfinite(got).all():
            raise Hint(
                f"{where}: your function returned NaN or inf where the reference is finite. "
                f"{nan_hint or case.hint}".rstrip()
            )
        if _close(got, expected, *tol):
            continue
        for hint, transform in mistakes:
            candidate = transform(*case.args).detach().cpu().double()
            if _close(got, candidate, *tol) and not _close(candidate, expected, *tol):
                raise Hint(f"{where}: {hint}")
        lost = _PRECISION_LOST if (got_dtype, expected_dtype) == (torch.float32, torch.float64) else ""
        raise Hint(f"{where}: {_generic_difference(got, expected)} {lost or case.hint}".rstrip())
    labels = "; ".join(translate(c.label) for c in cases)
    return tr("matches the reference on {n} cases ({labels}).", n=len(cases), labels=labels)


_PRECISION_LOST = (
    "Your result is float32 but the inputs are float64: compute in the inputs' dtype (no .float(), "
    "and make new tensors with dtype=x.dtype)."
)


def dtype_hint(got: torch.dtype, expected: torch.dtype) -> str:
    """Why a result of dtype ``got`` cannot stand for the reference's float ``expected`` ("" if it can)."""
    if not expected.is_floating_point:
        return ""
    name = str(got).removeprefix("torch.")
    if got in (torch.float16, torch.bfloat16):
        return (
            f"your result is {name}, which keeps only about 3 significant digits (float16 overflows above "
            f"65504): compute in {str(expected).removeprefix('torch.')} like the inputs (no .half(), "
            "no autocast)."
        )
    if not got.is_floating_point:
        return (
            f"your result has dtype {name}: whole numbers drop the fractions. Keep float tensors "
            "(no int(), .long(), .round() or //)."
        )
    return ""


def _generic_difference(got: torch.Tensor, expected: torch.Tensor) -> str:
    """Describe a mismatch that no known mistake explains."""
    diff, ratio = got - expected, got / expected
    if got.numel() > 1 and torch.allclose(diff, diff.flatten()[0].expand_as(diff), atol=1e-3):
        return (
            f"off by a constant: yours = reference {diff.flatten()[0].item():+.4g} for every sample. "
            f"Check the constant terms."
        )
    same_ratio = torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio), rtol=1e-3)
    far_from_1 = abs(ratio.flatten()[0].item() - 1) > 1e-2  # 0.9997 is a small term gone wrong, not a factor
    if got.numel() > 1 and (expected.abs() > 1e-6).all() and same_ratio and far_from_1:
        return (
            f"off by a factor: yours = {ratio.flatten()[0].item():.4g} x reference for every sample. "
            f"Check the factors (1/2?) and sum versus mean."
        )
    i = int(diff.abs().flatten().argmax())
    return (
        f"wrong values: e.g. element {i}: yours {got.flatten()[i].item():.5g}, expected "
        f"{expected.flatten()[i].item():.5g} (largest difference {diff.abs().max().item():.3g})."
    )


def seeded_generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def per_sample_size(t: torch.Tensor) -> int:
    """Elements per sample, D."""
    return t[0].numel()


def sum_per_sample(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).sum(1)
