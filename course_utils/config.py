"""Course-wide switches read from the environment.

``COURSE_FAST=1`` turns on fast mode: notebooks shrink data and epochs so that each runs in
well under a minute on two CPU cores (the test suite uses it). Without it, every notebook is
the real classroom lesson.
"""

import os
import random

import numpy as np
import torch

FAST: bool = os.environ.get("COURSE_FAST", "0").strip().lower() in {"1", "true", "yes", "on"}

#: Training images the notebooks use (the first ``TRAIN_SIZE`` of ``load_mnist()``): enough for a
#: real lesson on a laptop CPU in the default mode, small in fast mode. The offline fallback has 4,000.
TRAIN_SIZE: int = 2_000 if FAST else 10_000


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
