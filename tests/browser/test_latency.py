"""The slider as the student feels it: from a key press on a slider to the new picture on the screen.

JupyterLab in headless Chromium (the machinery of browser_support.py) runs a small notebook with the
course's live widgets on the standard fast-mode VAEs (``recipes.vae``, shared with notebook 5 through
the checkpoint cache). For each of the latent explorer on the 2-D VAE, the latent explorer on the
20-D VAE (its slider on the most used latent dimension) and the interpolation slider, the test
presses an arrow key on the slider 30 times, one move at a time, and measures in the page, with
``performance.now()``:

- ``keydown``: the key press reaches the slider (the start);
- ``src``: the kernel's new PNG arrives and the ``<img>`` gets its new ``src`` (every picture of the
  widget: the interpolation redraws two), i.e. the round trip slider -> comm -> kernel -> comm;
- ``decoded``: the browser has decoded the new PNG(s) (``img.decode()``);
- ``painted``: the frame that shows them has been painted (``requestAnimationFrame``, then a task
  queued from it runs after that frame's paint).

It prints the median and the 95th percentile of each and writes them to
test-artifacts/slider_latency.json (BENCHMARKS.md quotes them). The goal, a median under 100 ms,
depends on the machine and its load, so the test asserts only a loose sanity bound: every move is
painted, with a median under 2 s.
"""

from __future__ import annotations

import json
import statistics

import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is not installed (python -m pip install -r requirements.txt)",
)

from browser_support import (  # noqa: E402
    ARTIFACTS,
    image_bytes,
    open_notebook,
    run_all_cells,
    slider_range,
    widget_problems,
    write_notebook,
)

MOVES = 30
SANITY_MEDIAN_MS = 2000  # not the goal (100 ms): a bound that only a broken round trip exceeds
NOTEBOOK = "slider_latency.ipynb"
CELLS = [
    """import torch
from course_utils import config, data, losses, recipes, widgets
config.seed_everything(0)
x_train, _ = data.load(train=True)
x_test, _ = data.load(train=False)
x_train = x_train[:config.TRAIN_SIZE]            # notebook 5's slice: its cached models are reused
vae2, _ = recipes.vae(2, x_train, x_test)
vae20, _ = recipes.vae(20, x_train, x_test)
with torch.no_grad():
    mu, logvar = vae20.encode(x_test)
    kl_per_dim = losses.kl_per_dim(mu, logvar).mean(0)
busiest = int(kl_per_dim.argmax())               # a slider that changes the picture at every step""",
    "widgets.latent_explorer(vae2)",
    "widgets.latent_explorer(vae20, dims=[busiest])",
    "widgets.interpolation_slider(vae20, x_test[0], x_test[1])",
]
WIDGETS = [
    (1, "latent_explorer, 2-D VAE"),
    (2, "latent_explorer, 20-D VAE"),
    (3, "interpolation_slider (two pictures)"),
]

# Installed once per widget: timestamps of one move, from the key press to the paint of its pictures.
_INSTRUMENT_JS = """(root) => {
  const imgs = Array.from(root.querySelectorAll('img'));
  const L = window.__latency = {n_images: imgs.length, moves: [], current: null};
  root.addEventListener('keydown', () => {
    L.current = {keydown: performance.now(), src: null, decoded: null, painted: null, seen: new Set()};
  }, true);
  for (const img of imgs) {
    new MutationObserver(() => {
      const move = L.current;
      if (!move || move.seen.has(img)) return;
      move.seen.add(img);
      if (move.seen.size === imgs.length) move.src = performance.now();
      img.decode().then(() => {
        move.decodedCount = (move.decodedCount || 0) + 1;
        if (move.decodedCount !== imgs.length) return;
        move.decoded = performance.now();
        requestAnimationFrame(() => setTimeout(() => {
          move.painted = performance.now();
          L.moves.push({src: move.src - move.keydown, decoded: move.decoded - move.keydown,
                        painted: move.painted - move.keydown});
          if (L.current === move) L.current = null;
        }, 0));
      }, (err) => { L.moves.push({error: String(err)}); });
    }).observe(img, {attributes: true, attributeFilter: ['src']});
  }
  return imgs.length;
}"""


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))]


def measure_moves(page, cell, name: str) -> dict:
    """Press an arrow key on the widget's first slider MOVES times, one move at a time."""
    output = cell.locator(".jp-OutputArea").first
    handle_slider = output.locator(".widget-slider").first
    handle_slider.scroll_into_view_if_needed()
    n_images = output.evaluate(_INSTRUMENT_JS)
    assert n_images >= 1, f"{name}: no picture to measure"
    low, value, high = slider_range(handle_slider)
    key = "ArrowRight" if high - value >= value - low else "ArrowLeft"
    handle = handle_slider.locator(".noUi-handle")
    handle.focus()
    for i in range(MOVES):
        handle.press(key)
        try:
            page.wait_for_function("n => window.__latency.moves.length >= n", arg=i + 1, timeout=30_000)
        except sync_api.TimeoutError:
            raise AssertionError(
                f"{name}: move {i + 1} ({key}) was not painted within 30 s "
                f"(slider at {slider_range(handle_slider)[1]})"
            ) from None
        page.wait_for_timeout(60)  # a student's pace: one move after the other, not queued up
    moves = page.evaluate("() => window.__latency.moves")
    errors = [m["error"] for m in moves if "error" in m]
    assert not errors, f"{name}: a picture failed to decode: {errors[:3]}"
    sizes = [len(b) for b in image_bytes(output) if b is not None]
    summary = {"moves": len(moves), "png_bytes": sizes}
    for stage in ("src", "decoded", "painted"):
        values = [m[stage] for m in moves]
        summary[stage] = {
            "median_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 95), 1),
        }
    return summary


def test_slider_latency_from_key_press_to_paint(page, lab):
    open_notebook(page, lab, write_notebook(lab.root_dir, NOTEBOOK, CELLS))
    result = run_all_cells(page, NOTEBOOK, timeout_ms=600_000)
    assert not result["errors"] and result["ok"], f"the latency notebook failed: {result}"
    assert not widget_problems(page), widget_problems(page)
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    report = {name: measure_moves(page, cells.nth(index), name) for index, name in WIDGETS}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "slider_latency.json").write_text(json.dumps(report, indent=2))
    print(f"\nslider latency over {MOVES} key presses each (ms from keydown; median / 95th percentile):")
    for name, r in report.items():
        print(
            f"  {name:<38} new src {r['src']['median_ms']:6.1f} / {r['src']['p95_ms']:6.1f}   "
            f"decoded {r['decoded']['median_ms']:6.1f} / {r['decoded']['p95_ms']:6.1f}   "
            f"painted {r['painted']['median_ms']:6.1f} / {r['painted']['p95_ms']:6.1f}   "
            f"(PNG {r['png_bytes']} bytes)"
        )
    for name, r in report.items():
        assert r["moves"] == MOVES, f"{name}: {r['moves']} paints for {MOVES} key presses"
        assert r["painted"]["median_ms"] < SANITY_MEDIAN_MS, f"{name}: {r['painted']}"
