"""Inputs checked at the door of the models, losses, ``fit`` and widgets, with one line otherwise.

Images are float pixels in [0, 1]. A NumPy array or a list becomes a tensor and another float type
the model's; raw 0-255 bytes, bools and other integers are named with their fix. The image shapes
are checked by :func:`course_utils.models.flatten_images` and :func:`~course_utils.models.pixel_images`.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def as_tensor(value, name: str) -> torch.Tensor:
    """A tensor as it is; a NumPy array or a (nested) list of numbers as a tensor; else one line."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (np.ndarray, list)):
        try:
            return torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be a tensor; this {type(value).__name__} is not numbers") from err
    raise TypeError(f"{name} must be a torch tensor, got {type(value).__name__}")


def _wrong_dtype(name: str, x: torch.Tensor) -> ValueError:
    """The one-line error for images that are not floats: bytes (0-255), bools or other integers."""
    if x.dtype == torch.uint8:
        span = f" with values in [{x.min().item()}, {x.max().item()}]" if x.numel() else ""
        return ValueError(
            f"{name} is uint8{span} (raw pixels); images are floats in [0, 1]: pass {name}.float() / 255"
        )
    if x.dtype == torch.bool:
        return ValueError(f"{name} is a bool tensor; images are floats in [0, 1]: pass {name}.float()")
    return ValueError(f"{name} is {x.dtype}; images are floats in [0, 1]: pass {name}.float() / 255")


def float_batch(x, name: str = "x", like: torch.Tensor | None = None) -> torch.Tensor:
    """``x`` as a non-empty float batch ``[B, ...]`` in ``like``'s dtype (default: its own); an array
    or a list also moves to ``like``'s device. Integers, bytes and bools are named (no pass over x)."""
    was_tensor = isinstance(x, torch.Tensor)
    x = as_tensor(x, name)
    if not x.is_floating_point():
        raise _wrong_dtype(name, x)
    if x.dim() == 0:
        raise ValueError(f"{name} must be a batch [B, ...], got a single number")
    if x.shape[0] == 0 or x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {list(x.shape)})")
    dtype = x.dtype if like is None else like.dtype
    if was_tensor or like is None:
        return x.to(dtype)
    return x.to(device=like.device, dtype=dtype)


def check_values(name: str, t: torch.Tensor, low: float = -math.inf, high: float = math.inf) -> None:
    """One pass and one read: ``t`` is finite and within [low, high]; else one line naming ``t``."""
    if t.numel() == 0:
        return
    lo, hi = torch.stack(torch.aminmax(t.detach())).tolist()  # a NaN anywhere makes both NaN
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if lo < low or hi > high:
        hint = "; divide 0-255 pixels by 255" if (low, high) == (0, 1) and hi > 1 else ""
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got [{lo:.3g}, {hi:.3g}]{hint}")
