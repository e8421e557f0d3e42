"""Notebook 1 (MLE and the MSE pitfall): the neuron run, the image edits, and every widget's callbacks."""

import contextlib
import io
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from PIL import Image

from course_utils.ch1_mle import likelihood, mse_pitfall, neuron
from course_utils.ch1_mle import widgets as mle_widgets

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01_mle_and_mse.ipynb"


def decode_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def numbers(text: str) -> list[float]:
    return [float(s) for s in re.findall(r"[-+]?\d+\.\d+", text)]


# ----------------------------------------------------------------------------------------------
# The one-neuron run (viewpoint I)
# ----------------------------------------------------------------------------------------------


def test_neuron_starts_at_nielsens_point_and_mse_plateaus():
    mse, ce = neuron.train_neuron("mse"), neuron.train_neuron("ce")
    for run in (mse, ce):
        assert all(len(v) == 301 for v in run.values())
        assert run["output"][0] == pytest.approx(1 / (1 + math.exp(-4)))  # 0.982
    assert mse["output"][100] > 0.95  # the plateau
    assert ce["output"][100] < 0.05  # cross-entropy learns at once
    assert mse["output"][-1] > ce["output"][-1]
    assert mse["loss"] == sorted(mse["loss"], reverse=True)  # gradient descent lowers the cost each epoch


def test_neuron_first_step_is_the_textbook_gradient():
    a = 1 / (1 + math.exp(-4))
    mse = neuron.train_neuron("mse", lr=0.5, epochs=1)
    ce = neuron.train_neuron("ce", lr=0.5, epochs=1)
    assert mse["w"][1] == pytest.approx(2 - 0.5 * a * a * (1 - a))  # (a - y) sigma'(z) x with y=0, x=1
    assert ce["w"][1] == pytest.approx(2 - 0.5 * a)  # (a - y) x
    assert ce["loss"][0] == pytest.approx(-math.log(1 - a))


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_neuron_run_matches_gradient_descent_by_autograd(loss):
    run = neuron.train_neuron(loss, w=1.5, b=-0.7, lr=0.8, epochs=20, x=0.6, y=0.3)
    params = torch.tensor([1.5, -0.7], dtype=torch.float64, requires_grad=True)
    for epoch in range(21):
        cost = neuron.neuron_cost(loss, params[0] * 0.6 + params[1], 0.3)
        assert params[0].item() == pytest.approx(run["w"][epoch], rel=1e-9)
        assert params[1].item() == pytest.approx(run["b"][epoch], rel=1e-9)
        assert cost.item() == pytest.approx(run["loss"][epoch], rel=1e-9)
        (grad,) = torch.autograd.grad(cost, params)
        with torch.no_grad():
            params -= 0.8 * grad


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"loss": "l1"}, "loss must be one of"),
        ({"lr": 0.0}, "lr must be a positive"),
        ({"epochs": -1}, "epochs must be a non-negative integer"),
        ({"w": float("nan")}, "w must be a finite"),
        ({"y": 2.0}, r"target y must lie in \[0, 1\]"),
    ],
)
def test_neuron_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        neuron.train_neuron(**kwargs)


def test_neuron_widget_each_control_redraws_and_reports_the_run():
    box = mle_widgets.neuron_widget(epochs=40)

    def runs():
        c = {name: control.value for name, control in box.controls.items()}
        chosen = ["mse", "ce"] if c["loss"] == "both" else [c["loss"]]
        return {name: neuron.train_neuron(name, w=c["w"], b=c["b"], lr=c["lr"], epochs=40) for name in chosen}

    def check_readout():
        expected = []
        for name, run in runs().items():
            expected += [40, run["output"][-1], run["loss"][-1]]
            assert box.values()[name] == {"output": run["output"][-1], "cost": run["loss"][-1]}
        assert len(box.values()) == (2 if box.controls["loss"].value == "both" else 1)
        shown = [float(n) for n in re.findall(r"[-+]?\d+(?:\.\d+)?", re.sub(r"<br>", " ", box.readout.value))]
        assert shown == pytest.approx(expected, abs=5e-5)

    check_readout()
    for name, value in (("w", -1.0), ("b", 3.0), ("lr", 1.0)):
        before = box.image.value
        box.controls[name].value = value
        assert box.image.value != before, f"moving {name} did not redraw"
        check_readout()
    run = runs()["mse"]
    assert run["w"][0] == -1.0 and run["b"][0] == 3.0
    assert run["w"][1] == pytest.approx(neuron.train_neuron("mse", w=-1.0, b=3.0, lr=1.0, epochs=1)["w"][1])
    for choice in ("mse", "ce", "both"):
        before = box.image.value
        box.controls["loss"].value = choice
        assert box.image.value != before, f"choosing {choice} did not redraw"
        check_readout()
    assert "quadratic" in box.readout.value and "cross-entropy" in box.readout.value
    assert decode_png(box.image.value).shape[1] > 400


