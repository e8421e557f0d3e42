"""The training loop every notebook shares: Adam over in-memory minibatches, with a progress bar.

Before training, :func:`fit` checks its data once per call: every tensor finite, and ``loss_fn`` run
(so the losses' own checks: targets in [0, 1], shapes) on the rows holding each tensor's smallest and
largest value, so bad data anywhere stops it before the first step. That costs about one pass over
the data. Then the loop; the loss is checked for NaN or infinity once per epoch.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from course_utils.data import batches
from course_utils.i18n import tr
from course_utils.inputs import as_tensor
from course_utils.models import N_PIXELS

LossOutput = torch.Tensor | dict[str, torch.Tensor]


def _per_sample_parts(out: LossOutput) -> dict[str, torch.Tensor]:
    """A loss_fn result as a dict of per-sample ``[B]`` (or scalar) tensors; ``loss`` is optimized."""
    if isinstance(out, torch.Tensor):
        out = {"loss": out}
    if not isinstance(out, dict) or "loss" not in out:
        raise ValueError(
            f"loss_fn must return a tensor or a dict with a 'loss' key, got "
            f"{sorted(out) if isinstance(out, dict) else type(out).__name__}"
        )
    for name, value in out.items():
        if not isinstance(value, torch.Tensor) or value.dim() > 1:
            shape = list(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise ValueError(f"loss_fn's {name!r} must be per-sample [B] or a scalar, got {shape}")
    return out


def _as_tensor_for(model: torch.nn.Module, value, name: str) -> torch.Tensor:
    """One part of the data on the model's device: floats in the model's dtype, integers (labels) as
    int64; raw uint8 images and bools are named with their fix."""
    t = as_tensor(value, name)
    if t.dim() == 0:
        raise ValueError(f"{name} must be a tensor [N, ...], got a single number")
    if t.dtype == torch.bool:
        raise ValueError(f"{name} is a bool tensor; pass {name}.float() (images) or {name}.long() (labels)")
    if t.dtype == torch.uint8 and t.shape[0] > 0 and t[0].numel() == N_PIXELS:
        raise ValueError(
            f"{name} is uint8 {list(t.shape)} with values in [{t.min().item()}, {t.max().item()}] "
            f"(raw pixels); images are floats in [0, 1]: pass {name}.float() / 255"
        )
    param = next(model.parameters())
    t = t.to(param.dtype) if t.is_floating_point() else t.long()
    return t.to(param.device)


def _as_data(model: torch.nn.Module, data, name: str) -> tuple[torch.Tensor, ...]:
    """``data``: a tensor, an array or a list of numbers, or a tuple (list) of them -> a tuple of tensors."""
    parts = isinstance(data, tuple) or (
        isinstance(data, list) and all(isinstance(d, torch.Tensor) or hasattr(d, "__array__") for d in data)
    )
    if not parts:
        return (_as_tensor_for(model, data, name),)
    return tuple(_as_tensor_for(model, d, f"{name}[{i}]") for i, d in enumerate(data))


def _shapes(name: str, tensors: tuple[torch.Tensor, ...]) -> str:
    return f"{name} {', '.join(str(list(t.shape)) for t in tensors)}"


def _check_data(name: str, tensors: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Equal first dimensions, at least one row, only finite values. Returns the indices of the rows
    holding each tensor's smallest and largest value. One pass per tensor: a NaN or an infinity
    shows in the per-row minima and maxima, so the finite check costs no pass of its own."""
    if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
        raise ValueError(f"{_shapes(name, tensors)}: all tensors need the same first dimension")
    if tensors[0].shape[0] == 0:
        raise ValueError(f"{_shapes(name, tensors)} is empty: no samples to train on")
    rows = []
    for i, t in enumerate(tensors):
        if t[0].numel() == 0:
            continue
        row_min, row_max = torch.aminmax(t.reshape(t.shape[0], -1), dim=1)
        rows += [row_min.argmin(), row_max.argmax()]
        if t.is_floating_point() and not (torch.isfinite(row_min).all() and torch.isfinite(row_max).all()):
            raise ValueError(f"{name}{'' if len(tensors) == 1 else f'[{i}]'} contains NaN or infinite values")
    return torch.stack(rows).unique() if rows else torch.zeros(1, dtype=torch.long, device=tensors[0].device)


