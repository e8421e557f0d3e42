"""The HTML reading copy, readable offline: local MathJax, no web scripts, widgets as pictures, alt text.

Used by ``python -m course_utils.classroom html`` (:func:`course_utils.classroom.copies.make_html`):

- :func:`copy_mathjax` copies MathJax 2.7 (shipped by the pip package ``jupyter-server-mathjax``) into
  ``site/mathjax/``, and :func:`exporter` points nbconvert's page at that copy, so formulas render with
  the network off. Its template (``reading_template/``) drops the web-only scripts of nbconvert's ``lab``
  page (require.js, the widget manager and mermaid, all from a CDN) and gives every PNG an ``alt``.
- For the Korean edition, :func:`copy_hangul_font` copies the NanumGothic font (shipped by the pip package
  ``koreanize-matplotlib``, SIL Open Font License) into ``site/fonts/`` and :func:`hangul_font_css` makes
  the page use it for Hangul only, so Korean text reads on a machine without a Korean font.
- The notebooks run with ``COURSE_READING_COPY=1`` and this module loaded as an IPython extension
  (:data:`KERNEL_ARGUMENTS`): each matplotlib figure shown with ``plt.show()`` (or at the end of a cell)
  carries its suptitle/titles as ``alt`` metadata, and each :class:`course_utils.widgets.LiveWidget` is
  displayed with a static picture added (:func:`reading_copy_bundle`): its first slider at its minimum,
  start and maximum, with the readouts and the caption "interactive in JupyterLab". In JupyterLab
  (variable unset) a widget costs nothing extra and shows live as before.
- :func:`prepare_for_reading` then drops the widget views, so the static picture is what the page shows;
  a widget that is no ``live_widget`` is drawn from the widget state nbclient saved (its images, texts and
  control values as the notebook left them: :func:`saved_widget_html`).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
import re
import shutil
from pathlib import Path

from course_utils import plots, widgets
from course_utils.i18n import tr

READING_COPY_VARIABLE = "COURSE_READING_COPY"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TEMPLATE_DIR = Path(__file__).resolve().parent / "reading_template"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the one combined configuration the package ships
KERNEL_ARGUMENTS = ["--IPKernelApp.extensions=course_utils.classroom.reading"]
CAPTION = "Interactive in JupyterLab"
UNRENDERED_WIDGET = "<p><em>An interactive widget: open the notebook in JupyterLab to use it.</em></p>"


def building_reading_copy() -> bool:
    """True while the HTML reading copy is being built (``COURSE_READING_COPY=1``)."""
    return os.environ.get(READING_COPY_VARIABLE) == "1"


@contextlib.contextmanager
def reading_copy_environment():
    """Set ``COURSE_READING_COPY=1`` for the kernels started inside the block; restore it afterwards."""
    old = os.environ.get(READING_COPY_VARIABLE)
    os.environ[READING_COPY_VARIABLE] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(READING_COPY_VARIABLE, None)
        else:
            os.environ[READING_COPY_VARIABLE] = old


# ---- MathJax and the page template ---------------------------------------------------------------


def mathjax_source() -> Path:
    """The MathJax 2.7 files of the installed ``jupyter-server-mathjax`` package."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise RuntimeError(
            "the reading copy needs jupyter-server-mathjax for offline formulas: "
            "python -m pip install -r requirements.txt"
        ) from None
    static = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    if not (static / "MathJax.js").is_file():
        raise RuntimeError(f"no MathJax.js in {static}: reinstall jupyter-server-mathjax")
    return static


def copy_mathjax(out: Path) -> Path:
    """Copy MathJax into ``out/mathjax`` (about 10 MB; refreshed in place) and return that folder."""
    target = Path(out) / "mathjax"
    shutil.copytree(mathjax_source(), target, dirs_exist_ok=True)
    return target


