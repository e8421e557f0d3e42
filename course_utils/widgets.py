"""ipywidgets that redraw live as sliders move, all built by one class, :class:`LiveWidget`.

Each widget draws into an ``ipywidgets.Image`` as PNG bytes, so a redraw is a few milliseconds on a
laptop CPU and a test can move a slider in Python and see ``image.value`` change. Every widget of
the course is a :class:`LiveWidget` (also called :data:`live_widget`), so tests and the browser test address
them all the same way: ``box.controls[name]``, ``box.image`` (and ``box.images``), ``box.readout`` and
``box.numbers`` (the numbers on display; ``box.values()`` is the same).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
import torch
from PIL import Image as PILImage

from course_utils import i18n, plots
from course_utils.inputs import as_tensor, check_values
from course_utils.models import IMAGE_SHAPE, decode_images, latent_codes, pixel_images


def png_bytes(image, size: int = 168) -> bytes:
    """One grey image (``[28, 28]``, ``[1, 28, 28]`` or ``[H, W]``, values in [0, 1]) -> PNG bytes,
    enlarged to ``size`` pixels wide with nearest-neighbour so the pixels stay sharp."""
    array = image.detach().float().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    array = np.squeeze(array)
    if array.ndim != 2:
        raise ValueError(f"png_bytes needs one 2-D image, got shape {array.shape}")
    pixels = (np.clip(array, 0, 1) * 255).round().astype(np.uint8)
    height = max(1, round(size * pixels.shape[0] / pixels.shape[1]))
    img = PILImage.fromarray(pixels, mode="L").resize((size, height), PILImage.NEAREST)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", compress_level=1)  # 4x faster than the default 6, about 25% more bytes
    return buffer.getvalue()


def figure_png(fig) -> bytes:
    """A matplotlib figure -> PNG bytes (for an ``ipywidgets.Image``); closes the figure."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    plots.translate_figure(fig)  # also a figure that pyplot did not make
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=fig.dpi)
    plt.close(fig)
    return buffer.getvalue()


def as_png(picture, size: int = 168) -> bytes:
    """PNG bytes from what a draw function returns: PNG bytes as they are, a matplotlib figure
    (closed after saving), or one grey image (tensor or array ``[28, 28]``/``[1, 28, 28]``, in [0, 1])."""
    if isinstance(picture, (bytes, bytearray)):
        return bytes(picture)
    if hasattr(picture, "savefig"):
        return figure_png(picture)
    return png_bytes(picture, size)


def slider(
    description: str,
    *,
    min: float,
    max: float,
    step: float,
    value: float,
    integer: bool = False,
    fmt: str = ".2f",
    continuous: bool = False,
    **extra,
) -> W.FloatSlider | W.IntSlider:
    """The course's slider: a ``FloatSlider`` (``IntSlider`` if ``integer``) over ``[min, max]`` in steps of
    ``step``, starting at ``value``, readout as ``fmt`` (floats only); ``continuous`` redraws while dragging.
    ``extra`` goes to the ipywidget as it is (e.g. ``style``)."""
    common = dict(value=value, min=min, max=max, step=step, description=description, **extra)
    if integer:
        return W.IntSlider(continuous_update=continuous, **common)
    return W.FloatSlider(continuous_update=continuous, readout_format=fmt, **common)


PLACEMENTS = ("left", "above", "below")


