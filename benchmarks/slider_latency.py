"""Slider latency: time from a slider change to the new PNG being in the latent explorer's image.

Uses the course's standard 2-D VAE (course_utils.recipes.vae, trained or loaded from the cache) and
the 20-D one, moves a slider 200 times and reports the median and 95th percentile.

Run: python benchmarks/slider_latency.py
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's course_utils first

from common import machine  # noqa: E402

from course_utils import config, data, recipes, widgets  # noqa: E402


def measure(box, name, moves=200):
    slider = box.controls[name]
    values = np.linspace(slider.min, slider.max, moves)
    times = []
    for v in values:
        before = box.image.value
        start = time.perf_counter()
        slider.value = float(v)  # the observer decodes and writes the PNG synchronously
        times.append((time.perf_counter() - start) * 1000)
        assert box.image.value != before or v == values[0]
    times.sort()
    return statistics.median(times), times[int(0.95 * len(times)) - 1]


def main():
    print(f"machine: {machine()}")
    x, _ = data.load_mnist(train=True)
    xt, _ = data.load_mnist(train=False)
    for dim in (2, 20):
        model, _ = recipes.vae(dim, x[: config.TRAIN_SIZE], xt)
        box = widgets.latent_explorer(model, dims=[0, 1])
        median, p95 = measure(box, "z1")
        print(
            f"latent_explorer on the {dim}-D VAE: median {median:.2f} ms, 95th percentile {p95:.2f} ms "
            f"over 200 moves"
        )
    box = widgets.interpolation_slider(model, xt[0], xt[1])
    median, p95 = measure(box, "alpha")
    print(
        f"interpolation_slider (two images per redraw): median {median:.2f} ms, 95th percentile {p95:.2f} ms"
    )


if __name__ == "__main__":
    main()
