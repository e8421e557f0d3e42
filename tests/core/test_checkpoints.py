"""course_utils.checkpoints: train once, load after; corrupted files are retrained, not fatal."""

import os

import numpy as np
import pytest
import torch

from course_utils import checkpoints, config, data, mnist_files, models


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    return tmp_path


def build():
    torch.manual_seed(0)
    return models.Autoencoder(2, hidden=(8,), device="cpu")


def make_trainer(calls):
    def train(model):
        calls.append(1)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)
        return {"train_loss": [3.0, 2.0]}

    return train


def test_round_trip_trains_once_then_loads(cache, capsys):
    calls = []
    m1, h1 = checkpoints.load_or_train("toy", build, make_trainer(calls), {"lr": 1})
    m2, h2 = checkpoints.load_or_train("toy", build, make_trainer(calls), {"lr": 1})
    assert len(calls) == 1
    assert h1 == h2 == {"train_loss": [3.0, 2.0]}
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a.cpu(), b.cpu())
    assert "Loaded the trained 'toy'" in capsys.readouterr().out
    # another config is another file
    checkpoints.load_or_train("toy", build, make_trainer(calls), {"lr": 2})
    assert len(calls) == 2


def raw_folder(root, seed):
    """Four idx files of 6 training and 2 test digits with random pixels (same sizes, other content)."""
    rng = np.random.default_rng(seed)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", 6), ("t10k", 2)):
        mnist_files.write_idx(
            raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        )
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        mnist_files.write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def test_fast_mode_and_the_data_content_are_part_of_the_key(cache, monkeypatch, tmp_path):
    """Two raw-file folders are both "torchvision-local": only their content tells them apart."""
    monkeypatch.setattr(data, "_CACHE", {})
    data.load_mnist(root=raw_folder(tmp_path / "real", 0), device="cpu")
    p1 = checkpoints.checkpoint_path("m", {"a": 1})
    monkeypatch.setattr(config, "FAST", not config.FAST)
    p2 = checkpoints.checkpoint_path("m", {"a": 1})
    data.load_mnist(root=raw_folder(tmp_path / "fake", 1), device="cpu")
    assert data.data_source() == "torchvision-local"
    p3 = checkpoints.checkpoint_path("m", {"a": 1})
    assert len({p1, p2, p3}) == 3
    data.load_mnist(root=tmp_path / "real", device="cpu")
    assert checkpoints.checkpoint_path("m", {"a": 1}) == p2  # same data, same mode: same file


def test_cache_dir_and_data_folder_share_one_home(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    home = tmp_path / "all-about-autoencoders"
    assert checkpoints.cache_dir() == home / "checkpoints" and data.default_root() == home / "data"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "mine"))
    assert checkpoints.cache_dir() == tmp_path / "mine"


def trained_value(model):
    return next(iter(model.parameters())).detach().cpu()


@pytest.mark.parametrize("how", ["folder is a file", "path runs through a file"])
def test_cache_that_cannot_be_written_warns_once_and_returns_the_trained_model(
    monkeypatch, tmp_path, capsys, how
):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    folder = blocker if how == "folder is a file" else blocker / "checkpoints"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(folder))
    calls = []
    model, hist = checkpoints.load_or_train("toy", build, make_trainer(calls), {"x": 2})
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(calls) == 1 and hist == {"train_loss": [3.0, 2.0]}
    assert torch.equal(trained_value(model), trained_value(build()) + 1.0)  # the trained weights
    assert len(lines) == 1 and "not writable" in lines[0] and str(folder) in lines[0]
    assert f"{blocker} is a file, not a folder" in lines[0]
    assert blocker.read_text() == "a file, not a folder"
    # the next run trains again (nothing cached) and warns again: the lesson goes on
    checkpoints.load_or_train("toy", build, make_trainer(calls), {"x": 2})
    assert len(calls) == 2 and "not writable" in capsys.readouterr().out


def test_permission_denied_and_a_save_cut_halfway_leave_no_temporary_file(cache, monkeypatch, capsys):
    real_save = torch.save

    def disk_full(obj, f, *args, **kwargs):
        real_save(obj, f)
        with open(f, "r+b") as half:
            half.truncate(10)  # half-written, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    model, _ = checkpoints.load_or_train("toy", build, make_trainer([]), {"x": 3})
    out = capsys.readouterr().out
    assert "not writable (No space left on device)" in out and list(cache.iterdir()) == []
    assert torch.equal(trained_value(model), trained_value(build()) + 1.0)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(torch, "save", denied)
    checkpoints.load_or_train("toy", build, make_trainer([]), {"x": 4})
    assert "not writable (Permission denied)" in capsys.readouterr().out


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_cache_folder(cache, capsys):
    cache.chmod(0o555)
    try:
        model, _ = checkpoints.load_or_train("toy", build, make_trainer([]), {"x": 5})
    finally:
        cache.chmod(0o755)
    assert "not writable" in capsys.readouterr().out and model is not None


def test_a_stale_temporary_file_is_never_loaded(cache, capsys):
    calls = []
    path = checkpoints.checkpoint_path("toy", {"x": 6})
    (cache / f".{path.name}.tmp999").write_bytes(b"half a checkpoint from a killed run")
    checkpoints.load_or_train("toy", build, make_trainer(calls), {"x": 6})
    checkpoints.load_or_train("toy", build, make_trainer(calls), {"x": 6})
    assert len(calls) == 1 and "Loaded the trained 'toy'" in capsys.readouterr().out


def test_settings_by_keyword_and_by_position(cache):
    calls = []
    checkpoints.load_or_train("toy", build, make_trainer(calls), settings={"k": 1})
    checkpoints.load_or_train("toy", build, make_trainer(calls), {"k": 1})
    assert len(calls) == 1


def test_corrupted_file_is_reported_and_retrained(cache, capsys):
    calls = []
    checkpoints.load_or_train("toy", build, make_trainer(calls), {"x": 0})
    path = checkpoints.checkpoint_path("toy", {"x": 0})
    path.write_bytes(b"this is not a checkpoint")
    model, hist = checkpoints.load_or_train("toy", build, make_trainer(calls), {"x": 0})
    out = capsys.readouterr().out
    assert len(calls) == 2 and "Retraining 'toy'" in out and "corrupted" in out
    assert hist == {"train_loss": [3.0, 2.0]}
    # and the retrained file is good again
    checkpoints.load(path, build())


def test_mismatched_model_is_a_value_error(cache):
    checkpoints.load_or_train("toy", build, make_trainer([]), {"x": 1})
    path = checkpoints.checkpoint_path("toy", {"x": 1})
    with pytest.raises(ValueError, match="does not fit this model"):
        checkpoints.load(path, models.Autoencoder(3, hidden=(8,), device="cpu"))


def test_missing_file_and_unpicklable_payloads(cache, tmp_path):
    with pytest.raises(FileNotFoundError):
        checkpoints.load(tmp_path / "nope.pt", build())

    class Evil:
        def __reduce__(self):
            return (print, ("code ran",))

    bad = tmp_path / "evil.pt"
    torch.save({"format": 1, "state_dict": {}, "x": Evil()}, bad)
    with pytest.raises(ValueError, match="corrupted or not a course checkpoint"):
        checkpoints.load(bad, build())


def test_bad_names_and_configs_are_rejected(cache):
    with pytest.raises(ValueError, match="plain file name"):
        checkpoints.checkpoint_path("../x", {})
    with pytest.raises(ValueError, match="JSON-serializable"):
        checkpoints.checkpoint_path("x", {"f": object()})
