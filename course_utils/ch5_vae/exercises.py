"""Notebook 5's "Your turn" checkers: the VAE's loss from its parts and the reparameterisation trick.
The engine: :mod:`course_utils.exercises`; the ELBO's cases and mistakes come from
:mod:`course_utils.ch4_elbo.exercises`.
"""

from __future__ import annotations

import math

import torch

from course_utils import losses
from course_utils.ch4_elbo.exercises import BATCH_MEAN, batch_mistakes, reference_elbo, vae_cases
from course_utils.exercises import Case, Hint, call, checker, compare, per_sample_size


@checker
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
        (BATCH_MEAN, lambda lg, x, m, lv: nll(lg, x).mean() / per_sample_size(x) + kl(m, lv)),
        (
            "mean over pixels in the reconstruction term: sum it (a mean silently makes the KL 784 times "
            "heavier, a beta-VAE by accident).",
            lambda lg, x, m, lv: nll(lg, x) / per_sample_size(x) + kl(m, lv),
        ),
        *batch_mistakes(-1),
    ]
    return compare(fn, lambda *a: -reference_elbo(*a), vae_cases(5), mistakes)


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
        raise Hint("z has no randomness: z = mu + sigma * eps with eps = torch.randn_like(mu).")
    if (std < 1e-6).all():
        raise Hint("the same eps for every sample: draw eps with the shape of mu (torch.randn_like(mu)).")
    for bad, hint in [
        (torch.exp(lv0), "you used exp(logvar), the VARIANCE, as the std: sigma = exp(0.5 * logvar)."),
        (lv0.abs(), "you used logvar as the std: sigma = exp(0.5 * logvar)."),
        (
            torch.ones(2, 3),
            "the spread does not depend on logvar: multiply eps by sigma = exp(0.5 * logvar).",
        ),
    ]:
        if torch.allclose(std, bad, rtol=0.06):
            raise Hint(f"sample std per dim {_rounded(std)}: {hint}")
    if not torch.allclose(std, want, rtol=0.06):
        raise Hint(
            f"sample std per dim {_rounded(std)} for logvar = {lv0.tolist()}, expected "
            f"exp(0.5 * logvar) = {_rounded(want)} (each sample's own logvar)."
        )
    if not torch.allclose(mean, mu0, atol=5 * want.max().item() / math.sqrt(n)):
        raise Hint(
            f"sample mean per dim {_rounded(mean)}, expected mu = {mu0.tolist()}: z = mu + sigma * eps "
            "(each sample's own mu)."
        )
    return mean, std


def _check_reparam_eps(eps: torch.Tensor) -> None:
    """``eps`` ``[N, D]``, the standardised noise (z - mu) / sigma: independent N(0, 1) entries."""
    corr = torch.corrcoef(eps.T.cpu().double()) - torch.eye(eps.shape[1], dtype=torch.float64)
    if corr.abs().max() > 0.1:
        raise Hint(
            f"the latent dimensions share their eps (correlation {corr.abs().max().item():.2f} between "
            "dims): draw one eps per entry with the full shape of mu, torch.randn_like(mu), not "
            "torch.randn(B, 1)."
        )
    if torch.unique(eps, dim=0).shape[0] < eps.shape[0]:
        raise Hint(
            "some samples share the same eps: draw eps with the full shape of mu, torch.randn_like(mu)."
        )
    inside = (eps.abs() < 1).cpu().double().mean().item()
    if abs(inside - 0.6827) > 0.02:
        raise Hint(
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
        raise Hint(no_path)
    z.sum().backward()
    if mu.grad is None or not torch.allclose(mu.grad, torch.ones_like(mu)):
        raise Hint(no_path)
    if logvar.grad is None or not torch.allclose(logvar.grad, 0.5 * (z - mu).detach(), atol=1e-4):
        raise Hint(
            "the gradient does not reach logvar correctly: compute sigma = exp(0.5 * logvar) "
            "from logvar itself (no .detach(), no torch.normal)."
        )


@checker
def check_reparameterize(fn) -> str:
    """``fn(mu, logvar) -> z = mu + exp(0.5 * logvar) * eps``, ``eps ~ N(0, I)`` independent across the
    batch and the latent dims, differentiable in ``mu`` and ``logvar``."""
    n = 4000
    mu, logvar = _REPARAM_MU.repeat(n, 1).requires_grad_(), _REPARAM_LOGVAR.repeat(n, 1).requires_grad_()
    z = call(fn, mu, logvar)
    if z.shape != mu.shape:
        raise Hint(f"wrong shape: z must have the shape of mu {list(mu.shape)}, got {list(z.shape)}.")
    if z.dtype != mu.dtype:
        raise Hint(
            f"z is {str(z.dtype).removeprefix('torch.')}, mu is float32: keep mu's dtype (no .half(), "
            "no .double(); torch.randn_like(mu) draws eps in the right dtype)."
        )
    if not torch.isfinite(z).all():
        raise Hint(
            f"z holds {int((~torch.isfinite(z)).sum())} NaN or inf values: sigma = exp(0.5 * logvar) and "
            "eps = torch.randn_like(mu) are finite, so is mu + sigma * eps."
        )
    if not (torch.equal(mu, _REPARAM_MU.repeat(n, 1)) and torch.equal(logvar, _REPARAM_LOGVAR.repeat(n, 1))):
        raise Hint("your function changed mu or logvar in place; compute a new tensor instead.")
    mean, std = _check_reparam_spread(z.detach(), n)
    _check_reparam_eps((z.detach() - mu.detach()) / torch.exp(0.5 * logvar.detach()))
    _check_reparam_gradients(z, mu, logvar)
    return (
        f"sample means {_rounded(mean, 2)} ~ mu, stds {_rounded(std, 2)} ~ exp(0.5 logvar) for two settings, "
        "eps independent across samples and dims, and gradients reach mu and logvar."
    )


@checker
def check_pixel_mean_sigma(fn) -> str:
    """``fn(n_pixels) -> sigma`` elementwise: the fixed sigma of the Gaussian decoder whose loss has the
    minimiser of ``F.mse_loss(x_hat, x) + KL`` (the squared error averaged over n pixels): sqrt(n / 2)."""
    reference = lambda n: (n / 2).sqrt()  # noqa: E731
    cases = [
        Case("784 pixels (a 28 x 28 image)", (torch.tensor([784.0]),)),
        Case("several image sizes", (torch.tensor([1.0, 2.0, 784.0, 3072.0, 12288.0]),)),
    ]
    mistakes = [
        (
            "that is sigma squared, the beta of the equivalent beta-VAE: return sigma itself.",
            lambda n: n / 2,
        ),
        (
            "off by a factor sqrt(2): the Gaussian NLL is ||x - x_hat||^2 / (2 sigma^2), mind the 2.",
            lambda n: n.sqrt(),
        ),
        ("off by a factor 2: match sum / n with sum / (2 sigma^2).", lambda n: (2 * n).sqrt()),
        ("that is 1 / sigma: more pixels make each squared error cheaper, so sigma grows.", lambda n: 2 / n),
    ]
    summary = compare(
        fn,
        reference,
        cases,
        mistakes,
        shape_hint=lambda got, exp, inp, over: (
            f"return one sigma per pixel count, shape {list(exp)}, not {list(got)}."
        ),
    )
    return summary + " The pixel mean is a Gaussian decoder with sigma near 20 on 784 pixels: a beta of 392."


__all__ = [name for name in dir() if name.startswith("check_")]
