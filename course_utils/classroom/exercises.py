"""Self-checking "Your turn" exercises: each ``check_NAME(fn)`` tests a student's function.

The convention every notebook follows: a markdown cell ``### Your turn: ...`` and then ONE code
cell tagged ``exercise`` that defines the student's function, its body between the lines
``# BEGIN SOLUTION`` and ``# END SOLUTION``, and ends with the checker call::

    def my_gaussian_nll(mean, x):
        # BEGIN SOLUTION
        return 0.5 * ((x - mean) ** 2 + math.log(2 * math.pi)).flatten(1).sum(1)
        # END SOLUTION

    exercises.check_gaussian_nll(my_gaussian_nll)

``python -m course_utils.classroom.copies student`` replaces the solution lines by
``raise NotImplementedError("Your turn: ...")`` and collects them in ``solutions.md``; later cells
never use the student's function, so a student copy runs through.

A checker calls ``fn`` on several random inputs (a typical case first, then edge cases), compares
with the reference (mostly :mod:`course_utils.losses`), PRINTS one line -- a pass, or a hint that
names the likely mistake (wrong shape, wrong sign, off by a constant, mean instead of sum, ...) --
and returns ``True``/``False``. It never raises and leaves the global random state untouched, so
the cells after it give the same numbers whether or not the exercise is solved.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F

from course_utils import losses
from course_utils.models import IMAGE_SHAPE, N_PIXELS

STUCK = "Stuck? The reference solution is in solutions.md next to the student notebooks."


class _Hint(Exception):
    """Raised inside a checker at the first problem; its message is the hint printed."""


class Case(NamedTuple):
    """One test input: a label for the student, the arguments, an extra hint if it fails."""

    label: str
    args: tuple
    hint: str = ""


def _checker(check: Callable) -> Callable:
    """Turn ``check(fn) -> summary`` (raising :class:`_Hint`) into a printing ``check_NAME(fn) -> bool``."""
    name = check.__name__

    @functools.wraps(check)
    def run(fn) -> bool:
        if not callable(fn):
            print(
                f"❌ {name}: pass your function itself, e.g. {name}(my_fn), not the result of calling it "
                f"(got a {type(fn).__name__})."
            )
            return False
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(
                0
            )  # the checks are deterministic; the notebook's random state is restored after
            try:
                summary = check(fn)
            except _Hint as hint:
                print(f"❌ {name}: {hint}\n   {STUCK}")
                return False
            except Exception as err:  # noqa: BLE001 - e.g. an output of an unexpected dtype
                print(
                    f"❌ {name}: could not test your function ({type(err).__name__}: {err}); check what it "
                    f"returns (a float tensor of the shape asked for).\n   {STUCK}"
                )
                return False
        print(f"✅ {name}: passed - {summary}")
        return True

    return run


# Advice appended when the student's function raises an exception whose message contains the key.
_EXCEPTION_ADVICE = {
    "between 0 and 1": "F.binary_cross_entropy wants probabilities; with logits use "
    "F.binary_cross_entropy_with_logits (or apply torch.sigmoid once).",
    "must match the size": "Check the shapes of your intermediate tensors (print t.shape).",
    "unexpected keyword argument 'generator'": "Add a parameter generator=None, pass it to torch.rand/randn.",
}


def _call(fn, *args, **kwargs) -> torch.Tensor:
    """Call the student's function; turn every failure into a :class:`_Hint`."""
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        raise _Hint(
            "not implemented yet: replace the `raise NotImplementedError(...)` line with your code "
            "and run the cell again."
        ) from None
    except Exception as err:  # noqa: BLE001 - any student error becomes a hint, never a traceback
        advice = " ".join(a for key, a in _EXCEPTION_ADVICE.items() if key in str(err))
        raise _Hint(f"your function raised {type(err).__name__}: {err}. {advice}".rstrip()) from None
    if out is None:
        raise _Hint("your function returned None: did you forget the `return`?")
    if not isinstance(out, torch.Tensor):
        try:
            out = torch.as_tensor(out)
        except Exception:  # noqa: BLE001
            raise _Hint(f"expected a torch tensor, got a {type(out).__name__}.") from None
    return out


def _shapes(args) -> str:
    return ", ".join(str(list(a.shape)) for a in args if isinstance(a, torch.Tensor))


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-4, atol: float = 1e-4) -> bool:
    return a.shape == b.shape and torch.allclose(a.cpu().double(), b.cpu().double(), rtol=rtol, atol=atol)


def _per_sample_shape_hint(got: torch.Size, expected: torch.Size, inp: torch.Size, over: str) -> str:
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


