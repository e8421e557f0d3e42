"""ipywidgets that redraw live as sliders move, all built by one helper, :func:`live_widget`.

Each widget draws into an ``ipywidgets.Image`` as PNG bytes, so a redraw is a few milliseconds on a
laptop CPU and a test can move a slider in Python and see ``image.value`` change. Every widget of
the course is a :func:`live_widget`, so tests and the browser test address them all the same way:
``box.controls[name]``, ``box.image`` (and ``box.images``), ``box.readout`` and ``box.values()``.
"""

from __future__ import annotations

import io
import os
from typing import Any, Callable, Mapping, Sequence

import ipywidgets as W
import numpy as np
import torch
from PIL import Image as PILImage

from course_utils.models import decode_images, latent_codes


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


def live_widget(controls: Mapping[str, W.ValueWidget], draw: Callable[..., Any], *, size: int = 168,
                controls_below: bool = False, title: str | None = None) -> W.VBox:
    """The one way the course builds a live widget: controls, a picture, a readout.

    ``controls``: name -> ipywidget with a ``.value`` (sliders, dropdowns, toggles). ``draw(**values)``
    gets the controls' current values by name and returns ``(picture, readout)`` or
    ``(picture, readout, numbers)``: ``picture`` is PNG bytes, a matplotlib figure or one grey image
    (a list of them gives several images side by side), ``readout`` a text shown under it (HTML
    allowed), ``numbers`` a dict of the numbers on display (what tests read).

    Returns a ``VBox`` with ``.controls`` (the mapping), ``.image`` (the first ``ipywidgets.Image``),
    ``.images`` (all of them), ``.readout`` (an ``ipywidgets.HTML``), ``.values()`` (the numbers of
    the last draw, a dict) and ``.redraw()``. Every control change redraws once, synchronously. While the
    HTML reading copy is built, its display also carries a static picture (the widget shown offline).
    """
    controls = dict(controls)
    if not controls:
        raise ValueError("live_widget needs at least one control")
    for name, control in controls.items():
        if not hasattr(control, "value"):
            raise ValueError(f"control {name!r} has no .value: {type(control).__name__}")
    images: list[W.Image] = []
    readout = W.HTML()
    shown: dict[str, float] = {}
    image_row = W.HBox([])

    def redraw(_change=None) -> None:
        result = draw(**{name: control.value for name, control in controls.items()})
        if not isinstance(result, tuple) or len(result) not in (2, 3):
            raise ValueError("a live_widget draw function returns (picture, readout) or (picture, readout, numbers)")
        picture, text = result[0], result[1]
        pictures = list(picture) if isinstance(picture, (list, tuple)) else [picture]
        while len(images) < len(pictures):
            images.append(W.Image(format="png"))
        if len(image_row.children) != len(pictures):
            image_row.children = images[:len(pictures)]
        for widget, pic in zip(images, pictures):
            widget.value = as_png(pic, size)
        readout.value = str(text)
        shown.clear()
        shown.update(dict(result[2]) if len(result) == 3 and result[2] is not None else {})

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    control_box = W.VBox(list(controls.values()))
    if controls_below:
        children = [image_row, control_box, readout]
    else:
        children = [W.HBox([control_box, image_row]), readout]
    if title:
        children.insert(0, W.HTML(f"<b>{title}</b>"))
    box = W.VBox(children)
    box.controls, box.image, box.images, box.readout = controls, images[0], images, readout
    box.values = lambda: dict(shown)
    box.redraw = redraw
    widget_bundle = box._repr_mimebundle_

    def mimebundle(**kwargs):
        # ipywidgets' live view; only while the HTML reading copy is built (COURSE_READING_COPY=1), plus a
        # static picture of the widget (see course_utils.classroom.reading) for the page that cannot run it.
        bundle = widget_bundle(**kwargs)
        if os.environ.get("COURSE_READING_COPY") != "1":
            return bundle
        from course_utils.classroom.reading import static_picture

        return static_picture(box, bundle)

    box._repr_mimebundle_ = mimebundle
    return box


