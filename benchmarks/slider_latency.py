"""Slider latency: time from a slider change to the new PNG being in the latent explorer's image.

Uses the course's standard 2-D VAE (course_utils.recipes.vae, trained or loaded from the cache) and
the 20-D one, moves a slider 200 times and reports the median and 95th percentile.

Run: python benchmarks/slider_latency.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's course_utils first

from common import machine, slider_times  # noqa: E402

from course_utils import config, data, recipes, widgets  # noqa: E402


def main():
    print(f"machine: {machine()}")
    x, _ = data.load(train=True)
    xt, _ = data.load(train=False)
    for dim in (2, 20):
        model, _ = recipes.vae(dim, x[: config.TRAIN_SIZE], xt)
        box = widgets.latent_explorer(model, dims=[0, 1])
        median, p95 = slider_times(box.controls["z1"], lambda box=box: box.image.value)
        print(
            f"latent_explorer on the {dim}-D VAE: median {median:.2f} ms, 95th percentile {p95:.2f} ms "
            f"over 200 moves"
        )
    box = widgets.interpolation_slider(model, xt[0], xt[1])
    median, p95 = slider_times(box.controls["alpha"], lambda: [im.value for im in box.images])
    print(
        f"interpolation_slider (two images per redraw): median {median:.2f} ms, 95th percentile {p95:.2f} ms"
    )


if __name__ == "__main__":
    main()