# ----------------------------------------------------------------------------------------------
# Image edits (the MSE pitfall)
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def img():
    return torch.rand(28, 28, generator=torch.Generator().manual_seed(0))


def test_erase_box_zeros_exactly_the_box_and_copies(img):
    out = mse_pitfall.erase_box(img, 3, 5, 4, 6)
    assert (out[3:7, 5:11] == 0).all()
    mask = torch.ones(28, 28, dtype=torch.bool)
    mask[3:7, 5:11] = False
    assert torch.equal(out[mask], img[mask])
    assert img[3:7, 5:11].min() > 0  # the input is untouched
    assert torch.equal(mse_pitfall.erase_box(img, 0, 0, 0, 5), img)
    batch = img.expand(2, 1, 28, 28)
    assert (mse_pitfall.erase_box(batch, 0, 0, 2, 2)[:, :, :2, :2] == 0).all()


def test_whole_pixel_shift_is_a_roll_with_zero_fill(img):
    out = mse_pitfall.shift(img, dx=2, dy=-3)
    rolled = torch.roll(img, shifts=(-3, 2), dims=(0, 1))
    rolled[-3:, :] = 0  # rows that wrapped around from the top
    rolled[:, :2] = 0  # columns that wrapped around from the right
    assert torch.allclose(out, rolled)
    assert torch.equal(mse_pitfall.shift(img, 0, 0), img)
    assert mse_pitfall.shift(img, 30, 0).abs().sum() == 0


def test_half_pixel_shift_averages_neighbours(img):
    right = mse_pitfall.shift(img, 0.5, 0)
    assert torch.allclose(right[:, 1:], 0.5 * (img[:, 1:] + img[:, :-1]))
    assert torch.allclose(right[:, 0], 0.5 * img[:, 0])
    up = mse_pitfall.shift(img, 0, -0.5)
    assert torch.allclose(up[:-1], 0.5 * (img[:-1] + img[1:]))
    quarter = mse_pitfall.shift(img, 0.25, 0)
    assert torch.allclose(quarter[:, 1:], 0.75 * img[:, 1:] + 0.25 * img[:, :-1])
    # shifting by 0.5 twice is two averaging steps, not a whole-pixel shift: interpolation smooths
    assert not torch.allclose(mse_pitfall.shift(right, 0.5, 0), mse_pitfall.shift(img, 1, 0))
    batch = mse_pitfall.shift(img.expand(3, 1, 28, 28), 0.5, 0.5)
    assert batch.shape == (3, 1, 28, 28) and torch.allclose(batch[2, 0], mse_pitfall.shift(img, 0.5, 0.5))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: mse_pitfall.erase_box(x, 26, 0, 4, 4), "does not fit inside the 28x28 image"),
        (lambda x: mse_pitfall.erase_box(x, -1, 0, 2, 2), "does not fit inside"),
        (lambda x: mse_pitfall.erase_box(x, 0, 0, -2, 2), "height and width must be >= 0"),
        (lambda x: mse_pitfall.erase_box(x, 0, 0, 2.5, 2), "whole number of pixels"),
        (lambda x: mse_pitfall.erase_box(x.numpy(), 0, 0, 2, 2), "expected a torch.Tensor"),
        (lambda x: mse_pitfall.shift(x, float("nan"), 0), "dx must be a finite number"),
        (lambda x: mse_pitfall.shift(x, 0, "1"), "dy must be a finite number"),
        (lambda x: mse_pitfall.shift(x[0], 1, 0), "at least 2 dimensions"),
        (lambda x: mse_pitfall.squared_distance(x, x[:5]), "shapes differ"),
        (lambda x: mse_pitfall.top_stroke_box(torch.zeros(28, 28)), "no pixel is brighter"),
    ],
)
def test_image_helpers_reject_bad_input_clearly(img, call, message):
    with pytest.raises(ValueError, match=message):
        call(img)


def test_squared_distance_is_a_sum_over_pixels(img):
    assert mse_pitfall.squared_distance(img, torch.zeros_like(img)) == pytest.approx(
        float((img**2).sum()), rel=1e-6
    )


