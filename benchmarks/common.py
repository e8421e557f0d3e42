"""Shared by the benchmark scripts: the machine description, a 60,000-digit training set, slider timing."""

from __future__ import annotations

import os
import platform
import statistics
import struct
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from course_utils import data
from course_utils.device import get_device


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    import course_utils

    return (
        f"{os.cpu_count()} CPU cores ({cpu}), torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads, device {get_device()}, "
        f"course_utils from {Path(course_utils.__file__).parent}"
    )


def mnist_60k_root() -> tuple[Path, str]:
    """A folder with torchvision-readable raw MNIST training files of 60,000 digits.

    Uses the real MNIST when data.load can get it; offline, the available digits repeated up to
    60,000 (for timing only). Returns (root, description).
    """
    images, labels = data.load(train=True, device="cpu")
    source = data.data_source()
    n = 60_000
    reps = -(-n // len(labels))
    images = images.repeat(reps, 1, 1, 1)[:n]
    labels = labels.repeat(reps)[:n]
    root = Path(tempfile.mkdtemp(prefix="mnist60k-"))
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    pixels = (images[:, 0] * 255).round().to(torch.uint8).numpy()
    (raw / "train-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, n, 28, 28) + pixels.tobytes())
    (raw / "train-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, n) + labels.to(torch.uint8).numpy().tobytes()
    )
    # the test files are never read by the benchmarks, but torchvision checks that they exist (one image,
    # not a black one: the course's loader calls a split of black images incomplete)
    (raw / "t10k-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, 1, 28, 28) + pixels[:1].tobytes())
    (raw / "t10k-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, 1) + labels[:1].to(torch.uint8).numpy().tobytes()
    )
    what = data.loaded().source
    if source == "torchvision-local":
        how = f"{what}, raw files in the data folder (COURSE_DATA_DIR)"
    elif source.startswith("torchvision"):
        how = f"{what}, downloaded"
    else:
        how = f"{what} repeated {reps}x (timing only)"
    return root, f"60,000 training images: {how}"


def slider_times(slider, image_of, moves: int = 200) -> tuple[float, float]:
    """Move ``slider`` through ``moves`` values from its min to its max; each time, milliseconds from setting
    the value to the widget's new picture (``image_of()``, which must change: the observer redraws
    synchronously). Returns (median, 95th percentile)."""
    values = np.linspace(slider.min, slider.max, moves)
    times = []
    for v in values:
        before = image_of()
        start = time.perf_counter()
        slider.value = float(v)
        times.append((time.perf_counter() - start) * 1000)
        assert image_of() != before or v == values[0], "the picture did not change"
    times.sort()
    return statistics.median(times), times[int(0.95 * len(times)) - 1]
