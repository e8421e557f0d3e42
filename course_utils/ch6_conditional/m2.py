"""Semi-supervised learning with the generative model M2 (Kingma, Rezende, Mohamed, Welling 2014).

The label y is a latent variable when it is missing. Three networks: a classifier q(y | x), an
encoder q(z | x, y) and a decoder p(x | y, z); priors p(y) = 1/10 and p(z) = N(0, I).

- labelled bound   ELBO(x, y) = E_q(z|x,y)[log p(x | y, z)] - KL(q(z | x, y) || p(z)) + log p(y)
- unlabelled bound ELBO_u(x)  = sum_y q(y | x) ELBO(x, y) + H(q(y | x))
- loss per step    mean over unlabelled -ELBO_u + mean over labelled [-ELBO(x, y) + alpha * (-log q(y | x))]

All bounds are per sample ``[B]`` in nats, summed over pixels; the classification term is the only
place q(y | x) meets the labels, hence its weight alpha.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import losses
from course_utils.ch6_conditional.cvae import N_CLASSES, one_hot
from course_utils.data import batches
from course_utils.device import get_device
from course_utils.models import IMAGE_SHAPE, N_PIXELS, flatten_images, mlp

LOG_PRIOR_Y = -math.log(N_CLASSES)


class M2(nn.Module):
    """Classifier q(y|x), encoder q(z|x,y) (Gaussian), Bernoulli decoder p(x|y,z); one-hot labels."""

    def __init__(self, latent_dim: int = 16, hidden: Sequence[int] = (256,), device=None):
        super().__init__()
        self.latent_dim, self.hidden, self.n_classes = latent_dim, tuple(hidden), N_CLASSES
        self.classifier = mlp([N_PIXELS, *self.hidden, N_CLASSES])
        self.encoder = mlp([N_PIXELS + N_CLASSES, *self.hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim + N_CLASSES, *reversed(self.hidden), N_PIXELS])
        self.to(get_device() if device is None else device)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of q(y | x), ``[B, 10]``."""
        return self.classifier(flatten_images(x))

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of q(z | x, y), each ``[B, latent_dim]``; ``y`` integer ``[B]`` or one-hot."""
        mu, logvar = self.encoder(torch.cat([flatten_images(x), one_hot(y)], dim=1)).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Logits of p(x | y, z), ``[B, 1, 28, 28]``."""
        return self.decoder(torch.cat([z, one_hot(y)], dim=1)).view(-1, *IMAGE_SHAPE)


def labelled_elbo(
    model: M2, x: torch.Tensor, y: torch.Tensor, eps: torch.Tensor | None = None
) -> torch.Tensor:
    """ELBO(x, y) ``[B]`` with one sample z = mu + sigma * eps (``eps`` ``[B, latent_dim]``, drawn if
    None)."""
    mu, logvar = model.encode(x, y)
    eps = torch.randn_like(mu) if eps is None else eps
    z = mu + torch.exp(0.5 * logvar) * eps
    return -losses.bernoulli_nll(model.decode(z, y), x) - losses.kl_std_normal(mu, logvar) + LOG_PRIOR_Y


def unlabelled_bound_from_parts(class_logits: torch.Tensor, elbo_per_label: torch.Tensor) -> torch.Tensor:
    """sum_y q(y|x) ELBO(x, y) + H(q(y|x)) from logits ``[B, K]`` and ELBOs ``[B, K]`` -> ``[B]``."""
    log_q = F.log_softmax(class_logits, dim=1)
    q = log_q.exp()
    return (q * elbo_per_label).sum(1) - (q * log_q).sum(1)