def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def latent_explorer(model: torch.nn.Module, dims: Sequence[int] | None = None,
                    z0: torch.Tensor | None = None, limit: float = 3.0, step: float = 0.05,
                    max_sliders: int = 8, size: int = 168) -> W.VBox:
    """Sliders over latent dimensions; every move decodes the code and redraws the digit.

    ``dims``: which dimensions get a slider (default: the first ``max_sliders``); the others are
    held at ``z0`` (default: zeros, the prior's mean). Returns a ``VBox`` with attributes
    ``sliders`` (dict dim -> FloatSlider), ``image`` (the ``ipywidgets.Image``) and ``code()``.
    """
    latent_dim = model.latent_dim
    if dims is None:
        dims = list(range(min(latent_dim, max_sliders)))
    dims = [int(d) for d in dims]
    if not dims or any(d < 0 or d >= latent_dim for d in dims):
        raise ValueError(f"dims must be indices in [0, {latent_dim}), got {dims}")
    if len(dims) > max_sliders:
        raise ValueError(f"{len(dims)} sliders requested; at most max_sliders={max_sliders}")
    base = torch.zeros(latent_dim) if z0 is None else z0.detach().float().cpu().reshape(-1).clone()
    if base.numel() != latent_dim:
        raise ValueError(f"z0 must have {latent_dim} entries, got {base.numel()}")
    device = _model_device(model)
    sliders = {d: W.FloatSlider(value=float(base[d]), min=-limit, max=limit, step=step,
                                description=f"z{d + 1}", continuous_update=True,
                                readout_format=".2f") for d in dims}
    image = W.Image(format="png", width=size, height=size)

    def code() -> torch.Tensor:
        z = base.clone()
        for d, slider in sliders.items():
            z[d] = slider.value
        return z

    def redraw(_change=None):
        image.value = png_bytes(decode_images(model, code().to(device)[None])[0], size)

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    box = W.VBox([W.HBox([W.VBox(list(sliders.values())), image])])
    box.sliders, box.image, box.code = sliders, image, code
    return box


def interpolation_slider(model: torch.nn.Module, x0: torch.Tensor, x1: torch.Tensor,
                         size: int = 140, step: float = 0.02) -> W.VBox:
    """One slider alpha in [0, 1] moves along two paths between digits ``x0`` and ``x1``
    (each ``[1, 28, 28]``): the pixel blend (1-alpha) x0 + alpha x1, and the decoded blend of
    their codes (the path along the learned manifold).

    Returns a ``VBox`` with attributes ``slider``, ``pixel_image`` and ``image`` (the decoded one).
    """
    device = _model_device(model)
    x0 = x0.detach().float().reshape(1, 1, 28, 28).to(device)
    x1 = x1.detach().float().reshape(1, 1, 28, 28).to(device)
    z0, z1 = latent_codes(model, torch.cat([x0, x1]))
    slider = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=step, description="alpha",
                           continuous_update=True, readout_format=".2f")
    pixel_image = W.Image(format="png", width=size, height=size)
    image = W.Image(format="png", width=size, height=size)

    def redraw(_change=None):
        a = slider.value
        pixel_image.value = png_bytes((1 - a) * x0[0] + a * x1[0], size)
        image.value = png_bytes(decode_images(model, ((1 - a) * z0 + a * z1)[None])[0], size)

    slider.observe(redraw, names="value")
    redraw()
    labels = [W.Label("pixel space: (1-α)·x0 + α·x1"), W.Label("along the manifold: g((1-α)·z0 + α·z1)")]
    left = W.VBox([labels[0], pixel_image], layout=W.Layout(margin="0 32px 0 0"))
    box = W.VBox([slider, W.HBox([left, W.VBox([labels[1], image])])])
    box.slider, box.pixel_image, box.image = slider, pixel_image, image
    return box


def interpolation_picker(model: torch.nn.Module, images: torch.Tensor, index0: int = 0, index1: int = 1,
                         size: int = 140, alpha: float = 0.0) -> W.VBox:
    """Two index boxes pick digits from ``images`` ``[N, 1, 28, 28]``; each change rebuilds an
    :func:`interpolation_slider` between ``images[index0]`` and ``images[index1]``, keeping alpha.

    Returns a ``VBox`` with attributes ``index0``, ``index1`` (``BoundedIntText``),
    ``interpolation()`` -> the current interpolation ``VBox`` (its ``slider``, ``image``, ...), and
    ``on_rebuild`` (a list of callables run with the new interpolation box after each rebuild).
    """
    n = images.shape[0]
    boxes = [W.BoundedIntText(value=int(i), min=0, max=n - 1, description=f"digit {name}")
             for i, name in ((index0, "A"), (index1, "B"))]
    holder = W.VBox()
    box = W.VBox([W.HBox(boxes), holder])
    box.on_rebuild = []

    def rebuild(_change=None):
        keep = holder.children[0].slider.value if holder.children else alpha
        inner = interpolation_slider(model, images[boxes[0].value], images[boxes[1].value], size=size)
        inner.slider.value = keep
        holder.children = [inner]
        for callback in box.on_rebuild:
            callback(inner)

    for b in boxes:
        b.observe(rebuild, names="value")
    rebuild()
    box.index0, box.index1 = boxes
    box.interpolation = lambda: holder.children[0]
    box.rebuild = rebuild
    return box


def mean_redraw_ms(slider, values: Sequence[float]) -> float:
    """Move ``slider`` through ``values`` (its callbacks redraw synchronously) and return the mean
    milliseconds per move: how live the widget feels."""
    import time

    start = time.perf_counter()
    for v in values:
        slider.value = v
    return 1e3 * (time.perf_counter() - start) / max(1, len(values))
