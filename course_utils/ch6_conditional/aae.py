"""The adversarial autoencoder (Makhzani et al. 2015): a discriminator replaces the VAE's KL term.

A deterministic encoder z = E(x) and a decoder are trained on the reconstruction loss; a
discriminator D(z) learns to tell codes from samples of a chosen prior p(z); the encoder, as D's
generator, learns to fool it. Training alternates the three steps on every minibatch.

Sign convention: D outputs a logit for "this z was drawn from the prior". Per sample ``[B]``, nats:

- discriminator loss  -log sigmoid(D(z_prior)) - log(1 - sigmoid(D(E(x))))
- generator loss      -log sigmoid(D(E(x)))        (the non-saturating form)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from course_utils import losses
from course_utils.ch6_conditional.cvae import N_CLASSES, one_hot
from course_utils.data import batches
from course_utils.device import get_device
from course_utils.models import Autoencoder, mlp

#: The priors the notebook offers; "labelled mixture" pushes each class to its own component.
PRIORS = ("normal", "mixture", "swiss roll", "labelled mixture")
MIXTURE_RADIUS, MIXTURE_STD = 4.0, 0.5
SWISS_ROLL_SCALE, SWISS_ROLL_NOISE = 0.25, 0.1


def mixture_means(n_components: int = N_CLASSES, radius: float = MIXTURE_RADIUS) -> torch.Tensor:
    """Centres ``[n_components, 2]`` evenly spaced on a circle of ``radius``, component k at angle
    2 pi k / n."""
    angle = 2 * math.pi * torch.arange(n_components) / n_components
    return radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)


def sample_prior(
    name: str, n: int, labels: torch.Tensor | None = None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``n`` samples ``[n, 2]`` of a named prior (see :data:`PRIORS`), on the CPU.

    ``"mixture"``: 10 Gaussians (std 0.5) on a circle of radius 4, component drawn uniformly;
    ``"labelled mixture"``: the same, with component ``labels[i]`` for sample i (``labels`` ``[n]``);
    ``"swiss roll"``: t = 1.5 pi (1 + 2u), u ~ U(0, 1), the point 0.25 t (cos t, sin t) plus noise 0.1.
    """
    if name not in PRIORS:
        raise ValueError(f"unknown prior {name!r}; choose one of {PRIORS}")
    if name == "normal":
        return torch.randn(n, 2, generator=generator)
    if name == "swiss roll":
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
        roll = SWISS_ROLL_SCALE * t[:, None] * torch.stack([torch.cos(t), torch.sin(t)], dim=1)
        return roll + SWISS_ROLL_NOISE * torch.randn(n, 2, generator=generator)
    if name == "labelled mixture":
        if labels is None or labels.shape != (n,):
            raise ValueError(
                f"the labelled mixture needs labels of shape [{n}], got "
                f"{None if labels is None else list(labels.shape)}"
            )
        component = labels.cpu()
    else:
        component = torch.randint(0, N_CLASSES, (n,), generator=generator)
    return mixture_means()[component] + MIXTURE_STD * torch.randn(n, 2, generator=generator)


def discriminator_loss(d_prior: torch.Tensor, d_code: torch.Tensor) -> torch.Tensor:
    """-log sigmoid(d_prior) - log(1 - sigmoid(d_code)) from logits ``[B]`` -> ``[B]`` nats
    (stable softplus)."""
    return F.softplus(-d_prior) + F.softplus(d_code)


def generator_loss(d_code: torch.Tensor) -> torch.Tensor:
    """-log sigmoid(D(E(x))) from the logits on codes ``[B]`` -> ``[B]``: small when D takes codes for
    prior samples."""
    return F.softplus(-d_code)


