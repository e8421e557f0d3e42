"""Notebook run times: execute every notebook headless with nbclient and print each wall time.

Run: python benchmarks/notebook_times.py --mode fast|default [--cold]
--cold uses a fresh, empty checkpoint cache (first run: training included); otherwise the cache in
COURSE_CACHE_DIR (or a fresh one made for this run and reused across its notebooks).
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path, env_cache: str, fast: bool) -> float:
    # the kernels import this checkout's course_utils, not a pip-installed copy of another checkout
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)
    os.environ["COURSE_FAST"] = "1" if fast else "0"
    os.environ["COURSE_CACHE_DIR"] = env_cache
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["fast", "default"], default="fast")
    parser.add_argument("--cache", default=None, help="checkpoint cache folder (default: a new empty one)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the whole course (2: cold then warm)")
    args = parser.parse_args()
    cache = args.cache or tempfile.mkdtemp(prefix="course-cache-")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for r in range(args.repeat):
        total = 0.0
        for nb in notebooks:
            seconds = run(nb, cache, args.mode == "fast")
            total += seconds
            print(f"[{args.mode}, run {r + 1}] {nb.name}: {seconds:.1f} s", flush=True)
        print(f"[{args.mode}, run {r + 1}] whole course: {total:.1f} s (cache {cache})", flush=True)


if __name__ == "__main__":
    main()
