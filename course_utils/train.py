"""The training loop every notebook shares: Adam over in-memory minibatches, with a progress bar."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from course_utils.data import batches

LossOutput = torch.Tensor | dict[str, torch.Tensor]


def _as_tuple(data) -> tuple[torch.Tensor, ...]:
    return tuple(data) if isinstance(data, (tuple, list)) else (data,)


def _parts(out: LossOutput) -> dict[str, torch.Tensor]:
    """Normalize a loss_fn result to a dict of batch means; the key ``loss`` is the one optimized."""
    if isinstance(out, torch.Tensor):
        out = {"loss": out}
    if "loss" not in out:
        raise ValueError(f"loss_fn returned a dict without a 'loss' key: {sorted(out)}")
    for name, value in out.items():
        if value.dim() > 1:
            raise ValueError(f"loss_fn's {name!r} must be per-sample [B] or a scalar, got {list(value.shape)}")
    return {name: value.mean() for name, value in out.items()}


@torch.no_grad()
def evaluate(model: torch.nn.Module, loss_fn: Callable[..., LossOutput], data,
             batch_size: int = 1024) -> dict[str, float]:
    """Mean of each part of ``loss_fn`` over ``data`` (a tensor or a tuple of tensors), in eval mode."""
    was_training = model.training
    model.eval()
    tensors = _as_tuple(data)
    totals: dict[str, float] = defaultdict(float)
    n = tensors[0].shape[0]
    for batch in batches(*tensors, batch_size=batch_size, shuffle=False):
        for name, value in _parts(loss_fn(model, *batch)).items():
            totals[name] += value.item() * batch[0].shape[0]
    model.train(was_training)
    return {name: total / n for name, total in totals.items()}


def fit(model: torch.nn.Module, loss_fn: Callable[..., LossOutput], train_data, *, epochs: int,
        lr: float = 1e-3, batch_size: int = 128, test_data=None, seed: int = 0,
        progress: bool = True) -> dict[str, list[float]]:
    """Train ``model`` with Adam to minimize the batch mean of ``loss_fn(model, *batch)``.

    ``train_data``/``test_data``: a tensor ``[N, ...]`` or a tuple of tensors, moved to the
    model's device. ``loss_fn`` returns per-sample losses ``[B]`` (or a scalar), or a dict of them
    with a ``"loss"`` key that is optimized, the other keys (e.g. ``"recon"``, ``"kl"``) only logged.
    Returns the history ``{"train_<part>": [per epoch], "test_<part>": [...]}``. Reproducible for
    a given ``seed`` (it seeds torch and fixes the batch order).
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    device = next(model.parameters()).device
    train_t = tuple(t.to(device) for t in _as_tuple(train_data))
    test_t = tuple(t.to(device) for t in _as_tuple(test_data)) if test_data is not None else None
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = defaultdict(list)
    n = train_t[0].shape[0]
    bar = tqdm(range(epochs), desc=f"training {type(model).__name__}", disable=not progress)
    model.train()
    for _ in bar:
        sums: dict[str, torch.Tensor] = {}
        for batch in batches(*train_t, batch_size=batch_size, generator=order):
            parts = _parts(loss_fn(model, *batch))
            if not torch.isfinite(parts["loss"]):
                raise FloatingPointError(f"the loss became {parts['loss'].item()} during training; "
                                         "try a smaller learning rate")
            optimizer.zero_grad(set_to_none=True)
            parts["loss"].backward()
            optimizer.step()
            for name, value in parts.items():  # summed on the device: no sync per batch
                sums[name] = sums.get(name, 0) + value.detach() * batch[0].shape[0]
        for name, total in sums.items():
            history[f"train_{name}"].append(total.item() / n)
        postfix = {"train": f"{history['train_loss'][-1]:.2f}"}
        if test_t is not None:
            for name, value in evaluate(model, loss_fn, test_t).items():
                history[f"test_{name}"].append(value)
            postfix["test"] = f"{history['test_loss'][-1]:.2f}"
        bar.set_postfix(postfix)
    model.eval()
    return dict(history)