def _compare(
    fn, reference, cases, mistakes, *, over="pixels", shape_hint=None, nan_hint="", tol=(1e-4, 1e-4)
) -> str:
    """Compare ``fn`` with ``reference`` on each case; raise a :class:`_Hint` at the first mismatch.

    ``mistakes`` is the table of typical mistakes: ``(hint, transform)`` pairs where
    ``transform(*args)`` computes what that mistake returns. A result that matches a transform
    (and not the reference) gets that hint; anything else gets a generic diagnosis (a constant
    offset, a constant factor, or the first differing value).
    """
    for case in cases:
        expected = reference(*case.args).detach()
        expected, expected_dtype = expected.cpu().double(), expected.dtype
        inputs = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in case.args)
        got = _call(fn, *inputs)
        where = f"on {case.label} (inputs {_shapes(case.args)})"
        if any(isinstance(a, torch.Tensor) and not torch.equal(a, b) for a, b in zip(inputs, case.args)):
            raise _Hint(f"{where}: your function changed its input in place; compute a new tensor instead.")
        if got.shape != expected.shape:
            hint = (shape_hint or _per_sample_shape_hint)(got.shape, expected.shape, case.args[0].shape, over)
            raise _Hint(f"{where}: {hint}")
        got_dtype = got.dtype
        if _dtype_hint(got_dtype, expected_dtype):
            raise _Hint(f"{where}: {_dtype_hint(got_dtype, expected_dtype)}")
        got = got.detach().cpu().double()
        if not torch.isfinite(got).all():
            raise _Hint(
                f"{where}: your function returned NaN or inf where the reference is finite. "
                f"{nan_hint or case.hint}".rstrip()
            )
        if _close(got, expected, *tol):
            continue
        for hint, transform in mistakes:
            candidate = transform(*case.args).detach().cpu().double()
            if _close(got, candidate, *tol) and not _close(candidate, expected, *tol):
                raise _Hint(f"{where}: {hint}")
        lost = _PRECISION_LOST if (got_dtype, expected_dtype) == (torch.float32, torch.float64) else ""
        raise _Hint(f"{where}: {_generic_difference(got, expected)} {lost or case.hint}".rstrip())
    return f"matches the reference on {len(cases)} cases ({'; '.join(c.label for c in cases)})."


_PRECISION_LOST = (
    "Your result is float32 but the inputs are float64: compute in the inputs' dtype (no .float(), "
    "and make new tensors with dtype=x.dtype)."
)


def _dtype_hint(got: torch.dtype, expected: torch.dtype) -> str:
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


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _dim(t: torch.Tensor) -> int:
    """Elements per sample, D."""
    return t[0].numel()


def _sum(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).sum(1)


# ---------------------------------------------------------------------------------------------
# Losses compared with course_utils.losses
# ---------------------------------------------------------------------------------------------


@_checker
def check_gaussian_nll(fn) -> str:
    """``fn(mean, x) -> [B]``: -log N(x | mean, I) summed over pixels, 0.5*log(2*pi) per pixel included."""
    g = _gen(1)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    x_img = torch.rand(4, *IMAGE_SHAPE, generator=g)
    cases = [
        Case("a batch of 8 vectors of 20 pixels", (r(8, 20), r(8, 20))),
        Case("MNIST-shaped images [B, 1, 28, 28]", (torch.rand(4, *IMAGE_SHAPE, generator=g), x_img)),
        Case("a perfect reconstruction (mean == x)", (x_img.clone(), x_img.clone())),
        Case("one sample", (r(1, 10), r(1, 10))),
        Case("one pixel per sample", (r(6, 1), r(6, 1))),
    ]
    sse = lambda m, x: _sum((x - m) ** 2)  # noqa: E731
    mistakes = [
        (
            "off by a constant: you left out the normalising constant 0.5*log(2*pi) per pixel "
            "(your result = reference - D/2 * log(2*pi)).",
            lambda m, x: 0.5 * sse(m, x),
        ),
        (
            "wrong sign: the NEGATIVE log-likelihood is 0.5*(x-mean)^2 + 0.5*log(2*pi) per pixel, "
            "a positive number here.",
            lambda m, x: -losses.gaussian_nll(m, x),
        ),
        (
            "mean instead of sum over pixels: the NLL of an image is the SUM of the per-pixel NLLs.",
            lambda m, x: losses.gaussian_nll(m, x) / _dim(x),
        ),
        (
            "mean instead of sum over pixels, and the constant 0.5*log(2*pi) is missing.",
            lambda m, x: 0.5 * sse(m, x) / _dim(x),
        ),
        (
            "that is the mean squared error (MSE); the NLL is 0.5*SSE + D/2*log(2*pi), summed over pixels.",
            lambda m, x: sse(m, x) / _dim(x),
        ),
        ("that is the sum of squared errors; the NLL is 0.5*SSE + D/2*log(2*pi).", sse),
        (
            "missing the factor 1/2 in front of the squared error.",
            lambda m, x: sse(m, x) + 0.5 * _dim(x) * losses.LOG_2PI,
        ),
        (
            "twice the reference: missing the factor 1/2 (on both terms).",
            lambda m, x: 2 * losses.gaussian_nll(m, x),
        ),
        (
            "the constant is log(2*pi) per pixel, it should be 0.5*log(2*pi).",
            lambda m, x: 0.5 * sse(m, x) + _dim(x) * losses.LOG_2PI,
        ),
    ]
    return _compare(fn, losses.gaussian_nll, cases, mistakes)


