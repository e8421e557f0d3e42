"""Raw IDX files in MNIST's format (MNIST, Fashion-MNIST, KMNIST): find them, check them, read them.

The IDX format (LeCun's): a big-endian header, then the uint8 payload. Images: magic 2051, then
``N, 28, 28``; labels: magic 2049, then ``N``. torchvision keeps the four files of a dataset in
``<root>/<torchvision class name>/raw`` (``MNIST``, ``FashionMNIST``, ``KMNIST``), plain or gzipped; both
are read here (a ``.gz`` file is unpacked in memory, nothing is written).

Every file is checked before its content is used: header, size, labels 0-9, and plausibility (a block of
all-black images or a share of them that real data does not have, as an interrupted copy leaves). A fault
raises :class:`BadMnistFile` with one line naming the file and what is wrong; no file is ever changed.
The digests of what was read (:class:`RawFiles`) let :mod:`course_utils.datasets` say which files they are.

This module imports nothing of the course. The MNIST-sized files made from the offline digits are a
teacher's tool: :mod:`course_utils.classroom.mnist_sized`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_utils.files import replaced

#: The four files of a dataset, as (split, kind) -> file name (torchvision's names, without ``.gz``).
FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
SIDE = 28  # the images are SIDE x SIDE

#: Plausibility: at most this share of a split's images may be all black (measured: none of the 70,000
#: images of Fashion-MNIST, of the 5,000 offline digits or of the MNIST-sized files made from them is).
MAX_BLANK_SHARE = 0.001
#: ... and never this many all-black images in a row: the zeroed tail an interrupted copy leaves.
BLANK_BLOCK = 10
#: ... nor this many equal labels in a row (the longest run in real data is 5), when it is 1% of the split.
LABEL_BLOCK = 100


class BadMnistFile(ValueError):
    """A raw IDX file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class RawFiles:
    """Both splits read from one raw folder, and the digests of what was read.

    ``splits``: ``{"train": (images uint8 [N, 28, 28], labels int64 [N]), "test": ...}``; ``sha256``: file
    name (without ``.gz``) -> SHA-256 of its uncompressed content; ``gz_md5``: ``.gz`` file name -> MD5 of
    the compressed file, for the files that were read from ``.gz``; ``folder``: the raw folder.
    """

    splits: dict[str, tuple[np.ndarray, np.ndarray]]
    sha256: dict[str, str]
    gz_md5: dict[str, str]
    folder: Path


def raw_folder(root: str | os.PathLike, folder: str = "MNIST") -> Path:
    """``<root>/<folder>/raw``, where torchvision keeps (and looks for) a dataset's four IDX files."""
    return Path(root) / folder / "raw"


def find(raw: Path, name: str) -> Path | None:
    """The file ``name`` in ``raw``, plain (preferred) or ``name.gz``; ``None`` when neither exists."""
    for path in (raw / name, raw / f"{name}.gz"):
        if path.exists():
            return path
    return None


def has_files(root: str | os.PathLike, folder: str = "MNIST") -> bool:
    """Whether ``<root>/<folder>/raw`` holds any of the four files (plain or ``.gz``)."""
    raw = raw_folder(root, folder)
    return any(find(raw, name) is not None for name in FILES.values())


def _content(path: Path) -> tuple[bytes, str | None]:
    """(the file's uncompressed bytes, MD5 of the ``.gz`` file or ``None``); one-line errors."""
    try:
        if not path.is_file():
            raise BadMnistFile(f"{path} is not a regular file")
        raw = path.read_bytes()
    except OSError as err:
        raise BadMnistFile(f"{path} cannot be read ({type(err).__name__}: {err.strerror or err})") from err
    if path.suffix != ".gz":
        if raw[:2] == b"\x1f\x8b":
            raise BadMnistFile(f"{path} is gzip-compressed: name it {path.name}.gz (or gunzip it)")
        return raw, None
    try:
        return gzip.decompress(raw), hashlib.md5(raw).hexdigest()
    except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError; a cut file is an EOFError
        raise BadMnistFile(f"{path} is not a complete gzip file ({type(err).__name__}: {err})") from err


def _payload(path: Path, content: bytes, magic: int, ndim: int) -> np.ndarray:
    """The uint8 payload of ``content`` shaped by its header, after checking magic number and size."""
    header_bytes = 4 + 4 * ndim
    what = "images" if magic == IMAGES_MAGIC else "labels"
    if len(content) < header_bytes:
        raise BadMnistFile(
            f"{path} is truncated: {len(content)} bytes, shorter than its {header_bytes}-byte header"
        )
    found = int.from_bytes(content[:4], "big")
    if found != magic:
        raise BadMnistFile(f"{path} has magic number {found}, not {magic} (IDX uint8 {what})")
    dims = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (SIDE, SIDE):
        raise BadMnistFile(f"{path} holds {dims[1]}x{dims[2]} images, not {SIDE}x{SIDE}")
    if dims[0] == 0:
        raise BadMnistFile(f"{path} holds no {what}")
    expected = header_bytes + int(np.prod(dims))
    if len(content) < expected:
        raise BadMnistFile(
            f"{path} is truncated: its header promises {dims[0]:,} items "
            f"({expected:,} bytes), the file has {len(content):,} bytes"
        )
    if len(content) > expected:
        raise BadMnistFile(
            f"{path} has {len(content) - expected:,} bytes more than its header's {dims[0]:,} items"
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header_bytes).reshape(dims).copy()  # writable


