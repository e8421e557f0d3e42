"""Test-session settings (root conftest, so it also covers notebooks/): fast mode, strict claims, no
network, a throw-away checkpoint cache, the CPU's defaults; and the ``mnist_sized`` marker
(tests/notebooks/test_mnist_sized.py).

These are set before ``course_utils`` is imported (config reads them at import) and are inherited by
the notebook kernels that nbval starts, so every notebook runs in fast mode and offline.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("COURSE_OFFLINE", "1")
os.environ["COURSE_STRICT"] = "1"  # a notebook's measured claim that fails, fails its cell
os.environ.setdefault("COURSE_CACHE_DIR", tempfile.mkdtemp(prefix="course-cache-"))
if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker of `-n N` shares the cores: one thread each, kernels too
    os.environ.setdefault("OMP_NUM_THREADS", "1")

# Notebook kernels (nbval's, the browser test's JupyterLab) must import THIS checkout's course_utils, not
# the pip-installed one (an editable install points at one checkout, e.g. another git worktree).
_ROOT = str(Path(__file__).resolve().parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [_ROOT, os.environ.get("PYTHONPATH", "")] if p)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "mnist_sized: runs the notebooks on MNIST-sized raw files "
        "(tests/notebooks; deselect with -m 'not mnist_sized')",
    )


# The Korean edition (notebooks/ko/) has the English notebooks' code cells, checked identical by
# tests/classroom/test_edition.py: running it again under nbval would only double the time.
collect_ignore = ["notebooks/ko"]