@_checker
def check_bernoulli_nll(fn) -> str:
    """``fn(logits, x) -> [B]``: Bernoulli NLL (binary cross-entropy with logits) summed over pixels."""
    g = _gen(2)
    binary = lambda *s: (torch.rand(*s, generator=g) < 0.3).float()  # noqa: E731
    logits = lambda *s: 3 * torch.randn(*s, generator=g)  # noqa: E731
    big = 30 * torch.sign(torch.randn(5, 12, generator=g))
    cases = [
        Case("a batch of 8 binary vectors of 20 pixels", (logits(8, 20), binary(8, 20))),
        Case("MNIST-shaped images [B, 1, 28, 28]", (logits(4, *IMAGE_SHAPE), binary(4, *IMAGE_SHAPE))),
        Case("grey targets x in [0, 1]", (logits(6, 15), torch.rand(6, 15, generator=g))),
        Case("one sample", (logits(1, 10), binary(1, 10))),
        Case(
            "large logits (+-30)",
            (big, binary(5, 12)),
            "For large |logits|, sigmoid rounds to exactly 0 or 1 and log() gives -inf (or a clamped -100): "
            "compute from the logits with F.binary_cross_entropy_with_logits or F.logsigmoid.",
        ),
    ]
    mistakes = [
        (
            "you applied the sigmoid twice: the function receives LOGITS and "
            "F.binary_cross_entropy_with_logits applies the sigmoid itself.",
            lambda lg, x: losses.bernoulli_nll(torch.sigmoid(lg), x),
        ),
        (
            "forgot the minus sign: NLL = -[x log p + (1 - x) log(1 - p)] is positive.",
            lambda lg, x: -losses.bernoulli_nll(lg, x),
        ),
        (
            "mean instead of sum over pixels: the NLL of an image is the SUM over its pixels.",
            lambda lg, x: losses.bernoulli_nll(lg, x) / _dim(x),
        ),
        (
            "the arguments are swapped: binary_cross_entropy_with_logits(input=logits, target=x).",
            lambda lg, x: _sum(F.binary_cross_entropy_with_logits(x, lg, reduction="none")),
        ),
    ]
    return _compare(fn, losses.bernoulli_nll, cases, mistakes, nan_hint=cases[-1].hint)


@_checker
def check_kl_std_normal(fn) -> str:
    """``fn(mu, logvar) -> [B]``: KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dims."""
    g = _gen(3)
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
    return _compare(
        fn,
        losses.kl_std_normal,
        cases,
        mistakes,
        over="latent dims",
        nan_hint="A log of a negative number? logvar can be negative: the variance is exp(logvar) "
        "and log sigma^2 is simply logvar.",
    )


def _vae_cases(seed: int) -> list[Case]:
    """(logits, x, mu, logvar) inputs for the ELBO / VAE-loss checkers."""
    g = _gen(seed)
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


_BATCH_MEAN = (
    "your reconstruction term is one number for the whole batch: reduction='mean' averages over the "
    "batch AND the pixels. Use reduction='none' and sum over the pixels of each image."
)


def _batch_mistakes(sign: int) -> list:
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


def _reference_elbo(logits, x, mu, logvar):
    return -losses.bernoulli_nll(logits, x) - losses.kl_std_normal(mu, logvar)


@_checker
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
        (_BATCH_MEAN, lambda lg, x, m, lv: -nll(lg, x).mean() / _dim(x) - kl(m, lv)),
        (
            "you averaged the reconstruction term over pixels: "
            "sum it (a mean weights the KL 784 times too much).",
            lambda lg, x, m, lv: -nll(lg, x) / _dim(x) - kl(m, lv),
        ),
        *_batch_mistakes(1),
    ]
    return _compare(fn, _reference_elbo, _vae_cases(4), mistakes)


