"""course_utils.checkpoints: train once, load after; corrupted files are retrained, not fatal."""

import pytest
import torch

from course_utils import checkpoints, models


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


def test_fast_mode_and_data_source_are_part_of_the_key(cache, monkeypatch):
    from course_utils import config, data
    p1 = checkpoints.checkpoint_path("m", {"a": 1})
    monkeypatch.setattr(config, "FAST", not config.FAST)
    p2 = checkpoints.checkpoint_path("m", {"a": 1})
    monkeypatch.setattr(data, "_last_source", "something-else")
    p3 = checkpoints.checkpoint_path("m", {"a": 1})
    assert len({p1, p2, p3}) == 3


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
