"""Course-wide switches read from the environment.

``COURSE_FAST=1`` turns on fast mode: notebooks shrink data and epochs so that each runs in
well under a minute on two CPU cores (the test suite uses it). Without it, every notebook is
the real classroom lesson. ``COURSE_STRICT=1`` makes a failed claim raise; ``COURSE_OFFLINE=1``
never tries the network (:func:`offline`, read when the data is loaded). Every on/off switch is read
by :func:`flag`, one way.

This module imports only ``course_utils.device`` (a leaf): nothing else of the course.
"""

import os
import random
from pathlib import Path

import numpy as np
import torch

from course_utils.device import get_device

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def flag(name: str) -> bool:
    """An on/off environment switch: ``1/true/yes/on`` or ``0/false/no/off`` (any case); unset is off.

    Anything else raises ``ValueError`` naming the variable and the accepted values.
    """
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{name}={os.environ[name]!r} is not an on/off value: use 1, true, yes or on (or 0, false, no, off)"
    )


def offline() -> bool:
    """``COURSE_OFFLINE``: never try the network (read at each call, so a notebook can set it first)."""
    return flag("COURSE_OFFLINE")


FAST: bool = flag("COURSE_FAST")

#: ``COURSE_STRICT=1``: a measured claim that fails raises (the test suite), instead of showing a note.
STRICT: bool = flag("COURSE_STRICT")

#: True when the course computes on a CUDA GPU (then the default mode uses all of MNIST).
ON_GPU: bool = get_device().type == "cuda"

#: Training images the notebooks use (the first ``TRAIN_SIZE`` of ``data.load()``). Fast mode: 2,000.
#: Default mode: all 60,000 on a GPU; 10,000 on a CPU, which keeps the whole course within minutes on
#: a laptop. The offline fallback has only 4,000, so there every mode uses at most those.
TRAIN_SIZE: int = 2_000 if FAST else (60_000 if ON_GPU else 10_000)

#: Test images a notebook evaluates on (the first ``TEST_SIZE`` of the test set): 1,000 (the whole
#: offline test set) unless a GPU runs the default mode, which evaluates on all 10,000.
TEST_SIZE: int = 10_000 if (ON_GPU and not FAST) else 1_000


def course_dir(what: str, env_var: str) -> Path:
    """A course folder: ``$env_var`` when set, else ``~/.cache/all-about-autoencoders/<what>``.

    ``XDG_CACHE_HOME`` replaces ``~/.cache`` when set. ``data.default_root`` (``what="data"``,
    ``COURSE_DATA_DIR``) and ``checkpoints.cache_dir`` (``"checkpoints"``, ``COURSE_CACHE_DIR``) use it.
    """
    if os.environ.get(env_var, "").strip():
        return Path(os.environ[env_var].strip()).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(cache).expanduser() if cache else Path.home() / ".cache") / "all-about-autoencoders" / what


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
