"""course_utils.config: course folders and the one-line description of a run."""

import numpy as np
import pytest

from course_utils import config, data, mnist_files


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.setattr(data, "_last", None)


def mnist_sized(root, n_train, n_test):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = np.random.default_rng(n).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        mnist_files.write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        mnist_files.write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n, dtype=np.uint8) % 10)
    return root


def modes(monkeypatch, fast, gpu):
    monkeypatch.setattr(config, "FAST", fast)
    monkeypatch.setattr(config, "ON_GPU", gpu)
    monkeypatch.setattr(config, "TRAIN_SIZE", 2_000 if fast else (60_000 if gpu else 10_000))
    monkeypatch.setattr(config, "TEST_SIZE", 10_000 if (gpu and not fast) else 1_000)


def test_before_loading_it_says_so(fresh):
    line = data.describe_run()
    assert "\n" not in line and "no data loaded yet" in line


@pytest.mark.parametrize(
    "fast, gpu, expected",
    [
        (False, False, "training on 10,000 of 60,000 digits, testing on 1,000 of 10,000 (on a CPU"),
        (False, True, "training on 60,000 of 60,000 digits, testing on 10,000 of 10,000 (on a GPU"),
        (
            True,
            False,
            "training on 2,000 of 60,000 digits, testing on 1,000 of 10,000 (fast mode keeps 2,000",
        ),
    ],
)
def test_mnist_sized_data_in_each_mode(fresh, monkeypatch, tmp_path, fast, gpu, expected):
    modes(monkeypatch, fast, gpu)
    data.load_mnist(root=mnist_sized(tmp_path, 60_000, 10_000), device="cpu")
    line = data.describe_run()
    assert "\n" not in line and expected in line, line
    assert line.startswith("fast mode" if fast else "default mode")


@pytest.mark.parametrize("fast", [False, True])
def test_offline_fallback_says_why_it_is_small(fresh, monkeypatch, tmp_path, fast):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    modes(monkeypatch, fast, gpu=False)
    data.load_mnist(root=tmp_path, device="cpu")
    line = data.describe_run()
    used = "2,000" if fast else "4,000"
    assert f"training on {used} of 4,000 digits, testing on 1,000 of 1,000" in line, line
    assert "offline fallback has only 4,000 training and 1,000 test digits" in line


def test_course_dir_ignores_blank_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", "  ")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.course_dir("data", "COURSE_DATA_DIR") == tmp_path / "all-about-autoencoders" / "data"