class LiveWidget(W.VBox):
    """The one way the course builds a live widget: controls, a picture, a readout.

    ``controls``: name -> ipywidget with a ``.value`` (sliders, dropdowns, toggles, index boxes).
    ``draw(**values)`` gets the controls' current values by name and returns ``(picture, readout)`` or
    ``(picture, readout, numbers)``: ``picture`` is PNG bytes, a matplotlib figure or one grey image
    (a list of them gives several images side by side), ``readout`` a text shown under it (HTML
    allowed), ``numbers`` a dict of the numbers on display (what tests read).

    Layout: ``placement`` is ``"left"`` (controls in a column left of the picture, the default),
    ``"above"`` (controls in a row above it, for wide figures) or ``"below"`` (``controls_below=True``
    is the same). ``captions``: one line above each image. ``title``: a bold line on top.
    ``buttons``: label -> action (or None): a button that runs the action, then redraws; with buttons,
    ``controls`` may be empty (e.g. "draw new random images", where ``draw`` itself draws anew).

    Attributes: ``controls`` (the mapping), ``images`` (the ``ipywidgets.Image`` s; ``image`` is the
    first), ``readout`` (an ``ipywidgets.HTML``), ``buttons`` (label -> ``ipywidgets.Button``), ``title``,
    and :attr:`numbers`, the numbers of the last draw. Every control change redraws once, synchronously
    (:meth:`redraw`).
    """

    def __init__(
        self,
        controls: Mapping[str, W.ValueWidget],
        draw: Callable[..., Any],
        *,
        size: int = 168,
        controls_below: bool = False,
        title: str | None = None,
        placement: str | None = None,
        captions: Sequence[str] | None = None,
        buttons: Mapping[str, Callable[[], None] | None] | None = None,
    ) -> None:
        super().__init__()
        self.controls, actions = dict(controls), dict(buttons or {})
        if not self.controls and not actions:
            raise ValueError("live_widget needs at least one control or button")
        for name, control in self.controls.items():
            if not hasattr(control, "value"):
                raise ValueError(f"control {name!r} has no .value: {type(control).__name__}")
        placement = placement or ("below" if controls_below else "left")
        if placement not in PLACEMENTS:
            raise ValueError(f"placement must be 'left', 'above' or 'below', got {placement!r}")
        for control in self.controls.values():  # the names stay: code addresses controls by them
            if isinstance(getattr(control, "description", None), str):
                control.description = i18n.translate(control.description)
        self.title, self.images, self.readout = i18n.translate(title), [], W.HTML()
        self._draw, self._size = draw, size
        self._captions = None if captions is None else [i18n.translate(c) for c in captions]
        self._image_row, self._numbers = W.HBox([]), {}
        self.buttons = {  # as wide as its label, so a long one ("draw another completion") is not cut off
            label: W.Button(description=i18n.translate(label), layout=W.Layout(width="auto"))
            for label in actions
        }
        for label, button in self.buttons.items():
            button.on_click(lambda _button, action=actions[label]: self._run_then_redraw(action))
        for control in self.controls.values():
            control.observe(self.redraw, names="value")
        self.redraw()
        self.children = self._layout(placement)

    @property
    def image(self) -> W.Image:
        """The first picture (most widgets have one)."""
        return self.images[0]

    @property
    def numbers(self) -> dict[str, Any]:
        """The numbers the last draw put on display (a copy): what tests and notebooks read."""
        return dict(self._numbers)

    def values(self) -> dict[str, Any]:
        """The same as :attr:`numbers` (the name the notebooks use)."""
        return self.numbers

    def redraw(self, _change=None) -> None:
        """Draw with the controls' current values: the pictures, the readout and :attr:`numbers`."""
        result = self._draw(**{name: control.value for name, control in self.controls.items()})
        if not isinstance(result, tuple) or len(result) not in (2, 3):
            raise ValueError(
                "a live_widget draw function returns (picture, readout) or (picture, readout, numbers)"
            )
        picture, text = result[0], result[1]
        pictures = list(picture) if isinstance(picture, (list, tuple)) else [picture]
        while len(self.images) < len(pictures):
            self.images.append(W.Image(format="png"))
        if len(self._image_row.children) != len(pictures):
            self._image_row.children = [self._image_cell(i) for i in range(len(pictures))]
        for widget, pic in zip(self.images, pictures):
            widget.value = as_png(pic, self._size)
        self.readout.value = "<br>".join(i18n.translate(line) for line in str(text).split("<br>"))
        self._numbers = dict(result[2]) if len(result) == 3 and result[2] is not None else {}

    def _run_then_redraw(self, action: Callable[[], None] | None) -> None:
        if action is not None:
            action()
        self.redraw()

    def _image_cell(self, i: int) -> W.Widget:
        if self._captions is None or i >= len(self._captions):
            return self.images[i]
        return W.VBox([W.Label(self._captions[i]), self.images[i]], layout=W.Layout(margin="0 24px 0 0"))

    def _layout(self, placement: str) -> list[W.Widget]:
        inputs = [*self.controls.values(), *self.buttons.values()]
        if placement == "left":
            children = [W.HBox([W.VBox(inputs), self._image_row]), self.readout]
        else:
            control_box = W.HBox(inputs, layout=W.Layout(flex_flow="row wrap"))
            above = placement == "above"
            children = [control_box, self._image_row] if above else [self._image_row, control_box]
            children.append(self.readout)
        return [W.HTML(f"<b>{self.title}</b>"), *children] if self.title else children


#: The name the chapters (and notebook 7) build their widgets with.
live_widget = LiveWidget


def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def latent_explorer(
    model: torch.nn.Module,
    dims: Sequence[int] | None = None,
    z0: torch.Tensor | None = None,
    limit: float = 3.0,
    step: float = 0.05,
    max_sliders: int = 8,
    size: int = 168,
) -> W.VBox:
    """Sliders over latent dimensions; every move decodes the code and redraws the digit.

    ``dims``: which dimensions get a slider (default: the first ``max_sliders``); the others are
    held at ``z0`` (default: zeros, the prior's mean). A :func:`live_widget`: the slider of
    dimension ``d`` is ``controls[f"z{d + 1}"]``; ``values()["code"]`` is the whole decoded code
    (a list of ``latent_dim`` floats).
    """
    latent_dim = model.latent_dim
    if dims is None:
        dims = list(range(min(latent_dim, max_sliders)))
    dims = [int(d) for d in dims]
    if not dims or any(d < 0 or d >= latent_dim for d in dims):
        raise ValueError(f"dims must be indices in [0, {latent_dim}), got {dims}")
    if len(dims) > max_sliders:
        raise ValueError(f"{len(dims)} sliders requested; at most max_sliders={max_sliders}")
    base = torch.zeros(latent_dim) if z0 is None else as_tensor(z0, "z0").detach().float().cpu().flatten()
    check_values("z0", base)
    if base.numel() != latent_dim:
        raise ValueError(f"z0 must have {latent_dim} entries, got {base.numel()}")
    device = _model_device(model)
    sliders = {
        f"z{d + 1}": slider(
            f"z{d + 1}", min=-limit, max=limit, step=step, value=float(base[d]), continuous=True
        )
        for d in dims
    }

    def draw(**values):
        z = base.clone()
        for d in dims:
            z[d] = values[f"z{d + 1}"]
        return decode_images(model, z.to(device)[None])[0], "", {"code": z.tolist()}

    return live_widget(sliders, draw, size=size)


