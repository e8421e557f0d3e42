"""course_utils.classroom.mnist_sized: MNIST-sized raw files made from the offline digits."""

import struct

import numpy as np
import pytest

from course_utils import data, mnist_files
from course_utils.classroom import mnist_sized


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.setattr(data, "_last", None)
    monkeypatch.delenv("COURSE_DATASET", raising=False)


@pytest.fixture(scope="module")
def digits():
    """500 of the offline digits (50 per class) keep the recipes' checks quick; the sizes stay real."""
    x, y = data.offline_digits()
    keep = np.concatenate([np.flatnonzero(y == c)[:50] for c in range(10)])
    return x[keep], y[keep]


def looped_recipe(x, y, seed_train=1, seed_test=2):
    """Issue 13's script, one image at a time: the reference the vectorised version must match."""
    x = x.astype(np.uint8).reshape(-1, 28, 28)
    y = y.astype(np.uint8)
    idx = np.random.default_rng(0).permutation(len(x))
    x, y = x[idx], y[idx]
    tr, te = np.resize(np.arange(len(x)), 60000), np.resize(np.arange(len(x)), 10000)

    def shifted(ids, seed):
        out = x[ids].copy()
        r = np.random.default_rng(seed)
        for i in range(len(x), len(ids)):
            dx, dy = r.integers(-2, 3, size=2)
            out[i] = np.roll(np.roll(out[i], dx, axis=1), dy, axis=0)
        return out

    return shifted(tr, seed_train), y[tr], np.roll(shifted(te, seed_test), 1, axis=2), y[te]


def test_vectorised_recipe_equals_the_per_image_script(digits):
    arrays = mnist_sized.mnist_sized_arrays(tile=True, augment=True, digits=digits)
    train_x, train_y, test_x, test_y = looped_recipe(*digits)
    assert np.array_equal(arrays["train"][0], train_x) and np.array_equal(arrays["train"][1], train_y)
    assert np.array_equal(arrays["test"][0], test_x) and np.array_equal(arrays["test"][1], test_y)
    assert not np.array_equal(train_x[500:1000], train_x[:500])  # the repeats really are shifted


def test_disjoint_recipe_has_no_repeated_image_and_no_trained_test_digit():
    arrays = mnist_sized.mnist_sized_arrays(disjoint=True)  # all 5,000: 15 copies of 4,000 digits
    (train_x, train_y), (test_x, test_y) = arrays["train"], arrays["test"]
    assert train_x.shape == (60000, 28, 28) and test_x.shape == (10000, 28, 28)
    assert np.bincount(train_y).tolist() == [6000] * 10 and np.bincount(test_y).tolist() == [1000] * 10
    train_rows = {r.tobytes() for r in train_x.reshape(60000, -1)}
    test_rows = {r.tobytes() for r in test_x.reshape(10000, -1)}
    assert len(train_rows) == 60000 and len(test_rows) == 10000 and not train_rows & test_rows
    # every image is its digit rolled by at most 2 pixels: copy k of digit i sits at k * n_digits + i
    n = 4000
    dx, dy = mnist_sized.SHIFTS[3]
    assert np.array_equal(train_x[3 * n + 7], np.roll(train_x[7], (dy, dx), axis=(0, 1)))


def test_files_have_the_idx_headers_and_read_back(tmp_path, monkeypatch, digits, capsys):
    monkeypatch.setattr(mnist_sized.data, "offline_digits", lambda root=None: digits)
    raw = mnist_sized.write_mnist_raw(tmp_path, tile=True, augment=True)
    head = (raw / "train-images-idx3-ubyte").read_bytes()[:16]
    assert struct.unpack(">IIII", head) == (2051, 60000, 28, 28)
    assert (raw / "train-images-idx3-ubyte").stat().st_size == 16 + 60000 * 784
    assert struct.unpack(">II", (raw / "t10k-labels-idx1-ubyte").read_bytes()[:8]) == (2049, 10000)
    expected = mnist_sized.mnist_sized_arrays(digits=digits)
    for split in ("train", "test"):
        x, y = mnist_files.read_split(tmp_path, split)
        assert np.array_equal(x, expected[split][0]) and np.array_equal(y, expected[split][1])
    monkeypatch.setattr(data, "_CACHE", {})
    images, labels = data.load(train=False, root=tmp_path, device="cpu")
    assert images.shape == (10000, 1, 28, 28) and data.data_source() == "torchvision-local"
    assert data.loaded_sizes() == (60000, 10000)
    assert "IDX files that are not the official MNIST" in capsys.readouterr().out
    assert data.loaded().is_digits and data.loaded().dataset == "mnist"
    assert [p.name for p in raw.iterdir() if "tmp" in p.name] == []


def test_existing_files_are_not_replaced_unless_asked(tmp_path, monkeypatch, digits, capsys):
    monkeypatch.setattr(mnist_sized.data, "offline_digits", lambda root=None: digits)
    raw = mnist_sized.write_mnist_raw(tmp_path, tile=False, augment=False)
    assert mnist_files.check_split(tmp_path, "train") == 400
    assert mnist_files.check_split(tmp_path, "test") == 100
    teacher_copy = (raw / "train-images-idx3-ubyte").read_bytes()
    with pytest.raises(FileExistsError, match="not replacing"):
        mnist_sized.write_mnist_raw(tmp_path)
    assert mnist_sized.main([str(tmp_path), "--tile"]) == 1 and "not replacing" in capsys.readouterr().out
    assert (raw / "train-images-idx3-ubyte").read_bytes() == teacher_copy
    assert mnist_sized.main([str(tmp_path), "--tile", "--augment", "--overwrite"]) == 0
    out = capsys.readouterr().out
    assert "60,000 training and 10,000 test images" in out and "not real MNIST" in out


def test_bad_arguments_are_one_line_errors(tmp_path, digits):
    with pytest.raises(SystemExit):
        mnist_sized.main([str(tmp_path), "--augment"])
    with pytest.raises(ValueError, match="more than 25 shifts"):  # 500 digits cannot make 60,000 images
        mnist_sized.mnist_sized_arrays(disjoint=True, digits=digits)
    with pytest.raises(ValueError, match="needs tile"):
        mnist_sized.mnist_sized_arrays(tile=False, augment=True, digits=(np.zeros((10, 784)), np.zeros(10)))
