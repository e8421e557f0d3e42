"""The stacked autoencoder and greedy layer-wise pretraining (Bengio et al. 2007; lecture chapter 3).

A deep :class:`~course_utils.models.Autoencoder` ``784 -> h1 -> h2 -> k`` (decoder the mirror image) is
trained in two ways that start from the same initial weights:

- **end to end**: the whole network on the Bernoulli reconstruction loss, as every other autoencoder of
  the course (``recipes.autoencoder`` with ``hidden=(h1, h2)``);
- **greedy layer-wise pretraining, then fine-tuning**: first a shallow autoencoder per layer, from the
  outside in. Layer 1 (``784 -> h1 -> 784``) learns to reconstruct the images; layer 2 (``h1 -> h2 ->
  h1``) learns to reconstruct layer 1's codes of the images, computed once with layer 1 frozen; and so
  on. The trained layers are the deep network's encoder and decoder layers, so after pretraining the
  stack is already a complete autoencoder; fine-tuning then trains all of it end to end.

The layers are the deep model's own ``nn.Linear`` modules, so pretraining changes the model in place.
Losses follow the course convention: per-sample sums ``[B]``, averaged over the batch by ``fit``. The
first layer reconstructs pixels with the Bernoulli NLL, the inner layers reconstruct real-valued codes
with the unit-variance Gaussian NLL (squared error).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from course_utils import losses, models, recipes
from course_utils.checkpoints import train_once
from course_utils.train import evaluate, fit


def layer_pairs(model: models.Autoencoder) -> list[tuple[nn.Linear, nn.Linear]]:
    """``(encoder layer, decoder layer)`` of each shallow autoencoder in the stack, outermost first.

    For ``784 -> 256 -> 64 -> 16``: ``(784->256, 256->784)``, ``(256->64, 64->256)``, ``(64->16, 16->64)``.
    """
    if not isinstance(model, models.Autoencoder) or not model.hidden:
        raise ValueError("layer_pairs needs an Autoencoder with at least one hidden layer")
    encoders = [m for m in model.encoder if isinstance(m, nn.Linear)]
    decoders = [m for m in model.decoder if isinstance(m, nn.Linear)]
    return list(zip(encoders, reversed(decoders)))


def layer_inputs(model: models.Autoencoder, x: torch.Tensor, layer: int) -> torch.Tensor:
    """What layer ``layer`` (0 = outermost) of the stack sees: the frozen codes of the layers before it.

    ``x`` ``[N, 1, 28, 28]`` -> ``[N, 784]`` for layer 0, ``[N, h1]`` for layer 1, and so on (after ReLU).
    """
    pairs = layer_pairs(model)
    if not 0 <= layer < len(pairs):
        raise ValueError(f"layer must be in 0..{len(pairs) - 1}, got {layer}")
    with torch.no_grad():
        h = models.flatten_images(x)
        for enc, _ in pairs[:layer]:
            h = torch.relu(enc(h))
    return h


def layer_loss(
    enc: nn.Linear, dec: nn.Linear, h: torch.Tensor, *, innermost: bool, outermost: bool
) -> torch.Tensor:
    """Reconstruction NLL of one shallow autoencoder ``h -> code -> h``, per sample ``[B]`` nats.

    The code is ``relu(enc(h))`` except in the innermost layer, whose code is the deep model's (linear)
    code ``z``. The outermost layer reads ``dec(code)`` as Bernoulli logits of the pixels; an inner one
    as the mean of a unit-variance Gaussian over the previous layer's codes.
    """
    code = enc(h) if innermost else torch.relu(enc(h))
    out = dec(code)
    return losses.bernoulli_nll(out, h) if outermost else losses.gaussian_nll(out, h)


class _ShallowAutoencoder(nn.Module):
    """One layer pair as a trainable module (shares its parameters with the deep model)."""

    def __init__(self, enc: nn.Linear, dec: nn.Linear, innermost: bool, outermost: bool):
        super().__init__()
        self.enc, self.dec, self.innermost, self.outermost = enc, dec, innermost, outermost

    def loss(self, h: torch.Tensor) -> torch.Tensor:
        return layer_loss(self.enc, self.dec, h, innermost=self.innermost, outermost=self.outermost)


def pretrain_layerwise(
    model: models.Autoencoder,
    x: torch.Tensor,
    *,
    epochs_per_layer: int,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Greedy layer-wise pretraining of ``model`` in place, outermost layer first.

    Each layer trains ``epochs_per_layer`` epochs on the codes of the (frozen) layers before it.
    Returns ``{"layer1_train_loss": [...], "layer2_train_loss": [...], ...}`` (nats per sample).
    """
    if epochs_per_layer < 1:
        raise ValueError(f"epochs_per_layer must be >= 1, got {epochs_per_layer}")
    pairs = layer_pairs(model)
    history: dict[str, list[float]] = {}
    for i, (enc, dec) in enumerate(pairs):
        h = layer_inputs(model, x, i)
        shallow = _ShallowAutoencoder(enc, dec, innermost=i == len(pairs) - 1, outermost=i == 0)
        run = fit(
            shallow,
            lambda m, batch: m.loss(batch),
            h,
            epochs=epochs_per_layer,
            lr=lr,
            batch_size=batch_size,
            seed=seed + i,
            progress=False,
        )
        history[f"layer{i + 1}_train_loss"] = run["train_loss"]
    model.eval()
    return history