#: The Hangul font files the Korean reading copy ships, by CSS font weight.
HANGUL_FONT_FILES = {400: "NanumGothic.ttf", 700: "NanumGothicBold.ttf"}
#: Hangul Jamo, compatibility Jamo, Jamo extended A/B and the syllables: what the shipped font draws.
HANGUL_UNICODE_RANGE = "U+1100-11FF, U+3130-318F, U+A960-A97F, U+AC00-D7AF, U+D7B0-D7FF"


def hangul_font_source() -> Path:
    """The folder of NanumGothic TTFs in the installed ``koreanize-matplotlib`` (found, not imported:
    importing it would change matplotlib's settings)."""
    import importlib.util

    spec = importlib.util.find_spec("koreanize_matplotlib")
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts" if spec else None
    if folder is None or not all((folder / name).is_file() for name in HANGUL_FONT_FILES.values()):
        raise RuntimeError(
            "the Korean reading copy needs koreanize-matplotlib for its Hangul font: "
            "python -m pip install -r requirements.txt"
        )
    return folder


def copy_hangul_font(out: Path) -> Path:
    """Write the Hangul font files into ``out/fonts`` (about 9 MB) and return that folder.

    The fonts are copied without their TSI* tables (a font editor's hinting sources, unused for drawing):
    browsers' font sanitizer rejects NanumGothic's empty TSI3 and would then draw no Hangul at all."""
    from fontTools.ttLib import TTFont  # a dependency of matplotlib

    source, target = hangul_font_source(), Path(out) / "fonts"
    target.mkdir(parents=True, exist_ok=True)
    for name in HANGUL_FONT_FILES.values():
        font = TTFont(source / name)
        tables = font.keys()  # a list: deleting below does not disturb it
        for table in [t for t in tables if t.startswith("TSI")]:
            del font[table]
        font.save(target / name)
    return target


def hangul_font_css(fonts_folder: str = "fonts") -> str:
    """A ``<style>`` that draws Hangul (only) with the shipped font; JupyterLab's fonts do the rest."""
    faces = "".join(
        f'@font-face {{font-family: "Course Hangul"; src: url("{fonts_folder}/{name}") format("truetype"); '
        f"font-weight: {weight}; unicode-range: {HANGUL_UNICODE_RANGE};}}\n"
        for weight, name in HANGUL_FONT_FILES.items()
    )
    stack = '"Course Hangul", system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif'
    variables = (
        f":root {{--jp-content-font-family: {stack}; --jp-ui-font-family: {stack};}}\n"
        "body {font-family: var(--jp-content-font-family);}"
    )
    return f"<style>\n{faces}{variables}\n</style>\n"


def exporter(language_code: str = "en", mathjax_folder: str = "mathjax"):
    """nbconvert's ``HTMLExporter`` with the reading template, the page's ``lang`` and MathJax at
    ``<page dir>/mathjax_folder``."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_template_basedirs=[str(TEMPLATE_DIR.parent)],
        template_name=TEMPLATE_DIR.name,
        mathjax_url=f"{mathjax_folder}/MathJax.js?config={MATHJAX_CONFIG}",
        language_code=language_code,
    )


_LOADING = re.compile(
    r"""<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\ssrc\s*=\s*["']?(https?:)?//[^"'\s>]*"""
    r"""|<link\b[^>]*\shref\s*=\s*["']?(https?:)?//[^"'\s>]*"""
    r"""|@import\s+(?:url\()?\s*["']?(https?:)?//[^"')\s;]*"""
    r"""|url\(\s*["']?(https?:)?//[^"')\s]*""",
    re.I,
)


def web_references(page: str) -> list[str]:
    """What ``page`` (HTML) would LOAD from the web: scripts, styles, images, fonts with an http(s) or
    protocol-relative address. Hyperlinks (``<a href>``) are not loads and are not listed."""
    return [match.group(0) for match in _LOADING.finditer(page)]


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_TEXT_MODELS = {"HTMLModel", "HTMLMathModel", "LabelModel"}


def _model_id(reference) -> str | None:
    """``"IPY_MODEL_<id>"`` (a child in the saved state) -> ``"<id>"``."""
    prefix = "IPY_MODEL_"
    return reference[len(prefix) :] if isinstance(reference, str) and reference.startswith(prefix) else None


