"""Every notebook, run in fast mode and strict at real size (60,000 training and 10,000 test images), on two
sources nobody tuned the lessons for:

- ``mnist-sized``: MNIST-sized raw files made from the offline digits (issue 13's recipe,
  ``python -m course_utils.classroom.mnist_sized ROOT --tile --augment``), written once per session;
- ``fashion-mnist``: Debian's Fashion-MNIST (``apt-get install dataset-fashion-mnist``, which ``.ci/run``
  does), its ``.gz`` files as Debian ships them in ``ROOT/FashionMNIST/raw``, with
  ``COURSE_DATASET=fashion-mnist``. Skipped, with a message, where the package is not installed.

nbval runs the notebooks on the offline fallback (4,000 / 1,000 digits); this module runs them again where
a claim tuned to one dataset shows itself. The notebooks of one source share one temporary checkpoint
cache, as a student's run does. Deselect with ``-m "not mnist_sized"``.
"""

import re
import shutil
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
#: Debian's dataset-fashion-mnist: the four official files, recompressed.
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
#: What a notebook that loads the data must print, per source.
LOAD_LINE = {
    "mnist-sized": "images from IDX files that are not the official MNIST",
    "fashion-mnist": "images from Fashion-MNIST (the official files)",
}

pytestmark = pytest.mark.mnist_sized


def _mnist_sized_root(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("mnist-sized")
    mnist_sized.write_mnist_raw(root, tile=True, augment=True)
    return root, {"COURSE_DATASET": "mnist"}


def _fashion_root(tmp_path_factory) -> tuple[Path, dict]:
    files = sorted(DEBIAN_FASHION.glob("*-ubyte.gz"))
    if len(files) != 4:
        pytest.skip(
            f"Debian's Fashion-MNIST is not installed ({DEBIAN_FASHION} has {len(files)} of its 4 files): "
            f"apt-get install dataset-fashion-mnist (.ci/run does)"
        )
    root = tmp_path_factory.mktemp("fashion-mnist")
    raw = mnist_files.raw_folder(root, "FashionMNIST")
    raw.mkdir(parents=True)
    for f in files:
        shutil.copy(f, raw / f.name)  # gzipped, as Debian ships them
    return root, {"COURSE_DATASET": "fashion-mnist"}


def _real_size_env(source: str, tmp_path_factory) -> dict:
    """The environment for the kernels: the source's files, a fresh cache, fast, strict, offline."""
    make = _fashion_root if source == "fashion-mnist" else _mnist_sized_root
    root, env = make(tmp_path_factory)
    folder = "FashionMNIST" if source == "fashion-mnist" else "MNIST"
    assert mnist_files.check_split(root, "train", folder) == 60_000
    assert mnist_files.check_split(root, "test", folder) == 10_000
    cache = tmp_path_factory.mktemp(f"cache-{source}")
    env.update(
        COURSE_DATA_DIR=str(root),
        COURSE_CACHE_DIR=str(cache),
        COURSE_FAST="1",
        COURSE_OFFLINE="1",
        COURSE_STRICT="1",
    )
    return env


@pytest.fixture(scope="session")
def mnist_sized_env(tmp_path_factory):
    return _real_size_env("mnist-sized", tmp_path_factory)


@pytest.fixture(scope="session")
def fashion_env(tmp_path_factory):
    return _real_size_env("fashion-mnist", tmp_path_factory)


def test_the_notebooks_are_found():
    assert len(NOTEBOOKS) >= 5, NOTEBOOKS


def run_notebook(path: Path, source: str) -> str:
    """Execute ``path`` in a fresh kernel (the environment is this process's); return what it printed."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute()
    except CellExecutionError as err:
        cell = next(
            (
                i
                for i, c in enumerate(nb.cells)
                if c.get("cell_type") == "code"
                and any(o.get("output_type") == "error" for o in c.get("outputs", []))
            ),
            "?",
        )
        pytest.fail(
            f"{path.name}, code cell at index {cell}, on {source} (60,000/10,000): "
            f"{err.ename}: {err.evalue}\n{err}",
            pytrace=False,
        )
    except CellTimeoutError as err:
        pytest.fail(f"{path.name} on {source}: a cell ran longer than {CELL_TIMEOUT} s: {err}", pytrace=False)
    uses_data = any(re.search(r"data\.load(_mnist)?\(", c.source) for c in nb.cells if c.cell_type == "code")
    printed = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.get("cell_type") == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )
    return printed if uses_data else ""


def check_at_real_size(path: Path, source: str, env: dict, monkeypatch):
    for name, value in env.items():  # the kernel inherits this process's environment
        monkeypatch.setenv(name, value)
    printed = run_notebook(path, source)
    if printed:  # it loaded the data: the real-size files, named for what they are
        assert LOAD_LINE[source] in printed and "offline fallback" not in printed, printed[:500]


# One class per source: under pytest-xdist's --dist loadscope (pyproject.toml) a class is one unit of work,
# so the two sources run on two workers, each source's notebooks in order on one shared cache.
class TestMnistSized:
    @pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
    def test_notebook_runs_at_real_size(self, path, mnist_sized_env, monkeypatch):
        check_at_real_size(path, "mnist-sized", mnist_sized_env, monkeypatch)


class TestFashionMnist:
    @pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
    def test_notebook_runs_at_real_size(self, path, fashion_env, monkeypatch):
        check_at_real_size(path, "fashion-mnist", fashion_env, monkeypatch)