def pretrain_and_test(
    model: models.Autoencoder,
    train_x: torch.Tensor,
    test_x: torch.Tensor,
    *,
    epochs_per_layer: int,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
) -> dict[str, list[float]]:
    """:func:`pretrain_layerwise` on ``train_x``; adds ``test_loss``, the whole stack's on ``test_x``."""
    history = pretrain_layerwise(
        model, train_x, epochs_per_layer=epochs_per_layer, lr=lr, batch_size=batch_size, seed=seed
    )
    history["test_loss"] = [evaluate(model, recipes.autoencoder_loss, test_x)["loss"]]
    return history


def stacked_autoencoder(
    latent_dim: int,
    train_x: torch.Tensor,
    test_x: torch.Tensor,
    *,
    hidden: Sequence[int],
    epochs: int,
    pretrain_epochs_per_layer: int,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
):
    """The same deep autoencoder trained end to end and with layer-wise pretraining, on one epoch budget.

    End to end: ``epochs`` epochs. Stacked: ``pretrain_epochs_per_layer`` epochs for each of the
    ``len(hidden) + 1`` layers, then fine-tuning for the rest of the budget, ``epochs - (len(hidden) + 1) *
    pretrain_epochs_per_layer`` epochs (at least 1). Both start from the weights ``torch.manual_seed(seed)``
    gives. Returns ``{"end_to_end": (model, history), "pretrained": (model, history),
    "fine_tuned": (model, history)}``; every model is cached with ``checkpoints.train_once``. The
    pretrained history holds each layer's training loss and ``test_loss`` (one value: the whole stack).
    """
    hidden = tuple(hidden)
    n_layers = len(hidden) + 1
    fine_tune_epochs = epochs - n_layers * pretrain_epochs_per_layer
    if not hidden or fine_tune_epochs < 1:
        raise ValueError(
            f"need hidden layers and epochs > {n_layers} * pretrain_epochs_per_layer "
            f"(got hidden={hidden}, epochs={epochs}, pretrain_epochs_per_layer={pretrain_epochs_per_layer})"
        )
    settings = {"lr": lr, "batch_size": batch_size, "seed": seed}
    name = f"deep{latent_dim}d"
    end_to_end = recipes.autoencoder(
        latent_dim, train_x, test_x, hidden=hidden, epochs=epochs, name=f"{name}-end-to-end", **settings
    )
    torch.manual_seed(seed)
    model = models.Autoencoder(latent_dim, hidden=hidden)
    pretrained = train_once(
        f"{name}-pretrained",
        model,
        pretrain_and_test,
        train_x,
        test_x,
        epochs_per_layer=pretrain_epochs_per_layer,
        **settings,
    )
    torch.manual_seed(seed)
    model = models.Autoencoder(latent_dim, hidden=hidden)
    model.load_state_dict(pretrained[0].state_dict())  # fine-tuning starts from the pretrained stack
    fine_tuned = train_once(
        f"{name}-fine-tuned",
        model,
        fit,
        recipes.autoencoder_loss,
        train_x,
        test_data=test_x,
        epochs=fine_tune_epochs,
        **settings,
    )
    return {"end_to_end": end_to_end, "pretrained": pretrained, "fine_tuned": fine_tuned}