@_checker
def check_vae_loss_from_parts(fn) -> str:
    """``fn(logits, x, mu, logvar) -> [B]``: negative ELBO = bernoulli_nll(logits, x) + KL(q || N(0, I))."""
    nll, kl = losses.bernoulli_nll, losses.kl_std_normal
    mistakes = [
        (
            "you returned the ELBO; the loss to minimise is its negative: bernoulli_nll + KL.",
            lambda lg, x, m, lv: -nll(lg, x) - kl(m, lv),
        ),
        (
            "sign of the KL: loss = reconstruction NLL + KL; "
            "the KL is ADDED (it penalises q far from the prior).",
            lambda lg, x, m, lv: nll(lg, x) - kl(m, lv),
        ),
        ("you forgot the KL term.", lambda lg, x, m, lv: nll(lg, x)),
        (_BATCH_MEAN, lambda lg, x, m, lv: nll(lg, x).mean() / _dim(x) + kl(m, lv)),
        (
            "mean over pixels in the reconstruction term: sum it (a mean silently makes the KL 784 times "
            "heavier, a beta-VAE by accident).",
            lambda lg, x, m, lv: nll(lg, x) / _dim(x) + kl(m, lv),
        ),
        *_batch_mistakes(-1),
    ]
    return _compare(fn, lambda *a: -_reference_elbo(*a), _vae_cases(5), mistakes)


# ---------------------------------------------------------------------------------------------
# Distances
# ---------------------------------------------------------------------------------------------


def _pairwise_shape_hint(got, expected, inp, over) -> str:
    N, D = inp
    if got == torch.Size([N, N, D]):
        return (
            f"you returned the differences per coordinate {list(got)}: "
            "square, SUM over the last dim, take the root."
        )
    if got.numel() == N * (N - 1) // 2 and len(got) == 1:
        return "that is the condensed upper triangle (like torch.pdist); return the full [N, N] matrix."
    return f"wrong shape: expected [N, N] = {list(expected)}, got {list(got)}."


@_checker
def check_pairwise_distances(fn) -> str:
    """``fn(X) -> [N, N]``: Euclidean distances between the rows of ``X`` ``[N, D]`` (reference:
    :func:`course_utils.ch2_manifold.manifold.pairwise_distances`)."""
    from course_utils.ch2_manifold.manifold import (
        pairwise_distances as reference,  # imported here: manifold loads scikit-learn
    )

    g = _gen(6)
    dup = torch.rand(6, 3, generator=g, dtype=torch.float64)
    dup[3] = dup[1]
    cases = [
        Case("10 points in 5-D", (torch.randn(10, 5, generator=g, dtype=torch.float64),)),
        Case("5 flattened images in 784-D", (torch.rand(5, N_PIXELS, generator=g, dtype=torch.float64),)),
        Case(
            "a repeated point (distance exactly 0)",
            (dup,),
            "If you expanded |a-b|^2 = |a|^2 + |b|^2 - 2 a.b, round-off can make it slightly negative: "
            "clamp(min=0) before sqrt.",
        ),
        Case("points on a line (D = 1)", (torch.randn(7, 1, generator=g, dtype=torch.float64),)),
        Case("a single point", (torch.randn(1, 4, generator=g, dtype=torch.float64),)),
    ]
    mistakes = [
        ("these are SQUARED distances: take the square root.", lambda X: reference(X) ** 2),
        (
            "that is the L1 (Manhattan) distance: square the differences, sum, then take the root.",
            lambda X: (X[:, None, :] - X[None, :, :]).abs().sum(-1),
        ),
        (
            "root of the MEAN squared difference: SUM over the coordinates.",
            lambda X: reference(X) / math.sqrt(X.shape[1]),
        ),
    ]
    return _compare(
        fn,
        reference,
        cases,
        mistakes,
        shape_hint=_pairwise_shape_hint,
        nan_hint=cases[2].hint,
        tol=(1e-6, 1e-6),
    )


# ---------------------------------------------------------------------------------------------
# Random functions: statistical checks
# ---------------------------------------------------------------------------------------------


def _call_noise(fn, x: torch.Tensor, level: float, seed: int | None):
    """Call a corruption function; check shape and that ``x`` is left unchanged."""
    x_in = x.clone()
    generator = None if seed is None else _gen(seed)
    out = _call(fn, x_in, level, generator=generator)
    if not torch.equal(x_in, x):
        raise _Hint("you changed the input x in place: corrupt a copy (x.clone(), or x * mask, x + noise).")
    if out.shape != x.shape:
        raise _Hint(
            f"wrong shape: the corrupted images must have the shape of x {list(x.shape)}, "
            f"got {list(out.shape)}."
        )
    if _dtype_hint(out.dtype, x.dtype) or out.dtype != x.dtype:
        raise _Hint(
            f"the corrupted images are {str(out.dtype).removeprefix('torch.')}, x is "
            f"{str(x.dtype).removeprefix('torch.')}: keep x's dtype (no .half(), .long() or bool masks "
            "returned as they are)."
        )
    if not torch.isfinite(out).all():
        raise _Hint(
            f"your output holds {int((~torch.isfinite(out)).sum())} NaN or inf values: corrupt with finite "
            "numbers (a masked pixel is 0, noise is sigma * torch.randn)."
        )
    return out.detach().cpu().double()


