"""Slider latency of notebook 6's widgets: the CVAE explorer and the AAE explorer.

Loads (or trains) the notebook's models exactly as the notebook does, moves each widget's first slider
200 times, and reports the median and 95th percentile of the time from setting the value to the new
PNG(s) being in the widget.

Run: python benchmarks/slider_latency_ch6.py        (COURSE_FAST=1 for the fast-mode models)
"""

import torch
from common import machine, slider_times

from course_utils import config, data, models
from course_utils.ch6_conditional import aae, trained
from course_utils.ch6_conditional import widgets as conditional_widgets


def main():
    print(f"machine: {machine()}; fast mode: {config.FAST}")
    x_all, y_all = data.load(train=True)
    x_test, y_test = data.load(train=False)
    pick = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(0))[: config.TRAIN_SIZE]
    x, y = x_all[pick.to(x_all.device)], y_all[pick.to(x_all.device)]
    cvae2, _ = trained.cvae(2, x, y, x_test[: config.TEST_SIZE], y_test[: config.TEST_SIZE])
    box = conditional_widgets.cvae_explorer(cvae2)
    median, p95 = slider_times(box.controls["z1"], lambda: box.image.value)
    print(f"cvae_explorer (one digit per redraw): median {median:.2f} ms, 95th percentile {p95:.2f} ms")
    aaes = {prior: trained.aae(prior, x, y)[0] for prior in aae.PRIORS}
    labels = y_test[:1000].cpu()
    maps = {
        p: conditional_widgets.code_map(
            models.latent_codes(m, x_test[:1000]).cpu(), labels, aae.sample_prior(p, 1000, labels), extent=6.0
        )
        for p, m in aaes.items()
    }
    box = conditional_widgets.aae_explorer(aaes, maps)
    median, p95 = slider_times(box.controls["z1"], lambda: [im.value for im in box.images])
    print(
        f"aae_explorer (map with a cross + one digit per redraw): median {median:.2f} ms, "
        f"95th percentile {p95:.2f} ms"
    )


if __name__ == "__main__":
    main()
