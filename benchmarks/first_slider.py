"""Time from a fresh machine to notebook 5's first slider, with and without a weights archive (issue 24).

Run: python benchmarks/first_slider.py --mode fast|default

A fresh machine is an empty checkpoint cache. The notebook runs cell by cell in a new kernel until the first
cell that shows a slider (a progress bar is a widget too, so the widgets' models are read); the time counts
the kernel's start. Then the checkpoints that run cached are exported with ``python -m course_utils.classroom
weights export``, served over HTTP from 127.0.0.1, and the same cells run again on a second empty cache with
``COURSE_WEIGHTS`` naming the archive's URL.
"""

import argparse
import functools
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "05_vae.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"


def seconds_to_first_slider(env: dict) -> tuple[float, int]:
    """Run NOTEBOOK in a fresh kernel with ``env`` up to its first widget: (seconds, that cell's index)."""
    os.environ.update(env)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
            shown = any(WIDGET in out.get("data", {}) for out in cell.get("outputs", []))
            if shown and any(_is_slider(state) for state in client.widget_state.values()):
                return time.perf_counter() - start, index
    raise SystemExit(f"{NOTEBOOK.name} showed no slider")


def _is_slider(state: dict) -> bool:
    return str(state.get("_model_name", "")).endswith("SliderModel")


def serve(folder: Path) -> str:
    """Serve ``folder`` over HTTP on a free port of 127.0.0.1, in a daemon thread; return its URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["fast", "default"], default="default")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="first-slider-"))
    env = {
        "COURSE_FAST": "1" if args.mode == "fast" else "0",
        "PYTHONPATH": str(ROOT),
        "NO_PROXY": "127.0.0.1",
    }
    print(
        f"data folder {os.environ.get('COURSE_DATA_DIR', '(default)')}; load average at start "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    trained, cell = seconds_to_first_slider({**env, "COURSE_CACHE_DIR": str(work / "trained")})
    print(f"[{args.mode}] no archive: {trained:.1f} s to the first slider (cell {cell})", flush=True)
    archive = work / "served" / "weights.tar"
    archive.parent.mkdir()
    subprocess.run(
        [sys.executable, "-m", "course_utils.classroom", "weights", "export", str(archive)],
        env={**os.environ, **env, "COURSE_CACHE_DIR": str(work / "trained")},
        check=True,
    )
    url = f"{serve(archive.parent)}/{archive.name}"
    fetched, _ = seconds_to_first_slider(
        {**env, "COURSE_CACHE_DIR": str(work / "fetched"), "COURSE_WEIGHTS": url}
    )
    size = archive.stat().st_size / 2**20
    print(
        f"[{args.mode}] with the archive ({size:.1f} MiB over 127.0.0.1): {fetched:.1f} s "
        f"to the first slider (load {os.getloadavg()[0]:.1f})",
        flush=True,
    )


if __name__ == "__main__":
    main()