def _independence_hint(values: torch.Tensor, what: str) -> str:
    """Whether ``values`` ``[B, D]`` (one row per image) look independent across images and across
    pixels: the mean of each row (and of each column) should vary as much as ``D`` (``B``) independent
    draws allow, no more. Returns a hint naming what is shared, "" when nothing is."""
    spread = values.var()
    B, D = values.shape
    if torch.allclose(values, values[:1].expand_as(values), rtol=0, atol=1e-6):
        return f"the same {what} for every image: draw it with the full shape, x.shape."
    if torch.allclose(values, values[:, :1].expand_as(values), rtol=0, atol=1e-6):
        return f"one {what} value per image, shared by all its pixels: draw it with the full shape, x.shape."
    rows, cols = values.mean(1).var() * D / spread, values.mean(0).var() * B / spread
    if rows > 3:
        return f"the pixels of an image share their {what} (they are not independent): draw it with x.shape."
    if cols > 3:
        return f"different images share their {what} (they are not independent): draw it with x.shape."
    return ""


def _assert_noise_basics(fn, x, level, level_name: str) -> str:
    """What every noise function must do: give back ``x`` at level 0, and the same corruption for the
    same seeded generator, a different one for another generator. Returns the report's words for these
    checks (with :func:`_call_noise`'s: the input untouched)."""
    if not torch.allclose(_call_noise(fn, x, 0.0, None), x.cpu().double()):
        raise _Hint(f"with {level_name} = 0 the images must come back unchanged.")
    a, b = _call_noise(fn, x, level, 0), _call_noise(fn, x, level, 0)
    if not torch.equal(a, b):
        raise _Hint(
            "two calls with the same seeded generator gave different results: pass the generator "
            "on, e.g. torch.rand(x.shape, generator=generator)."
        )
    if torch.equal(a, _call_noise(fn, x, level, 1)):
        raise _Hint("different generators gave the same result: the corruption must be random.")
    return "input untouched, reproducible with a generator."


@_checker
def check_masking_noise(fn) -> str:
    """``fn(x, fraction, generator=None)``: about ``fraction`` of the pixels set to 0, the others
    unchanged."""
    g = _gen(7)
    x = 0.1 + 0.9 * torch.rand(64, *IMAGE_SHAPE, generator=g)  # no zeros, so masked pixels are visible
    fraction = 0.3
    out = _call_noise(fn, x, fraction, None)
    xd, kept = x.cpu().double(), out != 0
    if torch.allclose(out[kept], xd[kept] / (1 - fraction), rtol=1e-4) and kept.any() and not kept.all():
        raise _Hint("you rescaled the kept pixels by 1/(1 - fraction) like dropout; keep them unchanged.")
    if not torch.allclose(out[kept], xd[kept], rtol=1e-5, atol=1e-6):
        raise _Hint(
            "pixels that are not masked must keep their value (set a fraction to 0, change nothing else)."
        )
    per_image = (~kept).flatten(1)
    if per_image.any() and not per_image.all():
        if (per_image == per_image[0]).all():
            raise _Hint(
                "the same pixels are masked in every image: draw the mask with the full shape x.shape."
            )
        shared = _independence_hint(per_image.cpu().double(), "mask")
        if shared:
            raise _Hint(shared)
    masked = 1 - kept.cpu().double().mean().item()
    if abs(masked - fraction) > 0.02:
        if abs(masked - (1 - fraction)) < 0.02:
            raise _Hint(
                f"you masked {masked:.3f} of the pixels with fraction={fraction}: that is the KEPT "
                f"fraction. `fraction` is the share of pixels set to 0 (mask = rand < fraction)."
            )
        raise _Hint(f"you masked {masked:.3f} of the pixels, expected about fraction = {fraction}.")
    if (_call_noise(fn, x, 1.0, None) != 0).any():
        raise _Hint("with fraction = 1 every pixel must be 0.")
    basics = _assert_noise_basics(fn, x, fraction, "fraction")
    return (
        f"masked {masked:.3f} of the pixels for fraction = {fraction}, others unchanged, "
        f"fractions 0 and 1 right, {basics}"
    )