class AAE(Autoencoder):
    """Deterministic encoder and decoder (784 -> hidden -> latent and back, those of
    :class:`~course_utils.models.Autoencoder`) plus a discriminator on z.

    With ``labelled=True`` the discriminator also sees the one-hot label (the label-aware prior).
    """

    def __init__(
        self,
        latent_dim: int = 2,
        hidden: Sequence[int] = (512, 256),
        disc_hidden: Sequence[int] = (256, 256),
        labelled: bool = False,
        device=None,
    ):
        super().__init__(latent_dim, hidden, device=device)
        self.labelled = labelled
        self.discriminator = mlp([latent_dim + (N_CLASSES if labelled else 0), *disc_hidden, 1])
        self.to(get_device() if device is None else device)

    def discriminate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``[B]`` for "z was drawn from the prior" (``y`` ``[B]`` needed when ``labelled``)."""
        if self.labelled:
            if y is None:
                raise ValueError("this AAE's discriminator is label-aware: pass the labels y")
            z = torch.cat([z, one_hot(y)], dim=1)
        return self.discriminator(z).squeeze(1)


def train_aae(
    model: AAE,
    prior: str,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    adversarial_lr: float = 2e-4,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Alternate, on every minibatch: (1) reconstruction step on encoder + decoder, (2) discriminator
    step on codes vs prior samples, (3) generator step on the encoder (``lr`` for step 1,
    ``adversarial_lr`` for steps 2 and 3). Returns per-epoch means of
    ``recon``, ``disc`` and ``gen`` (nats per sample) and ``disc_accuracy`` (codes and prior samples)."""
    if prior not in PRIORS:
        raise ValueError(f"unknown prior {prior!r}; choose one of {PRIORS}")
    if (prior == "labelled mixture") != model.labelled:
        raise ValueError(f"prior {prior!r} needs an AAE with labelled={prior == 'labelled mixture'}")
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    torch.manual_seed(seed)
    order, draws = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    autoencoder_params = [*model.encoder.parameters(), *model.decoder.parameters()]
    opt_ae = torch.optim.Adam(autoencoder_params, lr=lr)
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=adversarial_lr, betas=(0.5, 0.9))
    opt_g = torch.optim.Adam(model.encoder.parameters(), lr=adversarial_lr, betas=(0.5, 0.9))
    history: dict[str, list[float]] = defaultdict(list)
    model.train()
    for _ in range(epochs):
        sums: dict[str, torch.Tensor] = defaultdict(float)
        for xb, yb in batches(x, y, batch_size=batch_size, generator=order):
            labels = yb if model.labelled else None
            recon = losses.bernoulli_nll(model(xb), xb).mean()  # (1)
            opt_ae.zero_grad(set_to_none=True)
            recon.backward()
            opt_ae.step()
            z_prior = sample_prior(prior, len(xb), yb.cpu() if model.labelled else None, draws).to(device)
            d_prior = model.discriminate(z_prior, labels)  # (2)
            d_code = model.discriminate(model.encode(xb).detach(), labels)
            disc = discriminator_loss(d_prior, d_code).mean()
            opt_d.zero_grad(set_to_none=True)
            disc.backward()
            opt_d.step()
            gen = generator_loss(model.discriminate(model.encode(xb), labels)).mean()  # (3)
            opt_g.zero_grad(set_to_none=True)
            gen.backward()
            opt_g.step()
            if not torch.isfinite(recon + disc + gen):
                raise FloatingPointError(
                    "the AAE's losses became NaN or infinite; try a smaller learning rate"
                )
            accuracy = 0.5 * ((d_prior > 0).float().mean() + (d_code < 0).float().mean())
            for name, value in [("recon", recon), ("disc", disc), ("gen", gen), ("disc_accuracy", accuracy)]:
                sums[name] = sums[name] + value.detach() * len(xb)
        for name, total in sums.items():
            history[name].append(float(total) / x.shape[0])
    model.eval()
    return dict(history)


@torch.no_grad()
def discriminator_accuracy(
    model: AAE, codes: torch.Tensor, prior_samples: torch.Tensor, labels: torch.Tensor | None = None
) -> float:
    """Balanced accuracy of D: codes should get logit < 0, prior samples logit > 0 (a constant scores 0.5)."""
    device = next(model.parameters()).device
    lab = labels.to(device) if labels is not None else None
    on_codes = (model.discriminate(codes.to(device), lab) < 0).float().mean()
    on_prior = (model.discriminate(prior_samples.to(device), lab) > 0).float().mean()
    return 0.5 * (on_codes + on_prior).item()


def nearest_component(z: torch.Tensor) -> torch.Tensor:
    """Index ``[N]`` of the mixture component whose centre is nearest to each code ``z`` ``[N, 2]``."""
    return torch.cdist(z.float().cpu(), mixture_means()).argmin(dim=1)
