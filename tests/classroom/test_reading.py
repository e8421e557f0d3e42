"""The reading copy's parts, in-process (no kernel): alt text, widgets as static pictures, the page template.

The whole command, executed and opened offline in Chromium, is tests/browser/test_reading_copy.py.
"""

import base64
import html
import io
import re

import ipywidgets as W
import matplotlib
import nbformat
import numpy as np
import pytest
from PIL import Image

from course_utils import widgets
from course_utils.classroom import reading

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def grey_widget(**slider):
    """A live_widget whose picture is a flat grey at the slider's level; counts its draws."""
    draws = []

    def draw(level, mode="a"):
        draws.append(level)
        return np.full((28, 28), float(level) / 10), f"<b>level</b> = {level}", {"level": level}

    control = (W.IntSlider if isinstance(slider.get("value", 0), int) else W.FloatSlider)(
        description="level", **slider
    )
    box = widgets.live_widget({"level": control, "mode": W.Dropdown(options=["a", "b"])}, draw, title="Grey")
    return box, control, draws


def image_alts(page: str) -> list:
    """The alt attribute of every <img> in an HTML page (None where there is none)."""
    from html.parser import HTMLParser

    alts = []

    class Images(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img":
                alts.append(dict(attrs).get("alt"))

    Images().feed(page)
    return alts


def decoded(png_b64_or_bytes):
    data = png_b64_or_bytes if isinstance(png_b64_or_bytes, bytes) else base64.b64decode(png_b64_or_bytes)
    return Image.open(io.BytesIO(data))


def test_web_references_lists_loads_not_links():
    page = (
        '<script src="https://cdn.example/require.js"></script><link rel="stylesheet" href="//cdn/x.css">'
        '<style>@import url("https://fonts.example/a.css"); b {src: url(http://f.example/a.woff)}</style>'
        '<img src="http://a.example/b.png"><a href="https://arxiv.org/abs/1312.6114">the paper</a>'
        '<script src="mathjax/MathJax.js?config=x"></script><img src="data:image/png;base64,AAAA">'
    )
    loads = reading.web_references(page)
    assert len(loads) == 5 and not any("arxiv" in x or "mathjax/" in x or "data:" in x for x in loads)
    assert reading.web_references('<a href="https://x.example">x</a><img src="local.png">') == []


def test_figure_alt_from_suptitle_titles_or_a_fallback():
    fig, axes = plt.subplots(1, 2)
    assert reading.figure_alt(fig) == reading.UNTITLED
    axes[0].set_title("codes")
    axes[1].set_title("decoded", loc="left")
    assert reading.figure_alt(fig) == "codes; decoded"
    fig.suptitle("The 2-D latent space")
    assert reading.figure_alt(fig) == "The 2-D latent space"
    plt.close(fig)


def test_extension_adds_alt_to_the_inline_backends_metadata(monkeypatch):
    from matplotlib_inline import backend_inline

    monkeypatch.setattr(backend_inline, "_fetch_figure_metadata", backend_inline._fetch_figure_metadata)
    reading.load_ipython_extension(None)
    reading.load_ipython_extension(None)  # loading twice wraps once
    assert backend_inline._fetch_figure_metadata.adds_alt_text
    fig, ax = plt.subplots()
    assert backend_inline._fetch_figure_metadata(fig) == {"alt": reading.UNTITLED, "untitled": True}
    ax.set_title("Posterior of one digit")
    assert backend_inline._fetch_figure_metadata(fig) == {"alt": "Posterior of one digit"}
    plt.close(fig)


def test_live_widget_bundle_is_plain_ipywidgets_outside_the_reading_copy(monkeypatch):
    monkeypatch.delenv(reading.READING_COPY_VARIABLE, raising=False)
    box, _, draws = grey_widget(value=3.0, min=0.0, max=10.0)
    assert set(box._repr_mimebundle_()) == {"text/plain", reading.WIDGET_VIEW}
    bundle, metadata = reading.reading_copy_bundle(box)
    assert set(bundle) == {"text/plain", reading.WIDGET_VIEW} and metadata == {}
    assert draws == [3.0]  # displaying it drew nothing more


def test_the_extension_displays_live_widgets_with_their_static_picture(monkeypatch):
    """In the reading copy's kernel IPython's display formatter asks reading_copy_bundle for a live widget."""
    from types import SimpleNamespace

    from IPython.core.formatters import DisplayFormatter
    from matplotlib_inline import backend_inline

    monkeypatch.setattr(backend_inline, "_fetch_figure_metadata", backend_inline._fetch_figure_metadata)
    monkeypatch.setenv(reading.READING_COPY_VARIABLE, "1")
    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    box, _, _ = grey_widget(value=3.0, min=0.0, max=10.0)
    assert "text/html" not in shell.display_formatter.format(box)[0]
    reading.load_ipython_extension(shell)
    data, metadata = shell.display_formatter.format(box)
    assert reading.WIDGET_VIEW in data and data["text/html"].count("<img") == 3
    assert "Interactive in JupyterLab" in metadata["image/png"]["alt"]
    plain = W.VBox([W.Label("not a live widget")])
    assert "text/html" not in shell.display_formatter.format(plain)[0]


def test_live_widget_in_the_reading_copy_adds_a_strip_of_three_frames_and_restores_itself(monkeypatch):
    monkeypatch.setenv(reading.READING_COPY_VARIABLE, "1")
    box, control, draws = grey_widget(value=3.0, min=0.0, max=10.0)
    before = box.image.value
    data, metadata = reading.reading_copy_bundle(box)
    assert reading.WIDGET_VIEW in data  # JupyterLab still gets the live widget
    page = data["text/html"]
    sources = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', page)
    assert len(sources) == 3 and image_alts(page) == [html.unescape(alt) for _, alt in sources]
    levels = [int(np.asarray(decoded(s).convert("L"))[0, 0]) for s, _ in sources]
    assert levels == [0, int(np.round(0.3 * 255)), 255]  # min, start, max: what draw() made there
    assert [alt for _, alt in sources] == [
        "Grey: widget picture, level = 0.00. level = 0.0",  # + readout
        "Grey: widget picture, level = 3.00 (start). level = 3.0",
        "Grey: widget picture, level = 10.00. level = 10.0",
    ]
    assert "<b>level</b> = 10.0" in page and "Interactive in JupyterLab: move “level”" in page
    strip = decoded(data["image/png"])
    assert strip.width == 3 * 168 + 2 * 12 and strip.height == 168
    assert "Interactive in JupyterLab" in metadata["image/png"]["alt"]
    # put back: the live widget shows its start again
    assert control.value == 3.0 and box.values() == {"level": 3.0} and box.image.value == before
    assert draws == [3.0, 0.0, 3.0, 10.0, 3.0]


@pytest.mark.parametrize(
    "slider, expected",
    [
        (dict(value=0, min=0, max=8), ["0 (start)", "4", "8"]),
        (dict(value=8, min=0, max=8), ["0", "4", "8 (start)"]),
        (dict(value=2.0, min=2.0, max=2.5), ["2.00 (start)", "2.25", "2.50"]),
    ],
)
def test_a_start_at_an_end_shows_the_midpoint(monkeypatch, slider, expected):
    """A slider that starts at an end still shows three distinct positions (the midpoint in the middle)."""
    monkeypatch.setenv(reading.READING_COPY_VARIABLE, "1")
    box, control, _ = grey_widget(**slider)
    frames, name = reading.widget_frames(box)
    assert name == "level" and [label.split(" = ")[1] for label, _, _ in frames] == expected
    assert control.value == slider["value"]


def test_a_widget_without_a_slider_shows_one_frame(monkeypatch):
    monkeypatch.setenv(reading.READING_COPY_VARIABLE, "1")
    box = widgets.live_widget(
        {"which": W.Dropdown(options=[1, 2])}, lambda which: (np.zeros((28, 28)), f"digit {which}")
    )
    data, _ = reading.reading_copy_bundle(box)
    assert data["text/html"].count("<img") == 1 and "digit 1" in data["text/html"]
    assert "Interactive in JupyterLab." in data["text/html"] and "move" not in data["text/html"]


def saved_state(png: str) -> dict:
    """Widget state as nbclient saves it: box "other" = [HTML title, HBox [slider, dropdown, image], label];
    box "bare" holds a slider only, "empty" nothing, "tqdm" a progress bar and its count."""

    def model(name, **state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}

    state = {
        "other": model("VBoxModel", children=["IPY_MODEL_title", "IPY_MODEL_row", "IPY_MODEL_label"]),
        "title": model("HTMLModel", value="<b>Posterior explorer</b>"),
        "row": model("HBoxModel", children=["IPY_MODEL_slider", "IPY_MODEL_pick", "IPY_MODEL_image"]),
        "slider": model("FloatSliderModel", description="z1", value=0.25, readout_format=".2f"),
        "pick": model("DropdownModel", description="digit", index=1, _options_labels=["3", "7"]),
        "image": model("ImageModel", format="png", width="140"),
        "label": model("LabelModel", value="gap = 1.5 nats"),
        "bare": model("VBoxModel", children=["IPY_MODEL_slider"]),
        "empty": model("VBoxModel", children=[]),
        "tqdm": model("HBoxModel", children=["IPY_MODEL_bar", "IPY_MODEL_count"]),
        "bar": model("FloatProgressModel", value=30, max=30),
        "count": model("HTMLModel", value="30/30 [00:05]"),
    }
    state["image"]["buffers"] = [{"path": ["value"], "encoding": "base64", "data": png}]
    return {"state": state, "version_major": 2, "version_minor": 0}


def test_a_widget_that_is_no_live_widget_is_drawn_from_the_saved_state():
    state = saved_state("AAAA")["state"]
    page = reading.saved_widget_html("other", state)
    assert '<img src="data:image/png;base64,AAAA" width="140"' in page
    assert (
        page.index("Posterior explorer")
        < page.index("z1 = 0.25")
        < page.index("digit = 7")
        < page.index("<img")
        < page.index("gap = 1.5 nats")
    )
    assert image_alts(page) == [
        "Widget picture, as the notebook left it: Posterior explorer z1 = 0.25 digit = 7 gap = 1.5 nats"
    ]
    assert "Interactive in JupyterLab (shown as the notebook left it)." in page
    assert reading.saved_widget_html("bare", state).count("z1 = 0.25") == 1  # controls alone: their values
    assert reading.saved_widget_html("empty", state) is None  # nothing to show: the note instead
    assert reading.saved_widget_html("unknown", state) is None
    bar = reading.saved_widget_html("tqdm", state)
    assert '<progress value="30" max="30"></progress>' in bar and "30/30 [00:05]" in bar
    assert "Interactive" not in bar


def executed_notebook():
    """A notebook as nbclient leaves it: a formula, a titled figure, a live widget's bundle, another widget
    (drawn from the saved state), a widget with no picture, an untitled figure."""
    png = base64.b64encode(widgets.png_bytes(np.eye(28))).decode()
    view = {"model_id": "other", "version_major": 2, "version_minor": 0}
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": saved_state(png)}
    nb.cells = [
        nbformat.v4.new_markdown_cell("The bound $$\\log p(x) \\ge \\mathrm{ELBO}$$"),
        nbformat.v4.new_code_cell(
            "plt.show()",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={"image/png": png, "text/plain": "<Figure>"},
                    metadata={"alt": 'An identity & a "quote"'},
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "box",
            outputs=[
                nbformat.v4.new_output(
                    "execute_result",
                    execution_count=2,
                    data={
                        reading.WIDGET_VIEW: view,
                        "text/plain": "VBox()",
                        "text/html": "<p>frames</p>",
                        "image/png": png,
                    },
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "other",
            outputs=[
                nbformat.v4.new_output(
                    "display_data", data={reading.WIDGET_VIEW: view, "text/plain": "VBox()"}
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "bare",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={reading.WIDGET_VIEW: dict(view, model_id="empty"), "text/plain": "VBox()"},
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "untitled",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={"image/png": png},
                    metadata={"alt": reading.UNTITLED, "untitled": True},
                )
            ],
        ),
    ]
    return nb


def test_prepare_for_reading_drops_widget_views_and_warns():
    nb = executed_notebook()
    warnings = reading.prepare_for_reading(nb)
    assert "widgets" not in nb.metadata
    assert all(reading.WIDGET_VIEW not in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert nb.cells[2].outputs[0].data["text/html"] == "<p>frames</p>"
    assert nb.cells[3].outputs[0].data == {
        "text/html": reading.saved_widget_html(
            "other", saved_state(nb.cells[1].outputs[0].data["image/png"])["state"]
        )
    }
    assert nb.cells[4].outputs[0].data == {"text/html": reading.UNRENDERED_WIDGET}
    assert warnings == ["cell 4: a widget without a picture", "cell 5: a figure without a suptitle or title"]


def test_the_page_loads_nothing_from_the_web_and_every_image_has_alt_text():
    nb = executed_notebook()
    reading.prepare_for_reading(nb)
    exporter = reading.exporter(language_code="ko")
    page, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": "x"}})
    assert reading.web_references(page) == []
    assert '<script src="mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe">' in page
    assert 'webFont: "STIX-Web"' in page and '<html lang="ko">' in page
    assert "require.js" not in page and "widget-state" not in page and "mermaid" not in page
    alts = image_alts(page)
    assert len(alts) == 3  # the figure, the other widget's picture, the untitled figure
    assert alts[0] == 'An identity & a "quote"' and alts[2] == reading.UNTITLED
    assert alts[1].startswith("Widget picture, as the notebook left it: Posterior explorer")
    assert "<p>frames</p>" in page and "open the notebook in JupyterLab" in page


def test_copy_mathjax_brings_the_renderer_and_its_fonts(tmp_path):
    folder = reading.copy_mathjax(tmp_path)
    assert (folder / "MathJax.js").is_file()
    assert (folder / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()
    assert list((folder / "fonts" / "HTML-CSS" / "STIX-Web" / "woff").glob("*.woff"))
    assert (folder / "jax" / "output" / "HTML-CSS" / "fonts" / "STIX-Web" / "fontdata.js").is_file()