def unlabelled_elbo(model: M2, x: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
    """ELBO_u(x) ``[B]``: every label at once (the batch repeated 10 times);
    ``eps`` ``[B, 10, latent_dim]``."""
    b, k = x.shape[0], N_CLASSES
    labels = torch.arange(k, device=x.device).repeat(b)  # [B*K]: 0..9, 0..9, ...
    x_rep = flatten_images(x).repeat_interleave(k, dim=0)  # [B*K, 784]
    eps_rep = None if eps is None else eps.reshape(b * k, -1)
    elbo = labelled_elbo(model, x_rep, labels, eps_rep).view(b, k)
    return unlabelled_bound_from_parts(model.classify(x), elbo)


def m2_loss(
    model: M2, x_unlabelled: torch.Tensor, x_labelled: torch.Tensor, y_labelled: torch.Tensor, alpha: float
) -> dict[str, torch.Tensor]:
    """Scalars: ``loss`` = mean(-ELBO_u) + mean(-ELBO(x, y) + alpha * CE), and its parts."""
    unlab = (
        -unlabelled_elbo(model, x_unlabelled).mean()
        if len(x_unlabelled)
        else torch.zeros((), device=x_labelled.device)
    )
    lab = -labelled_elbo(model, x_labelled, y_labelled).mean()
    ce = F.cross_entropy(model.classify(x_labelled), y_labelled)
    return {"loss": unlab + lab + alpha * ce, "unlabelled": unlab, "labelled": lab, "cross_entropy": ce}


def labelled_subset(labels: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """Indices ``[10 * per_class]`` (sorted): ``per_class`` random examples of each digit, reproducible."""
    g = torch.Generator().manual_seed(seed)
    labels = labels.cpu()
    chosen = []
    for c in range(N_CLASSES):
        idx = (labels == c).nonzero().squeeze(1)
        if len(idx) < per_class:
            raise ValueError(f"only {len(idx)} examples of digit {c}, {per_class} requested")
        chosen.append(idx[torch.randperm(len(idx), generator=g)[:per_class]])
    return torch.cat(chosen).sort().values


def train_m2(
    model: M2,
    x: torch.Tensor,
    y: torch.Tensor,
    labelled: torch.Tensor,
    *,
    epochs: int,
    alpha: float = 50.0,
    batch_size: int = 100,
    labelled_batch: int = 100,
    lr: float = 1e-3,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Train on ``x`` ``[N, 1, 28, 28]`` where only ``y[labelled]`` are used as labels (the others are
    hidden). An epoch is one pass over the unlabelled images; each step also takes a random batch of
    ``labelled_batch`` labelled ones. Returns per-epoch means of the loss parts."""
    device = next(model.parameters()).device
    x, y, labelled = x.to(device), y.to(device), labelled.to(device)
    mask = torch.ones(len(x), dtype=torch.bool, device=device)
    mask[labelled] = False
    x_unl, x_lab, y_lab = x[mask], x[labelled], y[labelled]
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = defaultdict(list)
    n_steps_source = x_unl if len(x_unl) else x_lab
    model.train()
    for _ in range(epochs):
        sums: dict[str, float] = defaultdict(float)
        steps = 0
        for (xb,) in batches(n_steps_source, batch_size=batch_size, generator=order):
            pick = torch.randint(0, len(x_lab), (min(labelled_batch, len(x_lab)),), generator=order).to(
                device
            )
            parts = m2_loss(model, xb if len(x_unl) else xb[:0], x_lab[pick], y_lab[pick], alpha)
            if not torch.isfinite(parts["loss"]):
                raise FloatingPointError("the M2 loss became NaN or infinite; try a smaller learning rate")
            opt.zero_grad(set_to_none=True)
            parts["loss"].backward()
            opt.step()
            for name, value in parts.items():
                sums[name] += value.detach()
            steps += 1
        for name, total in sums.items():
            history[name].append(float(total) / steps)
    model.eval()
    return dict(history)


@torch.no_grad()
def m2_accuracy(model: M2, x: torch.Tensor, y: torch.Tensor) -> float:
    """Test accuracy of the classifier q(y | x)."""
    model.eval()
    pred = torch.cat([model.classify(x[i : i + 2048]).argmax(1) for i in range(0, len(x), 2048)])
    return (pred == y.to(pred.device)).float().mean().item()


def baseline_accuracy(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    test_labels: torch.Tensor,
    method: str = "knn",
) -> float:
    """Accuracy of a classic classifier fitted on the labelled features only: ``"knn"`` (1 nearest
    neighbour) or ``"logistic"`` (multinomial logistic regression, scikit-learn defaults, more iterations)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    def as_numpy(t):
        return t.detach().float().cpu().reshape(t.shape[0], -1).numpy()

    if method == "knn":
        clf = KNeighborsClassifier(n_neighbors=1)
    elif method == "logistic":
        clf = LogisticRegression(max_iter=2000)
    else:
        raise ValueError(f"method must be 'knn' or 'logistic', got {method!r}")
    clf.fit(as_numpy(train_features), train_labels.cpu().numpy())
    return float(np.mean(clf.predict(as_numpy(test_features)) == test_labels.cpu().numpy()))
