"""Reference losses, in nats, one value per sample.

Every function returns a tensor of shape ``[B]``: **summed** over pixels (or latent dimensions)
and **not** averaged over the batch: the caller takes ``.mean()`` over the batch. Summing over
pixels keeps the reconstruction term and the KL term on the same scale, as the ELBO requires; a
mean over pixels would silently weight the KL by 784 times too much (a beta-VAE by accident).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from course_utils import randomness
from course_utils.inputs import as_tensor, check_values, float_batch

#: log(2 pi), the constant of every Gaussian log-density (the one definition in the package).
LOG_2PI = math.log(2 * math.pi)


def _per_sample(a, b, caller: str, a_name: str, b_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Two float batches flattened to ``[B, D]``, ``b`` in ``a``'s dtype, after checking that their
    shapes agree (NumPy arrays and lists become tensors; see :mod:`course_utils.inputs`)."""
    try:
        a = float_batch(a, a_name)
        b = float_batch(b, b_name, like=a)
    except ValueError as err:
        raise ValueError(f"{caller}: {err}") from None
    if a.shape[0] != b.shape[0] or a[0].numel() != b[0].numel():
        raise ValueError(f"{caller}({a_name}, {b_name}): shape mismatch {list(a.shape)} vs {list(b.shape)}")
    return a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x | logits) for independent Bernoulli pixels: binary cross-entropy with logits.

    ``logits`` and targets ``x`` (values in [0, 1]) of matching shape ``[B, ...]`` -> ``[B]``.
    """
    logits, x = _per_sample(logits, x, "bernoulli_nll", "logits", "x")
    check_values("bernoulli_nll: logits", logits)
    check_values("bernoulli_nll: targets", x, 0, 1)
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)


def gaussian_nll(mean: torch.Tensor, x: torch.Tensor, logvar=0.0) -> torch.Tensor:
    """-log N(x | mean, exp(logvar)), constant included: 0.5 * sum((x-mean)^2/var + logvar + log 2pi).

    ``mean``, ``x``: ``[B, ...]``; ``logvar`` a float or a tensor broadcastable to them -> ``[B]``.
    With ``logvar=0`` this is 0.5 * SSE + (D/2) log(2 pi): MSE up to scale and a constant.
    """
    mean = as_tensor(mean, "gaussian_nll: mean")
    mean_f, x_f = _per_sample(mean, x, "gaussian_nll", "mean", "x")
    check_values("gaussian_nll: mean", mean_f)
    check_values("gaussian_nll: x", x_f)
    logvar_t = torch.as_tensor(logvar, dtype=mean_f.dtype, device=mean_f.device)
    check_values("gaussian_nll: logvar", logvar_t)
    try:
        logvar_f = torch.broadcast_to(logvar_t, mean.shape).reshape(mean_f.shape)
    except RuntimeError as err:
        raise ValueError(
            f"gaussian_nll: logvar of shape {list(logvar_t.shape)} does not broadcast to {list(mean.shape)}"
        ) from err
    return -gaussian_log_density(x_f, mean_f, logvar_f)


def _kl_terms(mu: torch.Tensor, logvar: torch.Tensor, caller: str) -> torch.Tensor:
    """The per-dimension KL terms ``[B, D]``, after checking the inputs (errors name ``caller``)."""
    try:
        mu, logvar = float_batch(mu, "mu"), float_batch(logvar, "logvar", like=mu)
    except ValueError as err:
        raise ValueError(f"{caller}: {err}") from None
    if mu.shape != logvar.shape:
        raise ValueError(f"{caller}: mu {list(mu.shape)} and logvar {list(logvar.shape)} differ in shape")
    if mu.dim() != 2:
        raise ValueError(f"{caller}: expected [B, D] tensors, got {list(mu.shape)}")
    check_values(f"{caller}: mu", mu)
    check_values(f"{caller}: logvar", logvar)
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1)


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_k, exp(logvar_k)) || N(0, 1)) for each latent dimension: ``[B, D]`` -> ``[B, D]`` nats.

    Summed over ``D`` it is :func:`kl_std_normal`; notebook 7 counts collapsed dimensions with it."""
    return _kl_terms(mu, logvar, "kl_per_dim")


