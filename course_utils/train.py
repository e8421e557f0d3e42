"""The training loop every notebook shares: Adam over in-memory minibatches, with a progress bar.

Checks cost time per batch (a pass over the batch each, and on a GPU a device sync each), so
:func:`fit` validates once per call (once per tensor while it is unchanged) and then trains
unchecked: every tensor of the data must be finite; the first batch, and a probe of the rows that
hold each tensor's smallest and largest value, run ``loss_fn`` with the losses' own checks on
(targets in [0, 1], shapes, ...); the other batches run inside ``losses.checks(False)``. The loss
itself is checked for NaN or infinity on the device and read back only every
``FINITE_CHECK_EVERY`` batches and at the end of each epoch.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from course_utils import losses
from course_utils.data import batches

LossOutput = torch.Tensor | dict[str, torch.Tensor]

#: Batches between two reads of the loss's finite flag (one device sync each on a GPU).
FINITE_CHECK_EVERY = 50


def _as_tuple(data) -> tuple[torch.Tensor, ...]:
    return tuple(data) if isinstance(data, (tuple, list)) else (data,)


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


# Tensors validated already, by id: (weak reference, version counter then, probe rows). A tensor changed
# in place since (its ``_version`` moved) or a new tensor at the same id is validated again.
_validated: dict[int, tuple[weakref.ref, int, torch.Tensor]] = {}


def _check_data(name: str, tensors: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """:func:`_validate_data`, skipped for a single tensor validated before and unchanged since: a
    notebook that trains several models on the same ``x_train`` pays the pass once."""
    if len(tensors) == 1 and isinstance(tensors[0], torch.Tensor):
        t = tensors[0]
        seen = _validated.get(id(t))
        if seen is not None and seen[0]() is t and seen[1] == t._version:
            return seen[2]
        rows = _validate_data(name, tensors)
        for key in [k for k, v in _validated.items() if v[0]() is None]:
            del _validated[key]
        _validated[id(t)] = (weakref.ref(t), t._version, rows)
        return rows
    return _validate_data(name, tensors)


def _validate_data(name: str, tensors: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Once per call: equal first dimensions, at least one row, only finite values. Returns the
    indices of the rows holding each tensor's smallest and largest value (for the probe).

    One pass per tensor: the per-row minima and maxima carry any NaN or infinity along (a NaN
    propagates through ``aminmax``), so the finite check costs no pass of its own.
    """
    for i, t in enumerate(tensors):
        if not isinstance(t, torch.Tensor) or t.dim() == 0:
            raise ValueError(
                f"{name}[{i}] must be a tensor [N, ...], got {type(t).__name__}"
                f"{'' if not isinstance(t, torch.Tensor) else ' with no dimensions'}"
            )
        if t.shape[0] != tensors[0].shape[0]:
            raise ValueError(
                f"{name}: all tensors need the same first dimension: {tensors[0].shape[0]} != {t.shape[0]}"
            )
    if tensors[0].shape[0] == 0:
        raise ValueError(f"{name} is empty")
    rows, finite = [], []
    for t in tensors:
        if t.dtype == torch.bool or t.is_complex() or t[0].numel() == 0:
            continue
        row_min, row_max = torch.aminmax(t.reshape(t.shape[0], -1), dim=1)
        rows += [row_min.argmin(), row_max.argmax()]
        if t.is_floating_point():
            finite.append(torch.isfinite(row_min).all() & torch.isfinite(row_max).all())
    if finite and not torch.stack(finite).all():
        bad = next(i for i, t in enumerate(tensors) if t.is_floating_point() and not torch.isfinite(t).all())
        raise ValueError(f"{name}{'' if len(tensors) == 1 else f'[{bad}]'} contains NaN or infinite values")
    return torch.stack(rows).unique() if rows else torch.zeros(1, dtype=torch.long, device=tensors[0].device)