def _saved_image_html(model: dict) -> str:
    """An ``<img>`` (its alt still the placeholder ``@ALT@``) of a saved ``ImageModel``; "" without data."""
    data = next(
        (
            b.get("data")
            for b in model.get("buffers", [])
            if b.get("path") == ["value"] and b.get("encoding") == "base64"
        ),
        None,
    )
    if not data:
        return ""
    values = model.get("state", {})
    width = str(values.get("width", "")).removesuffix("px")
    size = f' width="{width}"' if width.isdigit() else ""
    return (
        f'<img src="data:image/{html.escape(values.get("format", "png"))};base64,{data}"{size} '
        f'alt="@ALT@" style="border:1px solid #bbb">'
    )


def _saved_control_html(name: str, values: dict) -> str:
    """``<code>label = value</code>`` of a saved control (model ``name``, state ``values``), the value as its
    readout shows it (a dropdown's label); "" when it has no value to show."""
    label = values.get("description") or name[: -len("Model")]
    if isinstance(values.get("index"), int) and "_options_labels" in values:  # dropdowns, toggle buttons
        value = values["_options_labels"][values["index"]]
    elif "value" in values and not isinstance(values["value"], (dict, list)):
        value = values["value"]
        if "readout_format" in values and isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                value = format(value, values["readout_format"])
            except (TypeError, ValueError):
                pass
    else:
        return ""
    return f"<div><code>{html.escape(str(label))} = {html.escape(str(value))}</code></div>"


def saved_widget_html(model_id: str, state: dict) -> str | None:
    """A static HTML picture of a widget from the notebook's saved widget state (what nbclient stores):
    its images, texts, progress bars and each control's value, laid out as its boxes were, with the caption
    "interactive in JupyterLab" when it has images or controls. For widgets that do not draw a picture of
    their own (not a ``live_widget``; tqdm's progress bars); the state is the widget as the notebook left
    it. None when there is nothing to show."""
    images, texts, controls = [], [], []

    def render(mid: str, depth: int = 0) -> str:
        model = state.get(mid)
        if model is None or depth > 30:
            return ""
        name, values = model.get("model_name", ""), model.get("state", {})
        if name.endswith("BoxModel") or name in ("AccordionModel", "TabModel", "StackModel"):
            inner = "".join(render(_model_id(child) or "", depth + 1) for child in values.get("children", []))
            direction = "row" if name in ("HBoxModel", "GridBoxModel") else "column"
            return (
                f'<div style="display:flex;flex-direction:{direction};flex-wrap:wrap;gap:4px 12px;'
                f'align-items:flex-start">{inner}</div>'
            )
        if name == "ImageModel":
            picture = _saved_image_html(model)
            images.extend([picture] if picture else [])
            return picture
        if name in _TEXT_MODELS:
            texts.append(values.get("value", ""))
            return f"<div>{values.get('value', '')}</div>"
        if name in ("FloatProgressModel", "IntProgressModel"):  # e.g. tqdm's bar in a notebook
            texts.append("progress")
            return f'<progress value="{values.get("value", 0)}" max="{values.get("max", 100)}"></progress>'
        control = _saved_control_html(name, values)
        controls.extend([control] if control else [])
        return control

    body = render(model_id)
    if not (images or texts or controls):
        return None
    words = _plain(body.replace("@ALT@", ""))
    alt = html.escape(f"Widget picture, as the notebook left it: {words}"[:300], quote=True)
    caption = (
        f"<figcaption><em>{CAPTION} (shown as the notebook left it).</em></figcaption>"
        if images or controls
        else ""
    )
    body = body.replace("@ALT@", alt)
    return f'<figure class="course-widget-picture" style="margin:0">{body}{caption}</figure>'


