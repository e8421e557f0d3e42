"""Every notebook, run in fast mode on MNIST-sized raw files (60,000 training and 10,000 test digits).

nbval runs the notebooks on the offline fallback (4,000 / 1,000 digits); this module runs them again at
MNIST's real sizes, where a check tuned to one dataset shows itself. The files are issue 13's recipe
(``python -m course_utils.classroom.mnist_sized ROOT --tile --augment``), written once per session into a
temporary folder; the notebooks share one temporary checkpoint cache, as a student's run does.
Deselect with ``-m "not mnist_sized"``.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from course_utils import mnist_files
from course_utils.classroom import mnist_sized

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9]*.ipynb"))
#: Seconds one cell may run, as nbval's default (fast mode: a whole notebook takes about a minute on an idle
#: laptop; on a 2-core machine shared by many runs, 900 s per cell was seen to be too short).
CELL_TIMEOUT = 2000

pytestmark = pytest.mark.mnist_sized


@pytest.fixture(scope="session")
def mnist_sized_env(tmp_path_factory):
    """Environment for the kernels: the MNIST-sized files, a fresh cache, fast mode, no network."""
    root = tmp_path_factory.mktemp("mnist-sized")
    mnist_sized.write_mnist_raw(root, tile=True, augment=True)
    assert mnist_files.check_split(root, "train") == 60_000
    assert mnist_files.check_split(root, "test") == 10_000
    cache = tmp_path_factory.mktemp("cache-mnist-sized")
    return {"COURSE_DATA_DIR": str(root), "COURSE_CACHE_DIR": str(cache), "COURSE_FAST": "1",
            "COURSE_OFFLINE": "1"}


def test_the_notebooks_are_found():
    assert len(NOTEBOOKS) >= 5, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_mnist_sized_files(path, mnist_sized_env, monkeypatch):
    for name, value in mnist_sized_env.items():     # the kernel inherits this process's environment
        monkeypatch.setenv(name, value)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as err:
        cell = next((i for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"
                     and any(o.get("output_type") == "error" for o in c.get("outputs", []))), "?")
        pytest.fail(f"{path.name}, code cell at index {cell}, on 60,000/10,000 MNIST-sized digits: "
                    f"{err.ename}: {err.evalue}\n{err}", pytrace=False)
    except CellTimeoutError as err:
        pytest.fail(f"{path.name} on MNIST-sized digits: a cell ran longer than {CELL_TIMEOUT} s: {err}",
                    pytrace=False)
    printed = "".join(o.get("text", "") for c in nb.cells if c.get("cell_type") == "code"
                      for o in c.get("outputs", []) if o.get("output_type") == "stream")
    if "load_mnist" in "".join(c.source for c in nb.cells):  # it read the MNIST-sized files
        assert "images from IDX files that are not the official MNIST" in printed and "offline fallback" not in printed, printed[:500]