@_checker
def check_gaussian_noise(fn) -> str:
    """``fn(x, sigma, generator=None)``: ``x + sigma * eps`` with ``eps ~ N(0, I)``, no clipping."""
    g = _gen(8)
    x = torch.rand(64, *IMAGE_SHAPE, generator=g)
    sigma = 0.5
    out = _call_noise(fn, x, sigma, None)
    d = out - x.cpu().double()
    n, mean, std = d.numel(), d.mean().item(), d.std().item()
    at_0, at_1 = (out == 0).cpu().double().mean().item(), (out == 1).cpu().double().mean().item()
    if max(at_0, at_1) > 0.01:  # x + sigma * eps hits 0 or 1 exactly almost never; a clamp piles pixels there
        where = "at 0 and 1" if min(at_0, at_1) > 0.01 else "at 0" if at_0 > 0.01 else "at 1"
        raise _Hint(
            f"{max(at_0, at_1):.0%} of your output pixels are exactly {where[3:]}: you clipped {where}. "
            "Return plain x + sigma * eps (the clipping, if wanted, is a separate step)."
        )
    shared = _independence_hint(d.flatten(1), "noise")
    if shared:
        raise _Hint(shared)
    if abs(std - sigma**2) < 0.03 * sigma**2:
        raise _Hint(
            f"the noise has std {std:.3f} = sigma^2: sigma is the standard deviation, multiply eps by sigma."
        )
    if abs(std - math.sqrt(sigma)) < 0.03 * math.sqrt(sigma):
        raise _Hint(f"the noise has std {std:.3f} = sqrt(sigma): sigma is already the standard deviation.")
    if abs(mean) > 5 * sigma / math.sqrt(n):
        raise _Hint(
            f"the noise has mean {mean:.3f}, expected 0 (torch.rand is uniform on [0, 1); use torch.randn)."
        )
    if abs(std - sigma) > 0.03 * sigma:
        raise _Hint(f"the noise has std {std:.3f}, expected sigma = {sigma}.")
    inside = (d.abs() < sigma).cpu().double().mean().item()
    if abs(inside - 0.6827) > 0.02:
        raise _Hint(
            f"{inside:.3f} of the noise lies within one sigma, a Gaussian has 0.683: use torch.randn."
        )
    basics = _assert_noise_basics(fn, x, sigma, "sigma")
    return f"noise mean {mean:+.4f}, std {std:.4f} for sigma = {sigma}, Gaussian shape, no clipping, {basics}"


#: Two (mu, logvar) settings for :func:`check_reparameterize`, alternating row by row in the batch, so a
#: result that mixes up the samples (a statistic over the batch, another row's logvar) shows.
_REPARAM_MU = torch.tensor([[0.5, -2.0, 3.0], [-1.0, 1.5, 0.0]])
_REPARAM_LOGVAR = torch.tensor([[1.0, -2.0, 0.5], [-1.5, 0.8, -0.3]])


def _rounded(t: torch.Tensor, digits: int = 3) -> list:
    return [[round(v, digits) for v in row] for row in t.tolist()]


