"""Small image edits for the MSE pitfall (Doersch 2016, fig. 3): erase a box, shift by a sub-pixel.

Images are tensors ``[..., H, W]`` (``[28, 28]``, ``[1, 28, 28]`` or ``[B, 1, 28, 28]``) with values in
[0, 1]; every function returns a new tensor and leaves its input untouched.
:func:`.widgets.mse_pitfall_widget` shows (a) an image, (b) a copy with a box erased and (c) a shifted
copy, with live squared distances.
"""

from __future__ import annotations

import math
import numbers

import torch


def checked_image(image, name: str) -> torch.Tensor:
    """``image`` itself once it is a tensor ``[..., H, W]``; otherwise a ValueError that names ``name``."""
    if not isinstance(image, torch.Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor image [..., H, W], got {type(image).__name__}")
    if image.dim() < 2:
        raise ValueError(
            f"{name}: expected an image [..., H, W] with at least 2 dimensions, got shape {list(image.shape)}"
        )
    return image


def erase_box(image: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """A copy of ``image`` with the box rows ``[top, top+height)``, columns ``[left, left+width)`` set to 0.

    The box must lie inside the image (``ValueError`` otherwise); a box of height or width 0 erases nothing.
    """
    image = checked_image(image, "erase_box")
    H, W_ = image.shape[-2:]
    for name, value in (("top", top), ("left", left), ("height", height), ("width", width)):
        if int(value) != value:
            raise ValueError(f"erase_box: {name} must be a whole number of pixels, got {value!r}")
    top, left, height, width = int(top), int(left), int(height), int(width)
    if height < 0 or width < 0:
        raise ValueError(f"erase_box: height and width must be >= 0, got height={height}, width={width}")
    if not (top >= 0 and top + height <= H and left >= 0 and left + width <= W_):
        raise ValueError(
            f"erase_box: the box rows {top}..{top + height - 1}, columns {left}..{left + width - 1} "
            f"does not fit inside the {H}x{W_} image"
        )
    out = image.clone()
    out[..., top : top + height, left : left + width] = 0
    return out


def _shift_whole(image: torch.Tensor, n: int, dim: int) -> torch.Tensor:
    """Shift by ``n`` whole pixels along ``dim`` (positive: towards higher indices), filling with 0."""
    size = image.shape[dim]
    out = torch.zeros_like(image)
    if abs(n) >= size:
        return out
    if n >= 0:
        out.narrow(dim, n, size - n).copy_(image.narrow(dim, 0, size - n))
    else:
        out.narrow(dim, 0, size + n).copy_(image.narrow(dim, -n, size + n))
    return out


def _shift_axis(image: torch.Tensor, d: float, dim: int) -> torch.Tensor:
    """Linear interpolation between the two whole-pixel shifts around ``d``."""
    n = math.floor(d)
    frac = d - n
    out = _shift_whole(image, n, dim)
    if frac > 0:
        out = (1 - frac) * out + frac * _shift_whole(image, n + 1, dim)
    return out


def shift(image: torch.Tensor, dx: float, dy: float) -> torch.Tensor:
    """Move the content ``dx`` pixels right and ``dy`` pixels down, by bilinear interpolation.

    ``out[i, j] = image[i - dy, j - dx]`` read off the bilinear interpolant, with 0 outside the image.
    Whole-pixel shifts just move pixels (what ``torch.roll`` does, but the border is filled with 0 rather
    than wrapped); a half-pixel shift right makes each pixel the average of itself and its left neighbour.
    """
    image = checked_image(image, "shift")
    for name, value in (("dx", dx), ("dy", dy)):
        if not (isinstance(value, numbers.Real) and math.isfinite(value)):
            raise ValueError(f"shift: {name} must be a finite number of pixels, got {value!r}")
    return _shift_axis(_shift_axis(image, float(dx), image.dim() - 1), float(dy), image.dim() - 2)


def squared_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """``||a - b||^2``: the squared differences summed over all pixels (no mean), as a float."""
    a, b = checked_image(a, "squared_distance"), checked_image(b, "squared_distance")
    if a.shape != b.shape:
        raise ValueError(f"squared_distance: shapes differ, {list(a.shape)} vs {list(b.shape)}")
    return float(((a.cpu().double() - b.cpu().double()) ** 2).sum())


def top_stroke_box(image: torch.Tensor, size: int = 4, threshold: float = 0.5) -> tuple[int, int, int, int]:
    """A ``size`` x ``size`` box ``(top, left, height, width)`` over the top of a digit's stroke.

    The rule: start one row above the first row with a pixel brighter than ``threshold``, and centre
    the box horizontally on the ink in those ``size`` rows. For a "2" it cuts the top of the arc.
    """
    image = checked_image(image, "top_stroke_box")
    img = image.detach().float().cpu().reshape(image.shape[-2:])
    H, W_ = img.shape
    if not 0 < size <= min(H, W_):
        raise ValueError(f"top_stroke_box: size must be in 1..{min(H, W_)}, got {size}")
    rows = (img > threshold).any(dim=1).nonzero().flatten()
    if len(rows) == 0:
        raise ValueError(f"top_stroke_box: no pixel is brighter than {threshold}")
    top = min(max(int(rows[0]) - 1, 0), H - size)
    band = img[top : top + size]
    centre = float((band.sum(0) * torch.arange(W_, dtype=torch.float32)).sum() / band.sum())
    left = min(max(round(centre - size / 2), 0), W_ - size)
    return top, left, size, size


def pitfall_figure(a, b, c, box, dx, dy, d_b, d_c):
    """(a), (b) with its erased ``box`` outlined, (c) shifted by ``(dx, dy)``, titled with the distances."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, 3, figsize=(8.4, 3.2))
    titles = [
        "(a) original",
        f"(b) box erased\n‖a−b‖² = {d_b:.3f}",
        f"(c) shifted dx={dx:+.2f}, dy={dy:+.2f}\n‖a−c‖² = {d_c:.3f}",
    ]
    for ax, img, title in zip(axes, (a, b, c), titles):
        ax.imshow(
            img.detach().cpu().reshape(img.shape[-2:]).numpy(),
            cmap="gray",
            vmin=0,
            vmax=1,
            interpolation="nearest",
        )
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    top, left, height, width = box
    if height and width:
        axes[1].add_patch(
            Rectangle((left - 0.5, top - 0.5), width, height, fill=False, ec="tab:red", lw=1, ls="--")
        )
    fig.tight_layout()
    return fig
