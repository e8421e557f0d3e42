"""The datasets the course can use (``COURSE_DATASET``), and which files are the official ones.

``COURSE_DATASET=mnist`` (the default), ``fashion-mnist`` or ``kmnist``: the three 28x28, 10-class sets
in MNIST's format that torchvision downloads (``MNIST``, ``FashionMNIST``, ``KMNIST``).

Files are recognised by digests of their *uncompressed* content, so a recompressed copy (Debian's
Fashion-MNIST) is still the official set. For KMNIST only the MD5s of the ``.gz`` files are published
(torchvision's table), so plain KMNIST files cannot be checked and are labelled so.

This module imports nothing of the course; torchvision is not needed (the tables are copies of its own,
and a test compares them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DIGIT_NAMES = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class Dataset:
    """One dataset: ``key`` (the ``COURSE_DATASET`` value), ``title`` (its name in prose), ``folder``
    (torchvision's class name, and the folder of its raw files), the ten class names, whether its images
    are handwritten digits, torchvision's download ``mirrors``, and the official files' digests:
    ``sha256`` of the uncompressed files, ``gz_md5`` of the ``.gz`` files (torchvision's)."""

    key: str
    title: str
    folder: str
    class_names: tuple[str, ...]
    is_digits: bool
    mirrors: tuple[str, ...]
    sha256: dict[str, str] = field(default_factory=dict)
    gz_md5: dict[str, str] = field(default_factory=dict)


#: Uncompressed MNIST: the SHA-256s that many independent copies publish (e.g. the MNIST files in the
#: Hugging Face repositories dmitva/the-mnist-database and chrisjay/mnist-adversarial, and download
#: scripts that pin all four); the first three also match torchvision's .gz files decompressed.
MNIST = Dataset(
    "mnist",
    "MNIST",
    "MNIST",
    DIGIT_NAMES,
    True,
    ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    sha256={
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    gz_md5={
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
)

#: Uncompressed Fashion-MNIST: computed from Debian's dataset-fashion-mnist (recompressed, so its .gz
#: MD5s differ from torchvision's), and equal to the SHA-256s other projects publish for the originals.
FASHION_MNIST = Dataset(
    "fashion-mnist",
    "Fashion-MNIST",
    "FashionMNIST",
    (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    False,
    ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    sha256={
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    gz_md5={
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
)

#: KMNIST: no digests of the uncompressed files are published; torchvision's .gz MD5s only.
KMNIST = Dataset(
    "kmnist",
    "KMNIST",
    "KMNIST",
    ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
    False,
    ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
    gz_md5={
        "train-images-idx3-ubyte.gz": "bdb82020997e1d708af4cf47b453dcf7",
        "train-labels-idx1-ubyte.gz": "e144d726b3acfaa3e44228e80efcd344",
        "t10k-images-idx3-ubyte.gz": "5c965bf0a639b31b8f53240b1b52f4d7",
        "t10k-labels-idx1-ubyte.gz": "7320c461ea6c1c855c0b718fb2a4b134",
    },
)

#: The datasets by ``COURSE_DATASET`` value.
DATASETS = {d.key: d for d in (MNIST, FASHION_MNIST, KMNIST)}


def chosen() -> Dataset:
    """The dataset ``COURSE_DATASET`` names (unset or blank: MNIST); another value raises ``ValueError``."""
    value = os.environ.get("COURSE_DATASET", "").strip().lower()
    if not value:
        return MNIST
    if value not in DATASETS:
        raise ValueError(
            f"COURSE_DATASET={os.environ['COURSE_DATASET']!r} is not a dataset the course knows: "
            f"use {', '.join(DATASETS)} (or leave it unset for mnist)"
        )
    return DATASETS[value]


def _matches(dataset: Dataset, sha256: dict[str, str], gz_md5: dict[str, str]) -> bool:
    """Every one of the four files matches ``dataset``'s official digest (content first, else the .gz)."""
    names = sha256.keys()
    if len(names) != 4:
        return False
    for name in names:
        if name in dataset.sha256:
            if dataset.sha256[name] != sha256[name]:
                return False
        elif (
            dataset.gz_md5.get(f"{name}.gz") is None
            or gz_md5.get(f"{name}.gz") != dataset.gz_md5[f"{name}.gz"]
        ):
            return False
    return True


def identify(sha256: dict[str, str], gz_md5: dict[str, str], folder_dataset: Dataset) -> tuple[Dataset, str]:
    """(which dataset four raw files are, the source in words) from their digests.

    ``sha256``: file name -> SHA-256 of the uncompressed content; ``gz_md5``: ``.gz`` name -> MD5 of
    the files read from ``.gz``; ``folder_dataset``: the dataset whose folder they were found in. The
    official files of any of the three sets are named as such, wherever they lie. Other files are taken
    as ``folder_dataset`` and never called official.
    """
    for dataset in DATASETS.values():
        if _matches(dataset, sha256, gz_md5):
            return dataset, f"{dataset.title} (the official files)"
    if not folder_dataset.sha256 and len(gz_md5) < 4:
        return folder_dataset, (
            f"{folder_dataset.title} files that cannot be checked (only the official .gz files' digests "
            f"are published: keep them gzipped)"
        )
    return folder_dataset, f"IDX files that are not the official {folder_dataset.title}"