def test_top_stroke_box_cuts_the_top_of_the_ink():
    digit = torch.zeros(28, 28)
    digit[10:12, 8:20] = 1.0  # a horizontal bar
    top, left, h, w = mse_pitfall.top_stroke_box(digit, size=4)
    assert (h, w) == (4, 4) and top == 9 and left == 12
    assert mse_pitfall.erase_box(digit, top, left, h, w).sum() == digit.sum() - 8


@pytest.fixture
def two():
    digit = torch.zeros(28, 28)
    digit[5:8, 8:20] = 1.0
    digit[8:20, 17:20] = 0.8
    digit[18:21, 6:20] = 0.9
    return digit


def test_pitfall_widget_each_slider_redraws_with_the_right_distances(two):
    box = mle_widgets.mse_pitfall_widget(two)

    def check():
        s = {k: v.value for k, v in box.controls.items()}
        b = mse_pitfall.erase_box(two, s["top"], s["left"], s["height"], s["width"])
        c = mse_pitfall.shift(two, s["dx"], s["dy"])
        d_b, d_c = mse_pitfall.squared_distance(two, b), mse_pitfall.squared_distance(two, c)
        assert (box.values()["erased"], box.values()["shifted"]) == pytest.approx((d_b, d_c))
        shown = numbers(box.readout.value)
        assert shown[:2] == pytest.approx([d_b, d_c], abs=5e-5)
        assert ("(b) the broken digit" in box.readout.value) == (d_b < d_c)

    check()
    for name, value in (("top", 10), ("left", 15), ("height", 6), ("width", 2), ("dx", -0.35), ("dy", 1.0)):
        before = box.image.value
        box.controls[name].value = value
        assert box.image.value != before, f"moving {name} did not redraw"
        check()
    # moving the box to the edge shrinks its height so that it stays inside the image
    box.controls["top"].value = 25
    assert box.controls["height"].value == 3 and box.controls["height"].max == 3
    assert box.values()["box"] == (25, 15, 3, 2)
    check()


def test_pitfall_widget_default_box_and_shift(two):
    box = mle_widgets.mse_pitfall_widget(two)
    assert (box.controls["dx"].value, box.controls["dy"].value) == (0.5, 0.5)
    assert tuple(
        box.controls[k].value for k in ("top", "left", "height", "width")
    ) == mse_pitfall.top_stroke_box(two)


# ----------------------------------------------------------------------------------------------
# Likelihood widgets (viewpoint II)
# ----------------------------------------------------------------------------------------------


def test_gaussian_widget_shows_the_nll_of_the_target():
    box = mle_widgets.gaussian_widget()

    def check():
        mu, y = box.controls["mu"].value, box.controls["y"].value
        expected = 0.5 * (y - mu) ** 2 + 0.5 * math.log(2 * math.pi)
        assert box.values()["nll"] == pytest.approx(expected, rel=1e-9)
        assert numbers(box.readout.value)[-1] == pytest.approx(expected, abs=5e-5)

    check()
    for name, value in (("mu", -1.25), ("y", 2.5)):
        before = box.image.value
        box.controls[name].value = value
        assert box.image.value != before, f"moving {name} did not redraw"
        check()


def test_bernoulli_widget_shows_the_nll_of_the_target():
    box = mle_widgets.bernoulli_widget()

    def check():
        p, y = box.controls["p"].value, box.controls["y"].value
        expected = -math.log(p) if y == 1 else -math.log(1 - p)
        assert box.values()["nll"] == pytest.approx(expected, rel=1e-9)
        assert numbers(box.readout.value)[0] == pytest.approx(expected, abs=5e-5)

    check()
    before = box.image.value
    box.controls["p"].value = 0.1
    assert box.image.value != before
    check()
    before = box.image.value
    box.controls["y"].value = 0
    assert box.image.value != before
    check()
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        likelihood.bernoulli_nll_value(1.0, 1)


# ----------------------------------------------------------------------------------------------
# The notebook's exercises: the solutions pass their checkers, and the cells follow the convention
# ----------------------------------------------------------------------------------------------


def test_notebook_exercise_solutions_pass_their_checkers():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "exercise" in c.metadata.get("tags", [])]
    assert len(cells) == 3
    for cell in cells:
        assert "# BEGIN SOLUTION" in cell.source and "# END SOLUTION" in cell.source
        assert not cell.get("outputs")
        namespace = {}
        exec(
            "import math\nimport torch\nimport torch.nn.functional as F\n"
            "from course_utils.ch1_mle import exercises\n",
            namespace,
        )
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(cell.source, namespace)
        assert "✅" in output.getvalue() and "❌" not in output.getvalue(), output.getvalue()
