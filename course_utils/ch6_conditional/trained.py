"""Notebook 6's trained models, each trained once per setting and data source, then loaded from the
cache (:func:`course_utils.checkpoints.load_or_train`). Every function returns ``(model, history)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from course_utils import config
from course_utils.ch6_conditional import aae as aae_mod
from course_utils.ch6_conditional import cvae as cvae_mod
from course_utils.ch6_conditional import m2 as m2_mod
from course_utils.checkpoints import load_or_train
from course_utils.train import fit

#: Epochs per model: (fast mode, the classroom lesson).
EPOCHS = {"classifier": (8, 10), "cvae": (15, 30), "aae": (15, 18), "m2": (8, 10)}
#: The AAE's learning rate for the two adversarial steps, by prior (2e-4 where not listed).
ADVERSARIAL_LR = {"labelled mixture": 1e-3}


def epochs_for(kind: str) -> int:
    return EPOCHS[kind][0 if config.FAST else 1]


def _built(model_class, seed: int, **kwargs):
    def build():
        torch.manual_seed(seed)
        return model_class(**kwargs)

    return build


def _fit_on_labels(name: str, build, loss_fn, settings: dict, data, epochs: int, seed: int):
    """Train ``build()`` on ``loss_fn`` over ``data = (train_x, train_y, test_x, test_y)`` once, cached
    under ``name`` with ``settings`` plus epochs, seed and the number of training digits (``test_x``: None
    for no test set)."""
    train_x, train_y, test_x, test_y = data
    cfg = {**settings, "epochs": epochs, "seed": seed, "n_train": int(train_x.shape[0])}
    test = (test_x, test_y) if test_x is not None else None
    return load_or_train(
        name,
        build,
        lambda m: fit(m, loss_fn, (train_x, train_y), test_data=test, epochs=epochs, seed=seed),
        cfg,
    )


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
    epochs = epochs_for("classifier") if epochs is None else epochs
    build = _built(cvae_mod.DigitClassifier, seed, hidden=hidden)
    settings = {"kind": "digit-classifier", "hidden": list(hidden)}
    data = (train_x, train_y, test_x, test_y)
    return _fit_on_labels("ch6-classifier", build, cvae_mod.classifier_loss, settings, data, epochs, seed)


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
    epochs = epochs_for("cvae") if epochs is None else epochs
    build = _built(cvae_mod.CVAE, seed, latent_dim=latent_dim, hidden=hidden)
    settings = {"kind": "cvae", "latent_dim": latent_dim, "hidden": list(hidden)}
    data = (train_x, train_y, test_x, test_y)
    return _fit_on_labels(f"cvae{latent_dim}d", build, cvae_mod.cvae_loss, settings, data, epochs, seed)


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
    epochs = epochs_for("aae") if epochs is None else epochs
    adversarial_lr = ADVERSARIAL_LR.get(prior, 2e-4) if adversarial_lr is None else adversarial_lr
    cfg = {
        "kind": "aae",
        "prior": prior,
        "hidden": list(hidden),
        "epochs": epochs,
        "seed": seed,
        "adversarial_lr": adversarial_lr,
        "n_train": int(train_x.shape[0]),
    }
    build = _built(aae_mod.AAE, seed, hidden=hidden, labelled=prior == "labelled mixture")
    return load_or_train(
        f"aae-{prior.replace(' ', '-')}",
        build,
        lambda m: aae_mod.train_aae(
            m, prior, train_x, train_y, epochs=epochs, adversarial_lr=adversarial_lr, seed=seed
        ),
        cfg,
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
    epochs = epochs_for("m2") if epochs is None else epochs
    cfg = {
        "kind": "m2",
        "per_class": per_class,
        "latent_dim": latent_dim,
        "hidden": list(hidden),
        "alpha": alpha,
        "epochs": epochs,
        "seed": seed,
        "n_train": int(train_x.shape[0]),
    }
    model, history = load_or_train(
        f"m2-{'all' if per_class is None else per_class}-per-class",
        _built(m2_mod.M2, seed, latent_dim=latent_dim, hidden=hidden),
        lambda m: m2_mod.train_m2(m, train_x, train_y, labelled, epochs=epochs, alpha=alpha, seed=seed),
        cfg,
    )
    return model, history, labelled