@torch.no_grad()
def _probe(model: torch.nn.Module, loss_fn, name: str, tensors: tuple[torch.Tensor, ...]) -> None:
    """Check ``tensors`` and run ``loss_fn`` on their extreme rows, in eval mode, without touching the
    random streams the training uses (so the probe changes no result). Errors name the data."""
    rows = _check_data(name, tensors)
    devices = [tensors[0].device] if tensors[0].device.type == "cuda" else []
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=devices):
            _per_sample_parts(loss_fn(model, *(t[rows] for t in tensors)))
    except (ValueError, RuntimeError) as err:
        raise type(err)(f"{_shapes(name, tensors)} does not fit the model and loss_fn: {err}") from err
    finally:
        model.train(was_training)


@torch.no_grad()
def evaluate(
    model: torch.nn.Module, loss_fn: Callable[..., LossOutput], data, batch_size: int = 1024
) -> dict[str, float]:
    """Mean of each part of ``loss_fn`` over ``data`` (a tensor or a tuple of tensors, moved to the
    model's device), in eval mode."""
    was_training = model.training
    model.eval()
    tensors = _as_data(model, data, "data")
    totals: dict[str, torch.Tensor] = {}
    for batch in batches(*tensors, batch_size=batch_size, shuffle=False):
        for name, value in _per_sample_parts(loss_fn(model, *batch)).items():
            total = value.sum() if value.dim() == 1 else value * batch[0].shape[0]
            totals[name] = totals[name] + total if name in totals else total
    model.train(was_training)
    return {name: total.item() / tensors[0].shape[0] for name, total in totals.items()}


def _raise_if_diverged(batch_losses: list[torch.Tensor], epoch: int) -> None:
    """One device read for an epoch's batch losses; names the first non-finite one."""
    finite = torch.isfinite(torch.stack(batch_losses))
    if not finite.all():
        i = int((~finite).nonzero()[0, 0])
        raise FloatingPointError(
            f"the loss became {batch_losses[i].item()} during training (epoch {epoch}, "
            f"batch {i + 1}); try a smaller learning rate"
        )


def _whole_number(name: str, value, least: int) -> int:
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if value < least:
        raise ValueError(f"{name} must be >= {least}, got {value}")
    return value


def fit(
    model: torch.nn.Module,
    loss_fn: Callable[..., LossOutput],
    train_data,
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 128,
    test_data=None,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Train ``model`` with Adam to minimize the batch mean of ``loss_fn(model, *batch)``.

    ``train_data``/``test_data``: a tensor ``[N, ...]`` (images ``[N, 1, 28, 28]`` in [0, 1]) or a
    tuple of tensors, e.g. ``(images, labels [N])``. ``loss_fn`` returns per-sample losses ``[B]``
    (each summed over its pixels), or a dict of them whose ``"loss"`` is optimized and whose other
    parts (e.g. ``"recon"``, ``"kl"``) are only logged; ``fit`` averages them over the batch.
    Returns ``{"train_<part>": [one mean per epoch], "test_<part>": [...]}``. A given ``seed`` fixes
    the initial random state and the batch order. Bad data stops it before training (see the
    module's docstring); a loss that becomes NaN stops it with the epoch and batch.
    """
    epochs, batch_size = _whole_number("epochs", epochs, 0), _whole_number("batch_size", batch_size, 1)
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    train_t = _as_data(model, train_data, "train_data")
    test_t = _as_data(model, test_data, "test_data") if test_data is not None else None
    for name, tensors in (("train_data", train_t), ("test_data", test_t)):
        if tensors is not None and epochs > 0:
            _probe(model, loss_fn, name, tensors)
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = defaultdict(list)
    bar = tqdm(
        range(1, epochs + 1), desc=tr("training {model}", model=type(model).__name__), disable=not progress
    )
    model.train()
    for epoch in bar:
        sums: dict[str, torch.Tensor] = {}  # each part's sum over the epoch, kept on the device
        batch_losses = []
        for batch in batches(*train_t, batch_size=batch_size, generator=order):
            parts = _per_sample_parts(loss_fn(model, *batch))
            loss = parts["loss"].mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.detach())
            for name, value in parts.items():  # a part may cover fewer samples than the batch
                sums[name] = sums.get(name, 0) + value.detach().mean() * batch[0].shape[0]
        _raise_if_diverged(batch_losses, epoch)
        for name, total in zip(sums, torch.stack(list(sums.values())).tolist()):
            history[f"train_{name}"].append(total / train_t[0].shape[0])
        if test_t is not None:
            for name, value in evaluate(model, loss_fn, test_t).items():
                history[f"test_{name}"].append(value)
        shown = [part for part in ("train_loss", "test_loss") if part in history]
        bar.set_postfix({part[:-5]: f"{history[part][-1]:.2f}" for part in shown})
    model.eval()
    return dict(history)