def _longest_run(mask: np.ndarray) -> tuple[int, int]:
    """(length, start) of the longest run of True in the 1-D bool ``mask`` ((0, 0) if none)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    if len(edges) == 0:
        return 0, 0
    starts, ends = edges[::2], edges[1::2]
    best = int(np.argmax(ends - starts))
    return int(ends[best] - starts[best]), int(starts[best])


def check_plausible(images_path: Path, images: np.ndarray, labels_path: Path, labels: np.ndarray) -> None:
    """Raise :class:`BadMnistFile` when a split looks incomplete: a block of all-black images, more of them
    than real data has, or a long block of one label (what a zeroed tail leaves)."""
    n = len(images)
    blank = images.reshape(n, -1).max(axis=1) == 0
    run, start = _longest_run(blank)
    if run >= BLANK_BLOCK or blank.sum() > MAX_BLANK_SHARE * n:
        where = f", images {start:,}-{start + run - 1:,} in a row" if run >= BLANK_BLOCK else ""
        raise BadMnistFile(
            f"{images_path} looks incomplete: {int(blank.sum()):,} of {n:,} images are all black{where} "
            f"(real data has almost none; an interrupted copy leaves a zeroed tail)"
        )
    same = np.concatenate([[False], labels[1:] == labels[:-1]])
    run, start = _longest_run(same)
    if run + 1 >= LABEL_BLOCK and run + 1 >= 0.01 * n:
        raise BadMnistFile(
            f"{labels_path} looks incomplete: labels {start - 1:,}-{start + run - 1:,} are all "
            f"{labels[start]} (real data never repeats a label that often; a zeroed tail does)"
        )


def _read_split(raw: Path, split: str, sha256: dict, gz_md5: dict) -> tuple[np.ndarray, np.ndarray]:
    """One split of ``raw`` as (uint8 [N, 28, 28], int64 [N]), checked; records the files' digests."""
    arrays = []
    for kind, magic, ndim in (("images", IMAGES_MAGIC, 3), ("labels", LABELS_MAGIC, 1)):
        name = FILES[split, kind]
        path = find(raw, name)
        if path is None:
            raise BadMnistFile(f"{raw / name} is missing")
        content, md5 = _content(path)
        arrays.append((path, _payload(path, content, magic, ndim)))
        sha256[name] = hashlib.sha256(content).hexdigest()
        if md5 is not None:
            gz_md5[path.name] = md5
    (images_path, images), (labels_path, labels) = arrays
    if len(images) != len(labels):
        raise BadMnistFile(
            f"{images_path.name} holds {len(images):,} images but {labels_path.name} "
            f"{len(labels):,} labels (in {raw})"
        )
    if labels.max() > 9:
        bad = int(np.flatnonzero(labels > 9)[0])
        raise BadMnistFile(f"{labels_path} has label {labels[bad]} at index {bad} (labels are 0-9)")
    check_plausible(images_path, images, labels_path, labels)
    return images, labels.astype(np.int64)


def read_raw(root: str | os.PathLike, folder: str = "MNIST") -> RawFiles:
    """Both splits of ``<root>/<folder>/raw``, every file checked (:class:`BadMnistFile` on a fault)."""
    raw = raw_folder(root, folder)
    sha256: dict[str, str] = {}
    gz_md5: dict[str, str] = {}
    splits = {split: _read_split(raw, split, sha256, gz_md5) for split in ("train", "test")}
    return RawFiles(splits, sha256, gz_md5, raw)


def read_split(root: str | os.PathLike, split: str, folder: str = "MNIST") -> tuple[np.ndarray, np.ndarray]:
    """One split of ``<root>/<folder>/raw``: uint8 images ``[N, 28, 28]`` and int64 labels ``[N]``."""
    return _read_split(raw_folder(root, folder), split, {}, {})


def check_split(root: str | os.PathLike, split: str, folder: str = "MNIST") -> int:
    """Read and check one split's two files; return its number of images ``N``."""
    return len(read_split(root, split, folder)[1])


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 ``[N, 28, 28]`` (images) or ``[N]`` (labels) array as a plain IDX file, atomically."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"IDX files hold uint8 values, got {array.dtype}")
    if array.ndim == 3 and array.shape[1:] == (SIDE, SIDE):
        magic = IMAGES_MAGIC
    elif array.ndim == 1:
        magic = LABELS_MAGIC
    else:
        raise ValueError(f"write_idx takes [N, {SIDE}, {SIDE}] images or [N] labels, got {array.shape}")
    header = np.array((magic, *array.shape), dtype=">u4").tobytes()
    path = Path(path)
    with replaced(path) as temporary, open(temporary, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(array).tobytes())