def _blend(model: torch.nn.Module, x0: torch.Tensor, x1: torch.Tensor):
    """``blend(alpha) -> (pixel blend, decoded blend of the codes)`` between two digits ``[1, 28, 28]``."""
    device = _model_device(model)
    x0 = pixel_images(as_tensor(x0, "x0").reshape(1, -1), "x0").detach().reshape(1, *IMAGE_SHAPE).to(device)
    x1 = pixel_images(as_tensor(x1, "x1").reshape(1, -1), "x1").detach().reshape(1, *IMAGE_SHAPE).to(device)
    z0, z1 = latent_codes(model, torch.cat([x0, x1]))

    def blend(a: float) -> tuple[torch.Tensor, torch.Tensor]:
        return (1 - a) * x0[0] + a * x1[0], decode_images(model, ((1 - a) * z0 + a * z1)[None])[0]

    return blend


BLEND_CAPTIONS = ("pixel space: (1-α)·x0 + α·x1", "along the manifold: g((1-α)·z0 + α·z1)")


def _alpha_slider(value: float = 0.0, step: float = 0.02) -> W.FloatSlider:
    return slider("alpha", min=0.0, max=1.0, step=step, value=value, continuous=True)


def interpolation_slider(
    model: torch.nn.Module, x0: torch.Tensor, x1: torch.Tensor, size: int = 140, step: float = 0.02
) -> W.VBox:
    """One slider alpha in [0, 1] moves along two paths between digits ``x0`` and ``x1``
    (each ``[1, 28, 28]``): the pixel blend (1-alpha) x0 + alpha x1 (``images[0]``), and the
    decoded blend of their codes, the path along the learned manifold (``images[1]``).

    A :func:`live_widget` with the control ``"alpha"``.
    """
    blend = _blend(model, x0, x1)
    return live_widget(
        {"alpha": _alpha_slider(0.0, step)},
        lambda alpha: (list(blend(alpha)), ""),
        size=size,
        placement="above",
        captions=BLEND_CAPTIONS,
    )


def interpolation_picker(
    model: torch.nn.Module,
    images: torch.Tensor,
    index0: int = 0,
    index1: int = 1,
    size: int = 140,
    alpha: float = 0.0,
    measure: Callable[[float, torch.Tensor, torch.Tensor], tuple[str, dict]] | None = None,
) -> W.VBox:
    """Two index boxes pick digits A and B from ``images`` ``[N, 1, 28, 28]``; the slider alpha moves
    along the pixel blend and the decoded blend between them (as :func:`interpolation_slider`).

    ``measure(alpha, pixel_blend, decoded_blend) -> (readout, numbers)`` adds a readout (e.g. the
    distance to the data). A :func:`live_widget` with controls ``"index0"``, ``"index1"``
    (``BoundedIntText``) and ``"alpha"``; ``values()`` has the indices, alpha and ``measure``'s numbers.
    """
    images = pixel_images(images, "images")
    n = images.shape[0]
    controls = {
        f"index{k}": W.BoundedIntText(value=int(i), min=0, max=n - 1, description=f"digit {name}")
        for k, (i, name) in enumerate(((index0, "A"), (index1, "B")))
    }
    controls["alpha"] = _alpha_slider(alpha)
    blends: dict[tuple[int, int], Callable] = {}

    def draw(index0: int, index1: int, alpha: float):
        if (index0, index1) not in blends:
            blends.clear()
            blends[index0, index1] = _blend(model, images[index0], images[index1])
        pixel, decoded = blends[index0, index1](alpha)
        text, numbers = measure(alpha, pixel, decoded) if measure is not None else ("", {})
        return [pixel, decoded], text, {"index0": index0, "index1": index1, "alpha": alpha, **numbers}

    return live_widget(controls, draw, size=size, placement="above", captions=BLEND_CAPTIONS)


def mean_redraw_ms(slider, values: Sequence[float]) -> float:
    """Move ``slider`` through ``values`` (its callbacks redraw synchronously) and return the mean
    milliseconds per move: how live the widget feels."""
    import time

    start = time.perf_counter()
    for v in values:
        slider.value = v
    return 1e3 * (time.perf_counter() - start) / max(1, len(values))