def prepare_for_reading(nb) -> list[str]:
    """Make an executed notebook ``nb`` static, in place: drop each output's widget view (a ``live_widget``
    keeps its own static picture; any other widget is drawn from the saved widget state by
    :func:`saved_widget_html`, or replaced by a short note when it holds no picture) and the widget state.
    Returns warnings: figures without a title (their alt text is a generic one), widgets without a picture."""
    warnings = []
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                view = data.pop(WIDGET_VIEW)
                if not ({"text/html", "image/png"} & set(data)):
                    picture = saved_widget_html(view.get("model_id", ""), state)
                    data.clear()
                    data["text/html"] = picture or UNRENDERED_WIDGET
                    if picture is None:
                        warnings.append(f"cell {index}: a widget without a picture")
            if "image/png" in data and output.get("metadata", {}).get("untitled"):
                warnings.append(f"cell {index}: a figure without a suptitle or title")
    return warnings


# ---- in the kernel: alt text for figures ----------------------------------------------------------

UNTITLED = "A figure (it has no title)"


def figure_alt(fig) -> str:
    """Alt text for a matplotlib figure: its suptitle, else its axes' titles joined by "; ", else
    :data:`UNTITLED`; in the course's language (a Korean figure's titles are translated when it draws)."""
    plots.translate_figure(fig)
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text().strip():
        return suptitle.get_text().strip()
    titles = [ax.get_title(loc).strip() for ax in fig.axes for loc in ("center", "left", "right")]
    titles = [t for t in titles if t]
    return "; ".join(dict.fromkeys(titles)) if titles else UNTITLED


def load_ipython_extension(ipython) -> None:
    """IPython extension (loaded in the reading copy's kernels): each live widget is displayed by
    :func:`reading_copy_bundle` (``ipython`` None: skipped), and the inline backend's figure metadata gains
    ``alt`` (:func:`figure_alt`), and ``untitled: True`` when the figure has no title."""
    from matplotlib_inline import backend_inline

    if ipython is not None:
        ipython.display_formatter.mimebundle_formatter.for_type(widgets.LiveWidget, reading_copy_bundle)

    original = backend_inline._fetch_figure_metadata
    if getattr(original, "adds_alt_text", False):
        return

    def fetch_figure_metadata(fig):
        metadata = dict(original(fig) or {})
        metadata["alt"] = figure_alt(fig)
        if metadata["alt"] == UNTITLED:
            metadata["untitled"] = True
        return metadata

    fetch_figure_metadata.adds_alt_text = True
    backend_inline._fetch_figure_metadata = fetch_figure_metadata


# ---- in the kernel: a live widget as a static picture ---------------------------------------------


def _images_shown(widget) -> list:
    """The ``ipywidgets.Image`` s inside ``widget``, in display order."""
    import ipywidgets as W

    if isinstance(widget, W.Image):
        return [widget]
    return [image for child in getattr(widget, "children", ()) for image in _images_shown(child)]


def _first_slider(controls):
    """``(name, control, [positions])`` for the first numeric slider: its minimum, start and maximum (the
    midpoint instead of a start that sits at an end); None when no control is a numeric slider."""
    import ipywidgets as W

    for name, control in controls.items():
        if not all(hasattr(control, a) for a in ("min", "max")) or isinstance(control.value, (tuple, list)):
            continue
        low, high = control.min, control.max
        if isinstance(control, W.FloatLogSlider):
            low, high = control.base**low, control.base**high
        start = control.value
        if start in (low, high):
            start = (low + high) / 2 if isinstance(control.value, float) else (low + high) // 2
        return name, control, sorted(set([low, start, high]))
    return None


def _label(name, control, value) -> str:
    """``"z1 = -3.00"``: the control's description and the value as its own readout shows it."""
    try:
        text = format(value, getattr(control, "readout_format", "") or ".3g")
    except (TypeError, ValueError):
        text = str(value)
    return f"{getattr(control, 'description', '') or name} = {text}"


