"""Notebook 6's trained models, each trained once, then loaded from the cache
(:func:`course_utils.checkpoints.train_once`, keyed by everything the training call is given). Every
function returns ``(model, history)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from course_utils import config
from course_utils.ch6_conditional import aae as aae_mod
from course_utils.ch6_conditional import cvae as cvae_mod
from course_utils.ch6_conditional import m2 as m2_mod
from course_utils.checkpoints import train_once
from course_utils.train import fit

#: Epochs per model: (fast mode, the classroom lesson).
EPOCHS = {"classifier": (8, 10), "cvae": (15, 30), "aae": (15, 18), "m2": (8, 10)}
#: The AAE's learning rate for the two adversarial steps, by prior (2e-4 where not listed).
ADVERSARIAL_LR = {"labelled mixture": 1e-3}


def epochs_for(kind: str) -> int:
    return EPOCHS[kind][0 if config.FAST else 1]


def classifier(
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x=None,
    test_y=None,
    *,
    hidden: Sequence[int] = (256,),
    epochs: int | None = None,
    seed: int = 0,
):
    """A :class:`~.cvae.DigitClassifier` trained with cross-entropy on real digits (the judge of samples)."""
    torch.manual_seed(seed)
    model = cvae_mod.DigitClassifier(hidden=hidden)
    return train_once(
        "ch6-classifier",
        model,
        fit,
        cvae_mod.classifier_loss,
        (train_x, train_y),
        test_data=None if test_x is None else (test_x, test_y),
        epochs=epochs_for("classifier") if epochs is None else epochs,
        seed=seed,
    )


def cvae(
    latent_dim: int,
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x=None,
    test_y=None,
    *,
    hidden: Sequence[int] = (512, 256),
    epochs: int | None = None,
    seed: int = 0,
):
    """A :class:`~.cvae.CVAE` trained on the conditional negative ELBO (history: ``recon`` and ``kl``)."""
    torch.manual_seed(seed)
    model = cvae_mod.CVAE(latent_dim=latent_dim, hidden=hidden)
    return train_once(
        f"cvae{latent_dim}d",
        model,
        fit,
        cvae_mod.cvae_loss,
        (train_x, train_y),
        test_data=None if test_x is None else (test_x, test_y),
        epochs=epochs_for("cvae") if epochs is None else epochs,
        seed=seed,
    )


def aae(
    prior: str,
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    *,
    hidden: Sequence[int] = (512, 256),
    epochs: int | None = None,
    adversarial_lr: float | None = None,
    seed: int = 0,
):
    """A 2-D :class:`~.aae.AAE` whose codes were pushed to ``prior`` (one of :data:`~.aae.PRIORS`).

    ``adversarial_lr`` (discriminator and generator steps): by default :data:`ADVERSARIAL_LR` of the prior;
    the label-aware game must move whole classes, and a short run needs the larger rate there.
    """
    if prior not in aae_mod.PRIORS:
        raise ValueError(f"unknown prior {prior!r}; choose one of {aae_mod.PRIORS}")
    torch.manual_seed(seed)
    model = aae_mod.AAE(hidden=hidden, labelled=prior == "labelled mixture")
    return train_once(
        f"aae-{prior.replace(' ', '-')}",
        model,
        aae_mod.train_aae,
        prior,
        train_x,
        train_y,
        epochs=epochs_for("aae") if epochs is None else epochs,
        adversarial_lr=ADVERSARIAL_LR.get(prior, 2e-4) if adversarial_lr is None else adversarial_lr,
        seed=seed,
    )


def m2(
    per_class: int | None,
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    *,
    latent_dim: int = 16,
    hidden: Sequence[int] = (256,),
    alpha: float = 50.0,
    epochs: int | None = None,
    seed: int = 0,
):
    """An :class:`~.m2.M2` trained with ``per_class`` labels of each digit (``None``: every label).

    Returns ``(model, history, labelled_indices)``.
    """
    labelled = (
        torch.arange(len(train_y))
        if per_class is None
        else m2_mod.labelled_subset(train_y, per_class, seed=seed)
    )
    torch.manual_seed(seed)
    model = m2_mod.M2(latent_dim=latent_dim, hidden=hidden)
    model, history = train_once(
        f"m2-{'all' if per_class is None else per_class}-per-class",
        model,
        m2_mod.train_m2,
        train_x,
        train_y,
        labelled,
        epochs=epochs_for("m2") if epochs is None else epochs,
        alpha=alpha,
        seed=seed,
    )
    return model, history, labelled