@torch.no_grad()
def _probe_extremes(
    model: torch.nn.Module, loss_fn, tensors: tuple[torch.Tensor, ...], idx: torch.Tensor
) -> None:
    """Run ``loss_fn`` with its checks on the rows ``idx`` (those holding the extreme values), in eval
    mode, without touching the random streams the training uses (so the probe changes no result)."""
    devices = [tensors[0].device] if tensors[0].device.type == "cuda" else []
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=devices):
            _per_sample_parts(loss_fn(model, *(t[idx] for t in tensors)))
    finally:
        model.train(was_training)


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    loss_fn: Callable[..., LossOutput],
    data,
    batch_size: int = 1024,
    checked: bool = True,
) -> dict[str, float]:
    """Mean of each part of ``loss_fn`` over ``data`` (a tensor or a tuple of tensors, moved to the
    model's device), in eval mode. ``checked=False`` skips the losses' value checks (for data
    validated already, as :func:`fit` does).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    tensors = tuple(t.to(device) for t in _as_tuple(data))
    totals: dict[str, torch.Tensor] = {}
    n = tensors[0].shape[0]
    with losses.checks(checked):
        for batch in batches(*tensors, batch_size=batch_size, shuffle=False):
            for name, value in _per_sample_parts(loss_fn(model, *batch)).items():
                total = value.sum() if value.dim() == 1 else value * batch[0].shape[0]
                totals[name] = totals[name] + total if name in totals else total
    model.train(was_training)
    return {name: total.item() / n for name, total in totals.items()}


def _raise_if_diverged(recent: list[torch.Tensor], epoch: int, first_batch: int) -> None:
    """One device read for the losses of ``recent`` batches; names the first non-finite one."""
    finite = torch.isfinite(torch.stack(recent))
    if not finite.all():
        i = int((~finite).nonzero()[0, 0])
        raise FloatingPointError(
            f"the loss became {recent[i].item()} during training (epoch {epoch}, "
            f"batch {first_batch + i}); try a smaller learning rate"
        )


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

    ``train_data``/``test_data``: a tensor ``[N, ...]`` or a tuple of tensors, moved to the
    model's device. ``loss_fn`` returns per-sample losses ``[B]`` (or a scalar), or a dict of them
    with a ``"loss"`` key that is optimized, the other keys (e.g. ``"recon"``, ``"kl"``) only logged.
    Returns the history ``{"train_<part>": [per epoch], "test_<part>": [...]}``. Reproducible for
    a given ``seed`` (it seeds torch and fixes the batch order). Inputs are validated once per call
    (see the module's docstring); a loss that becomes NaN or infinite stops training with a
    ``FloatingPointError`` naming the epoch and batch.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    device = next(model.parameters()).device
    train_t = tuple(t.to(device) for t in _as_tuple(train_data))
    test_t = tuple(t.to(device) for t in _as_tuple(test_data)) if test_data is not None else None
    train_extremes = _check_data("train_data", train_t)
    test_extremes = _check_data("test_data", test_t) if test_t is not None else None
    if epochs > 0:
        _probe_extremes(model, loss_fn, train_t, train_extremes)
        if test_t is not None:
            _probe_extremes(model, loss_fn, test_t, test_extremes)
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = defaultdict(list)
    n = train_t[0].shape[0]
    bar = tqdm(range(1, epochs + 1), desc=f"training {type(model).__name__}", disable=not progress)
    model.train()
    checked = True  # the first batch of the call runs the losses' own checks; the rest do not
    for epoch in bar:
        names: list[str] = []
        sums: torch.Tensor | None = None  # [parts]: per-part sums over the epoch, on the device
        recent: list[torch.Tensor] = []
        for b, batch in enumerate(batches(*train_t, batch_size=batch_size, generator=order)):
            with losses.checks(checked):
                out = loss_fn(model, *batch)
            parts = _per_sample_parts(out) if checked else (out if isinstance(out, dict) else {"loss": out})
            checked = False
            loss = parts["loss"].mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            recent.append(loss.detach())
            if len(recent) == FINITE_CHECK_EVERY:
                _raise_if_diverged(recent, epoch, b + 2 - len(recent))
                recent = []
            # each part's batch mean times the batch size, stacked on the device: no sync per batch.
            # (A logged part may cover fewer samples than the batch, e.g. a penalty on a sub-batch.)
            size = batch[0].shape[0]
            batch_sums = torch.stack([v.detach().mean() for v in parts.values()]) * size
            if sums is None:
                names, sums = list(parts), batch_sums
            else:
                sums = sums + batch_sums
        if recent:
            _raise_if_diverged(recent, epoch, b + 2 - len(recent))
        for name, total in zip(names, sums.tolist()):
            history[f"train_{name}"].append(total / n)
        postfix = {"train": f"{history['train_loss'][-1]:.2f}"}
        if test_t is not None:
            for name, value in evaluate(model, loss_fn, test_t, checked=False).items():
                history[f"test_{name}"].append(value)
            postfix["test"] = f"{history['test_loss'][-1]:.2f}"
        bar.set_postfix(postfix)
    model.eval()
    return dict(history)
