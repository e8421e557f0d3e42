"""course_utils.config and course_utils.device: switches, folders, and the one-line description of a run."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from course_utils import config, data, device, mnist_files


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.delenv("COURSE_DATASET", raising=False)
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
    data.load(root=mnist_sized(tmp_path, 60_000, 10_000), device="cpu")
    line = data.describe_run()
    assert "\n" not in line and expected in line, line
    assert line.startswith("fast mode" if fast else "default mode")


@pytest.mark.parametrize("fast", [False, True])
def test_offline_fallback_says_why_it_is_small(fresh, monkeypatch, tmp_path, fast):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    modes(monkeypatch, fast, gpu=False)
    data.load(root=tmp_path, device="cpu")
    line = data.describe_run()
    used = "2,000" if fast else "4,000"
    assert f"training on {used} of 4,000 digits, testing on 1,000 of 1,000" in line, line
    assert "offline fallback has only 4,000 training and 1,000 test digits" in line


def test_course_dir_ignores_blank_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", "  ")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.course_dir("data", "COURSE_DATA_DIR") == tmp_path / "all-about-autoencoders" / "data"


# --- environment switches: parsed one way, a bad value named in one line -----------------------------------


@pytest.mark.parametrize(
    "value, on",
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" On ", True),
        ("0", False),
        ("False", False),
        ("no", False),
    ]
    + [("off", False), ("", False)],
)
def test_flags_read_the_usual_words_in_any_case(monkeypatch, value, on):
    monkeypatch.setenv("COURSE_SOMETHING", value)
    assert config.flag("COURSE_SOMETHING") is on


@pytest.mark.parametrize("value", ["2", "maybe", "enabled", "-1"])
def test_any_other_value_is_one_line_naming_the_variable_and_the_words(monkeypatch, value):
    monkeypatch.setenv("COURSE_SOMETHING", value)
    with pytest.raises(ValueError) as err:
        config.flag("COURSE_SOMETHING")
    message = str(err.value)
    assert "\n" not in message and f"COURSE_SOMETHING={value!r}" in message
    assert all(word in message for word in ("1, true, yes or on", "0, false, no, off"))


def test_course_offline_false_means_online(fresh, monkeypatch, tmp_path, capsys):
    probes = []
    monkeypatch.setattr(data, "_network_reachable", lambda timeout, urls: probes.append(urls) or False)
    monkeypatch.setenv("COURSE_OFFLINE", "false")
    data.load(root=tmp_path, device="cpu")
    assert len(probes) == 1 and "(no network)" in capsys.readouterr().out
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.setenv("COURSE_OFFLINE", "Yes")
    data.load(root=tmp_path, device="cpu")
    assert len(probes) == 1 and "COURSE_OFFLINE is set" in capsys.readouterr().out
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.setenv("COURSE_OFFLINE", "sometimes")
    with pytest.raises(ValueError, match="COURSE_OFFLINE='sometimes' is not an on/off value"):
        data.load(root=tmp_path, device="cpu")


@pytest.mark.parametrize("name", ["COURSE_FAST", "COURSE_STRICT"])
def test_a_bad_fast_or_strict_value_stops_the_import_with_one_line_naming_it(name):
    env = {**os.environ, name: "2"}
    done = subprocess.run(
        [sys.executable, "-c", "import course_utils"], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        f"ValueError: {name}='2' is not an on/off value: use 1, true, yes or on (or 0, false, no, off)"
    )


@pytest.mark.parametrize("value", ["gpu", "GPU0", "cuda:x", "tpu"])
def test_course_device_names_itself_and_what_it_accepts(monkeypatch, value):
    monkeypatch.setenv("COURSE_DEVICE", value)
    with pytest.raises(ValueError) as err:
        device.get_device()
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"COURSE_DEVICE={value!r} is not a device")
    assert "cpu, cuda, cuda:N" in message and "mps" in message


def test_course_device_takes_any_case(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "CPU")
    assert device.get_device() == torch.device("cpu")
