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
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path, env_cache: str, fast: bool) -> float:
    # the kernels import this checkout's course_utils, not a pip-installed copy of another checkout
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)
    os.environ["COURSE_FAST"] = "1" if fast else "0"
    os.environ["COURSE_CACHE_DIR"] = env_cache
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["fast", "default"], default="fast")
    parser.add_argument("--cache", default=None, help="checkpoint cache folder (default: a new empty one)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the whole course (2: cold then warm)")
    args = parser.parse_args()
    cache = args.cache or tempfile.mkdtemp(prefix="course-cache-")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(
        f"data folder {os.environ.get('COURSE_DATA_DIR', '(default)')}; load average at start "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    failed = 0
    for r in range(args.repeat):
        total = 0.0
        for nb in notebooks:
            start = time.perf_counter()
            try:
                seconds = run(nb, cache, args.mode == "fast")
            except CellExecutionError as err:  # report it and go on: the other notebooks still get timed
                failed += 1
                first_line = str(err).strip().splitlines()[-1][:300]
                print(
                    f"[{args.mode}, run {r + 1}] {nb.name}: "
                    f"FAILED after {time.perf_counter() - start:.1f} s: "
                    f"{first_line}",
                    flush=True,
                )
                continue
            total += seconds
            print(
                f"[{args.mode}, run {r + 1}] {nb.name}: {seconds:.1f} s (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        print(f"[{args.mode}, run {r + 1}] whole course: {total:.1f} s (cache {cache})", flush=True)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