def _plain(text: str) -> str:
    """HTML readout -> plain text for alt attributes."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(text))).split())


def widget_frames(box) -> tuple[list[tuple[str, list[bytes], str]], str | None]:
    """The pictures of a :func:`course_utils.widgets.live_widget` ``box``: ``([(label, pngs, readout),
    ...], slider name)``, its first slider moved to each of :func:`_first_slider`'s positions and put
    back (the box redraws; its state afterwards is the initial one). One frame when it has no slider."""
    snapshot = lambda label: (label, [image.value for image in _images_shown(box)], box.readout.value)  # noqa: E731
    slider = _first_slider(box.controls)
    if slider is None:
        return [snapshot(tr("as it starts"))], None
    name, control, positions = slider
    start = control.value
    frames = []
    try:
        for value in positions:
            control.value = value
            label = _label(name, control, control.value) + (tr(" (start)") if value == start else "")
            frames.append(snapshot(label))
    finally:
        control.value = start
    return frames, getattr(control, "description", "") or name


def _strip_png(frames) -> bytes:
    """All frames' pictures side by side on white, as one PNG (for renderers that take no HTML)."""
    from PIL import Image

    pictures = [Image.open(io.BytesIO(png)).convert("RGB") for _, pngs, _ in frames for png in pngs]
    gap = 12
    width = sum(p.width for p in pictures) + gap * (len(pictures) - 1)
    strip = Image.new("RGB", (max(width, 1), max((p.height for p in pictures), default=1)), "white")
    x = 0
    for picture in pictures:
        strip.paste(picture, (x, 0))
        x += picture.width + gap
    buffer = io.BytesIO()
    strip.save(buffer, format="PNG")
    return buffer.getvalue()


def static_picture(box, bundle: dict) -> tuple[dict, dict]:
    """``bundle`` (ipywidgets' display data for ``box``) plus a static picture of the widget: ``text/html``
    (a strip of frames, each with its readout, alt text and the caption) and ``image/png`` (the strip
    as one picture). Returns ``(data, metadata)`` as IPython's ``_repr_mimebundle_`` may."""
    frames, slider_name = widget_frames(box)
    title = _plain(box.title or "")
    if slider_name:
        caption = tr(
            "{caption}: move “{slider}”. Shown at its minimum, start and maximum.",
            caption=CAPTION,
            slider=slider_name,
        )
    else:
        caption = f"{tr(CAPTION)}."
    figures = []
    for label, pngs, readout in frames:
        prefix = f"{title}: " if title else ""
        alt = html.escape(f"{prefix}{tr('widget picture, {label}.', label=label)} {_plain(readout)}".strip())
        images = "".join(
            f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="{alt}" '
            f'style="margin:0 4px 0 0;border:1px solid #bbb">'
            for png in pngs
        )
        figures.append(
            f'<figure style="margin:0 18px 0 0"><div>{images}</div>'
            f"<figcaption><b>{html.escape(label)}</b><br>{readout}</figcaption></figure>"
        )
    page = (
        '<figure class="course-widget-picture" style="margin:0">'
        + (f"<div><b>{html.escape(title)}</b></div>" if title else "")
        + f'<div style="display:flex;flex-wrap:wrap;align-items:flex-start">{"".join(figures)}</div>'
        f"<figcaption><em>{html.escape(caption)}</em></figcaption></figure>"
    )
    data = dict(bundle)
    data["text/html"] = page
    data["image/png"] = base64.b64encode(_strip_png(frames)).decode()
    pictures = tr("widget pictures ({labels}).", labels=", ".join(f[0] for f in frames))
    alt_all = f"{title + ': ' if title else ''}{pictures} {caption}"
    return data, {"image/png": {"alt": alt_all}}


def reading_copy_bundle(box: widgets.LiveWidget) -> tuple[dict, dict]:
    """The display data of a live widget in the reading copy: ipywidgets' live view plus
    :func:`static_picture`. Outside the reading copy (``COURSE_READING_COPY`` unset) the live view alone."""
    bundle = box._repr_mimebundle_()
    return static_picture(box, bundle) if building_reading_copy() else (bundle, {})
