"""Run the course's notebooks as a student's machine does: copied alone into an empty folder outside the
checkout, with the course installed from its wheel into an environment whose torch was there before.

    python .ci/notebooks_alone.py NOTEBOOK_DIR [NAME ...]

Run it with that environment's python. Each notebook runs offline, in fast mode and strict, from a fresh
empty folder of its own; like one student's machine, the run has one data folder and one checkpoint cache,
made empty at its start, so a later notebook loads the models an earlier one trained. The import of
course_utils must come from the installed wheel, never from the checkout. Prints one line per notebook and
exits 1 if any fails.
"""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CHECKOUT = Path(__file__).resolve().parents[1]


def run_alone(source: Path, machine: str) -> str | None:
    """Execute a copy of ``source`` in an empty folder; the first error in one line, or None.

    ``machine``: the run's folder for the data and the checkpoint cache."""
    with tempfile.TemporaryDirectory(prefix="student-") as folder:
        copy = Path(folder) / source.name
        shutil.copy(source, copy)
        env = {
            "COURSE_FAST": "1",
            "COURSE_OFFLINE": "1",
            "COURSE_STRICT": "1",
            "COURSE_DATA_DIR": f"{machine}/data",
            "COURSE_CACHE_DIR": f"{machine}/cache",
        }
        os.environ.update(env)
        nb = nbformat.read(copy, as_version=4)
        nb.cells.insert(
            0,
            nbformat.v4.new_code_cell(
                "import course_utils, torch\n"
                f"assert not course_utils.__file__.startswith({str(CHECKOUT)!r}), course_utils.__file__\n"
                "print('course_utils from', course_utils.__file__, '| torch', torch.__version__)"
            ),
        )
        try:
            NotebookClient(
                nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": folder}}
            ).execute()
        except CellExecutionError as err:
            return f"{err.ename}: {str(err.evalue).splitlines()[0] if err.evalue else ''}"
        print("   ", nb.cells[0].outputs[0].get("text", "").strip())
    return None


def main(folder: str, *names: str) -> int:
    os.environ.pop("PYTHONPATH", None)
    notebooks = sorted(Path(folder).glob("[0-9]*.ipynb"))
    notebooks = [p for p in notebooks if not names or p.stem in names or p.name in names]
    failed = 0
    machine = tempfile.mkdtemp(prefix="student-machine-")
    for path in notebooks:
        start = time.perf_counter()
        error = run_alone(path, machine)
        failed += error is not None
        outcome = "ok" if error is None else f"FAILED: {error}"
        print(f"{path.name}: {outcome} ({time.perf_counter() - start:.0f} s)")
    shutil.rmtree(machine, ignore_errors=True)
    print(f"{len(notebooks) - failed} passed, {failed} failed")
    return 1 if failed or not notebooks else 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