def _check_reparam_spread(zd: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per setting ``[2, 3]``: the sample mean and std of ``zd`` ``[2n, 3]``, checked against mu and
    exp(0.5 * logvar), with a hint naming the mistake."""
    mu0, lv0 = _REPARAM_MU, _REPARAM_LOGVAR
    by_setting = zd.view(n, 2, 3)
    mean, std, want = by_setting.mean(0), by_setting.std(0), torch.exp(0.5 * lv0)
    if torch.allclose(zd, mu0.repeat(n, 1)):
        raise _Hint("z has no randomness: z = mu + sigma * eps with eps = torch.randn_like(mu).")
    if (std < 1e-6).all():
        raise _Hint("the same eps for every sample: draw eps with the shape of mu (torch.randn_like(mu)).")
    for bad, hint in [
        (torch.exp(lv0), "you used exp(logvar), the VARIANCE, as the std: sigma = exp(0.5 * logvar)."),
        (lv0.abs(), "you used logvar as the std: sigma = exp(0.5 * logvar)."),
        (
            torch.ones(2, 3),
            "the spread does not depend on logvar: multiply eps by sigma = exp(0.5 * logvar).",
        ),
    ]:
        if torch.allclose(std, bad, rtol=0.06):
            raise _Hint(f"sample std per dim {_rounded(std)}: {hint}")
    if not torch.allclose(std, want, rtol=0.06):
        raise _Hint(
            f"sample std per dim {_rounded(std)} for logvar = {lv0.tolist()}, expected "
            f"exp(0.5 * logvar) = {_rounded(want)} (each sample's own logvar)."
        )
    if not torch.allclose(mean, mu0, atol=5 * want.max().item() / math.sqrt(n)):
        raise _Hint(
            f"sample mean per dim {_rounded(mean)}, expected mu = {mu0.tolist()}: z = mu + sigma * eps "
            "(each sample's own mu)."
        )
    return mean, std


def _check_reparam_eps(eps: torch.Tensor) -> None:
    """``eps`` ``[N, D]``, the standardised noise (z - mu) / sigma: independent N(0, 1) entries."""
    corr = torch.corrcoef(eps.T.cpu().double()) - torch.eye(eps.shape[1], dtype=torch.float64)
    if corr.abs().max() > 0.1:
        raise _Hint(
            f"the latent dimensions share their eps (correlation {corr.abs().max().item():.2f} between "
            "dims): draw one eps per entry with the full shape of mu, torch.randn_like(mu), not "
            "torch.randn(B, 1)."
        )
    if torch.unique(eps, dim=0).shape[0] < eps.shape[0]:
        raise _Hint(
            "some samples share the same eps: draw eps with the full shape of mu, torch.randn_like(mu)."
        )
    inside = (eps.abs() < 1).cpu().double().mean().item()
    if abs(inside - 0.6827) > 0.02:
        raise _Hint(
            f"{inside:.3f} of eps lies within one sigma, a Gaussian has 0.683: use torch.randn_like(mu)."
        )


def _check_reparam_gradients(z, mu, logvar) -> None:
    """dz/dmu = 1 and dz/dlogvar = 0.5 * (z - mu): the path the reparameterisation trick opens."""
    no_path = (
        "no gradient reaches mu and logvar: sampling with torch.normal or .sample() cuts the graph "
        "(dz/dmu should be 1), and so does .detach(). Draw eps = torch.randn_like(mu) and return "
        "mu + sigma * eps."
    )
    if not z.requires_grad:
        raise _Hint(no_path)
    z.sum().backward()
    if mu.grad is None or not torch.allclose(mu.grad, torch.ones_like(mu)):
        raise _Hint(no_path)
    if logvar.grad is None or not torch.allclose(logvar.grad, 0.5 * (z - mu).detach(), atol=1e-4):
        raise _Hint(
            "the gradient does not reach logvar correctly: compute sigma = exp(0.5 * logvar) "
            "from logvar itself (no .detach(), no torch.normal)."
        )


@_checker
def check_reparameterize(fn) -> str:
    """``fn(mu, logvar) -> z = mu + exp(0.5 * logvar) * eps``, ``eps ~ N(0, I)`` independent across the
    batch and the latent dims, differentiable in ``mu`` and ``logvar``."""
    n = 4000
    mu, logvar = _REPARAM_MU.repeat(n, 1).requires_grad_(), _REPARAM_LOGVAR.repeat(n, 1).requires_grad_()
    z = _call(fn, mu, logvar)
    if z.shape != mu.shape:
        raise _Hint(f"wrong shape: z must have the shape of mu {list(mu.shape)}, got {list(z.shape)}.")
    if z.dtype != mu.dtype:
        raise _Hint(
            f"z is {str(z.dtype).removeprefix('torch.')}, mu is float32: keep mu's dtype (no .half(), "
            "no .double(); torch.randn_like(mu) draws eps in the right dtype)."
        )
    if not torch.isfinite(z).all():
        raise _Hint(
            f"z holds {int((~torch.isfinite(z)).sum())} NaN or inf values: sigma = exp(0.5 * logvar) and "
            "eps = torch.randn_like(mu) are finite, so is mu + sigma * eps."
        )
    if not (torch.equal(mu, _REPARAM_MU.repeat(n, 1)) and torch.equal(logvar, _REPARAM_LOGVAR.repeat(n, 1))):
        raise _Hint("your function changed mu or logvar in place; compute a new tensor instead.")
    mean, std = _check_reparam_spread(z.detach(), n)
    _check_reparam_eps((z.detach() - mu.detach()) / torch.exp(0.5 * logvar.detach()))
    _check_reparam_gradients(z, mu, logvar)
    return (
        f"sample means {_rounded(mean, 2)} ~ mu, stds {_rounded(std, 2)} ~ exp(0.5 logvar) for two settings, "
        "eps independent across samples and dims, and gradients reach mu and logvar."
    )


# ---------------------------------------------------------------------------------------------
# Notebook 6: conditional and adversarial autoencoders (references in course_utils.ch6_conditional)
# ---------------------------------------------------------------------------------------------


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


@_checker
def check_decoder_input(fn) -> str:
    """``fn(z, y) -> [B, D + 10]``: the CVAE decoder's input, z with the one-hot label appended."""
    from course_utils.ch6_conditional.cvae import one_hot

    g = _gen(61)
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
    return _compare(fn, reference, cases, mistakes, shape_hint=_decoder_input_shape_hint, tol=(1e-6, 1e-6))


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


@_checker
def check_m2_unlabelled_bound(fn) -> str:
    """``fn(class_logits, elbo_per_label) -> [B]``: sum_y q(y|x) ELBO(x, y) + H(q(y|x)),
    q = softmax(logits)."""
    from course_utils.ch6_conditional.m2 import unlabelled_bound_from_parts

    g = _gen(62)
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
    return _compare(
        fn,
        unlabelled_bound_from_parts,
        cases,
        mistakes,
        over="labels",
        nan_hint=cases[-1].hint,
        tol=(1e-4, 1e-3),
    )


@_checker
def check_aae_generator_loss(fn) -> str:
    """``fn(d_code) -> [B]``: the encoder's loss -log sigmoid(D(E(x))) from the discriminator's logits on
    codes."""
    from course_utils.ch6_conditional.aae import generator_loss

    g = _gen(63)
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
    return _compare(
        fn,
        generator_loss,
        cases,
        mistakes,
        over="(nothing: one value per code)",
        nan_hint="D outputs logits, any real number (not probabilities); -log sigmoid(d) written as "
        "F.softplus(-d) or -F.logsigmoid(d) never gives NaN or inf.",
    )


# ---------------------------------------------------------------------------------------------
# Notebook 7, the VAE lab: active units, free bits, the continuous Bernoulli's log-normaliser
# ---------------------------------------------------------------------------------------------


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


@_checker
def check_active_units(fn) -> str:
    """``fn(mu) -> int``: the number of dimensions of ``mu`` ``[N, D]`` whose variance over N exceeds 1e-2."""
    from course_utils.ch7_vae_lab import collapse

    g = _gen(11)
    scales = torch.tensor([1.0, 0.3, 0.2, 0.05, 0.02, 0.0, 0.5, 0.15])  # 5 variances above 1e-2, 3 below
    cases = [
        ("8 dimensions, 5,000 inputs, means offset by 3", torch.randn(5000, 8, generator=g) * scales + 3.0),
        ("a fully collapsed code (all means equal)", torch.full((100, 5), 0.7)),
        ("every unit active, 3 inputs", torch.tensor([[0.0, 1.0], [1.0, -1.0], [2.0, 0.0]])),
    ]
    for label, mu in cases:
        expected, mu_in = collapse.active_units(mu)[0], mu.clone()
        got = _call(fn, mu_in)
        where = f"on {label} (mu {list(mu.shape)})"
        if not torch.equal(mu_in, mu):
            raise _Hint(f"{where}: your function changed mu in place (e.g. mu -= ...); compute a new tensor.")
        if got.numel() != 1:
            if got.shape == (mu.shape[1],):
                raise _Hint(
                    f"{where}: you returned one value per dimension: count the dimensions above the "
                    f"threshold, e.g. int((variances > 1e-2).sum())."
                )
            raise _Hint(f"{where}: return one number, the count; got shape {list(got.shape)}.")
        if not torch.isfinite(got).all():
            raise _Hint(
                f"{where}: you returned {got.item()} (NaN or inf): return the count of active dimensions."
            )
        got = round(float(got))
        if got == expected:
            continue
        if got == int((mu.std(0) > 1e-2).sum()):
            raise _Hint(
                f"{where}: you thresholded the standard deviation (or another spread); Burda et al.'s "
                f"criterion is the VARIANCE Var_x(mu_k) > 1e-2."
            )
        if got == int((mu.var(1) > 1e-2).sum()):
            raise _Hint(f"{where}: the variance must be taken over the inputs (dim 0), per latent dimension.")
        if got == int((mu.mean(0).abs() > 1e-2).sum()):
            raise _Hint(
                f"{where}: you looked at the mean of mu; a unit is active when mu VARIES with the input "
                f"(its variance over the inputs), whatever its mean."
            )
        if got == mu.shape[1] - expected:
            raise _Hint(f"{where}: you counted the INACTIVE units (variance <= 1e-2).")
        raise _Hint(f"{where}: you counted {got} active units, expected {expected}.")
    return f"right count on {len(cases)} cases ({'; '.join(c[0] for c in cases)})."


@_checker
def check_free_bits(fn) -> str:
    """``fn(mu, logvar, free_nats) -> scalar``: sum over dims of max(free_nats, batch-mean KL of that dim)."""
    from course_utils.ch7_vae_lab import collapse

    g = _gen(12)
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
    return _compare(
        fn, collapse.free_bits_kl, cases, mistakes, shape_hint=_scalar_shape_hint, tol=(1e-5, 1e-6)
    )


@_checker
def check_cb_log_normalizer(fn) -> str:
    """``fn(lam) -> log C(lam)`` elementwise; log 2 at lam = 1/2, accurate next to it."""
    from course_utils.ch7_vae_lab import likelihoods

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
            (torch.rand(2, 1, 28, 28, generator=_gen(13)) * 0.98 + 0.01,),
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
    summary = _compare(
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


__all__ = [name for name in dir() if name.startswith("check_")]