def kl_std_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) = 0.5 * sum(mu^2 + exp(logvar) - logvar - 1).

    ``[B, D]`` -> ``[B]``."""
    return _kl_terms(mu, logvar, "kl_std_normal").sum(dim=1)


def gaussian_log_density(x: torch.Tensor, mean=0.0, log_var=0.0) -> torch.Tensor:
    """log N(x | mean, diag exp(log_var)), constant included, **summed over the last dimension**:
    ``x`` ``[..., D]`` -> ``[...]``; ``mean`` and ``log_var`` are floats or tensors broadcastable to ``x``.

    The course's one Gaussian log-density (a diagonal covariance given by its log-variance, so it stays
    finite for tiny variances): -0.5 * sum((x - mean)^2 / var + log var + log 2 pi).
    """
    log_var = torch.as_tensor(log_var, dtype=x.dtype, device=x.device)
    return -0.5 * ((x - mean) ** 2 * torch.exp(-log_var) + log_var + LOG_2PI).sum(dim=-1)


def vae_loss(model, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Negative ELBO of a Bernoulli-decoder VAE with one sample, split into its two parts.

    Returns ``{"loss", "recon", "kl"}``, each ``[B]``; ``loss = recon + kl``. Use it as the
    ``loss_fn`` of :func:`course_utils.train.fit`.
    """
    logits, mu, logvar = model(x)
    recon = bernoulli_nll(logits, x)
    kl = kl_std_normal(mu, logvar)
    return {"loss": recon + kl, "recon": recon, "kl": kl}


def elbo(
    model, x: torch.Tensor, n_samples: int = 1, generator: torch.Generator | None = None
) -> torch.Tensor:
    """ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)) for a Bernoulli-decoder VAE, ``[B]`` nats.

    The expectation is a Monte Carlo average over ``n_samples`` reparameterized samples; the KL
    is in closed form. ``x`` must be in [0, 1] (binarize it for a true log-likelihood bound).
    The samples come from ``generator`` (None: the global one).
    """
    if n_samples < 1:
        raise ValueError(f"elbo: n_samples must be >= 1, got {n_samples}")
    mu, logvar = model.encode(x)

    def sample() -> torch.Tensor:
        return (
            model.reparameterize(mu, logvar)
            if generator is None
            else model.reparameterize(mu, logvar, generator)
        )

    rec = torch.stack([-bernoulli_nll(model.decode(sample()), x) for _ in range(n_samples)]).mean(0)
    return rec - kl_std_normal(mu, logvar)


def iwae_bound(
    model, x: torch.Tensor, k: int, chunk: int = 256, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Importance-weighted bound log (1/k) sum_i p(x, z_i) / q(z_i | x), z_i ~ q(z|x); ``[B]`` nats.

    Rises towards log p(x) as ``k`` grows; ``k=1`` is a one-sample ELBO estimate. Computed with
    ``logsumexp`` over the k log-weights, ``chunk`` samples at a time to bound memory. The samples
    come from ``generator`` (None: the global one).
    """
    if k < 1:
        raise ValueError(f"iwae_bound: k must be >= 1, got {k}")
    mu, logvar = model.encode(x)
    xf = x.reshape(x.shape[0], -1)
    log_w = []
    for start in range(0, k, chunk):
        m = min(chunk, k - start)
        eps = randomness.normal((m, *mu.shape), mu, generator)
        z = mu + torch.exp(0.5 * logvar) * eps  # [m, B, D]
        logits = model.decode(z.reshape(-1, mu.shape[1])).reshape(m, x.shape[0], -1)
        log_px_z = -bernoulli_nll(logits.reshape(m * x.shape[0], -1), xf.repeat(m, 1)).reshape(m, x.shape[0])
        log_w.append(log_px_z + gaussian_log_density(z) - gaussian_log_density(z, mu, logvar))
    log_w = torch.cat(log_w)  # [k, B]
    return torch.logsumexp(log_w, dim=0) - math.log(k)
