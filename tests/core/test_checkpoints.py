"""course_utils.checkpoints: train once, load after; the key is everything that made the model; a damaged,
malformed or unwritable cache costs a retraining or the caching, never the model."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from course_utils import checkpoints, config, data, models, recipes, train

WEIGHT = 1.0  # a module global that toy_loss reads, as a notebook's loss reads the notebook's constants


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def fresh(hidden=(8,)):
    torch.manual_seed(0)
    return models.Autoencoder(2, hidden=hidden, device="cpu")


def toy_loss(model, x, scale=1.0):
    return WEIGHT * scale * x.flatten(1).mean(1)


def toy_fit(model, loss_fn, x, *, epochs=1, lr=1.0, batch_size=4, seed=0):
    """Moves every weight by a number that depends on the data and on every setting; prints TRAINED."""
    print("TRAINED")
    step = loss_fn(model, x).mean() * lr * epochs + batch_size / 1000 + seed / 100
    with torch.no_grad():
        for p in model.parameters():
            p.add_(step)
    return {"train_loss": [float(step)]}


def digits(seed, n=8):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def run(*args, model=None, **kwargs):
    """``train_once("toy", fresh(), toy_fit, toy_loss, *args, **kwargs)``."""
    return checkpoints.train_once("toy", model or fresh(), toy_fit, toy_loss, *args, **kwargs)


def trained_times(capsys) -> int:
    return capsys.readouterr().out.count("TRAINED")


def same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_the_same_call_twice_trains_once_then_loads(cache, capsys):
    m1, h1 = run(digits(0))
    m2, h2 = run(digits(0))
    out = capsys.readouterr().out
    assert out.count("TRAINED") == 1 and "Loaded the trained 'toy' from the cache (toy-" in out
    assert h1 == h2 and same_weights(m1, m2) and not same_weights(m1, fresh())
    assert not m2.training


def test_two_tensors_of_the_same_size_give_two_models(cache, capsys):
    m1, _ = run(digits(0))
    m2, _ = run(digits(1))
    assert trained_times(capsys) == 2 and not same_weights(m1, m2)
    assert len(list(cache.glob("toy-*.pt"))) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"lr": 0.5},
        {"batch_size": 8},
        {"seed": 1},
        {"epochs": 2},
        {"model": "other initial weights"},
        {"default": "toy_loss's scale"},
        {"default": "toy_fit's lr"},
        {"global": "WEIGHT"},
        {"fast": True},
    ],
)
def test_changing_any_setting_retrains(cache, capsys, monkeypatch, change):
    run(digits(0))
    assert trained_times(capsys) == 1
    kwargs = {k: v for k, v in change.items() if k in ("lr", "batch_size", "seed", "epochs")}
    model = None
    if "model" in change:
        torch.manual_seed(1)
        model = models.Autoencoder(2, hidden=(8,), device="cpu")
    if change.get("default") == "toy_loss's scale":
        monkeypatch.setattr(toy_loss, "__defaults__", (2.0,))
    if change.get("default") == "toy_fit's lr":
        monkeypatch.setattr(toy_fit, "__kwdefaults__", {**toy_fit.__kwdefaults__, "lr": 0.1})
    if "global" in change:
        monkeypatch.setitem(globals(), "WEIGHT", 2.0)
    if "fast" in change:
        monkeypatch.setattr(config, "FAST", not config.FAST)
    run(digits(0), model=model, **kwargs)
    out = capsys.readouterr().out
    assert out.count("TRAINED") == 1 and "Loaded" not in out
    # and the line says how the cached model differs
    assert out.startswith("Training 'toy': no cached model for these settings") and out.count("\n") == 2


def test_a_setting_given_by_keyword_by_position_or_by_default_is_one_key(cache, capsys):
    """The key binds the arguments to toy_fit's signature with its defaults applied."""
    run(digits(0))
    run(digits(0), lr=1.0)
    checkpoints.train_once("toy", fresh(), toy_fit, loss_fn=toy_loss, x=digits(0), epochs=1)
    assert trained_times(capsys) == 1
    with pytest.raises(TypeError, match="toy_fit: .*unexpected keyword argument 'lr_'"):
        run(digits(0), lr_=1.0)


def test_a_change_to_the_code_retrains(cache, capsys, monkeypatch):
    run(digits(0))
    real = checkpoints._source_digest

    def edited(path, *stat):
        return "edited" if path.endswith("losses.py") else real(path, *stat)

    monkeypatch.setattr(checkpoints, "_source_digest", edited)
    run(digits(0))
    out = capsys.readouterr().out
    assert out.count("TRAINED") == 2 and "differs in the code of losses.py)" in out


def test_the_code_digest_ignores_comments_and_docstrings_but_not_code(tmp_path):
    def digest(text, name):
        path = tmp_path / name
        path.write_text(text)
        return checkpoints._source_digest(str(path), *checkpoints._stat(path))

    base = digest('"""Doc."""\ndef f(x):\n    """Doc."""\n    return x + 1\n', "a.py")
    assert digest('"""Other."""\n# a comment\ndef f(x):\n    return x + 1  # why\n', "b.py") == base
    assert digest('"""Doc."""\ndef f(x):\n    return x + 2\n', "c.py") != base


def test_a_notebook_function_is_keyed_by_its_code_and_closure():
    def key(loss):
        return checkpoints.cache_key(fresh(), toy_fit, loss, digits(0))["arguments"]["loss_fn"]

    def make(beta):
        return lambda model, x: beta * x.flatten(1).mean(1)

    def other(model, x):
        return 2 * x.flatten(1).mean(1)

    assert key(make(1.0)) == key(make(1.0)) and key(make(1.0)) != key(make(2.0))
    renamed = other
    other = lambda model, x: 3 * x.flatten(1).mean(1)  # noqa: E731 -- the same name, another body
    assert key(renamed) != key(other)

    class Warmup:  # an object with state, as collapse.KLWarmup
        def __init__(self, steps):
            self.steps = steps

        def __call__(self, model, x):
            return x.flatten(1).mean(1)

    assert key(Warmup(3)) == key(Warmup(3)) != key(Warmup(4))
    with pytest.raises(TypeError, match="cannot key a training argument of type slice"):
        checkpoints.cache_key(fresh(), toy_fit, toy_loss, slice(3))


def test_a_course_object_is_keyed_when_the_course_is_installed_among_the_packages(monkeypatch):
    """A student's machine: the wheel puts course_utils among the installed packages; its objects (a KL
    warm-up schedule) are still keyed by their state, not refused (found by .ci/student_machine)."""
    from course_utils.ch7_vae_lab.collapse import KLWarmup

    monkeypatch.setattr(
        checkpoints, "_LIBRARY_PATHS", (*checkpoints._LIBRARY_PATHS, str(checkpoints._PACKAGE_ROOT))
    )
    assert checkpoints._in_library(checkpoints.__file__)  # the course now looks installed

    def key(schedule):
        return checkpoints.cache_key(fresh(), toy_fit, schedule, digits(0))["arguments"]["loss_fn"]

    assert key(KLWarmup(1.0, 3)) == key(KLWarmup(1.0, 3)) != key(KLWarmup(1.0, 4))


# ------------------------------------------------------------------ saving never costs the model

FULL_DISK = RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534")


def test_a_writer_that_fails_as_torch_save_does_on_a_full_disk(cache, capsys, monkeypatch):
    """torch.save reports a full disk with this RuntimeError (seen on a 1 MB tmpfs), not an OSError."""
    real_save = torch.save

    def full_disk(obj, f, *args, **kwargs):
        real_save(obj, f)
        with open(f, "r+b") as half:
            half.truncate(500)
        try:
            raise RuntimeError("basic_ios::clear: iostream error")
        except RuntimeError:
            raise FULL_DISK from None

    usage = shutil.disk_usage(cache.parent)
    monkeypatch.setattr(torch, "save", full_disk)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=200))
    model, history = run(digits(0))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "TRAINED" and len(lines) == 2 and history["train_loss"]
    assert lines[1].startswith("Warning: 'toy' is trained but not cached: the disk is full (0.0 MB free")
    assert not same_weights(model, fresh()) and list(cache.iterdir()) == []  # the temporary file is gone
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage)  # a cause that is not the disk
    run(digits(0))
    assert "not cached: [enforce fail at inline_container.cc:672] . unexpected pos" in capsys.readouterr().out


def mounted(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True)
    if sys.platform != "linux" or os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)]).returncode == 0


@pytest.mark.parametrize(("options", "cause"), [("size=1m", "the disk is full"), ("ro", "is not writable")])
def test_a_real_full_or_read_only_filesystem(tmp_path, monkeypatch, capsys, options, cause):
    folder = tmp_path / "small"
    if not mounted(folder, options):
        pytest.skip("mounting a tmpfs needs root on Linux")
    try:
        monkeypatch.setenv("COURSE_CACHE_DIR", str(folder))
        model, _ = run(digits(0), model=fresh(hidden=(400,)))  # a 2.5 MB checkpoint
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 2 and cause in lines[1] and "not cached" in lines[1]
        assert not same_weights(model, fresh(hidden=(400,))) and list(folder.iterdir()) == []
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("how", ["folder is a file", "path runs through a file"])
def test_a_file_where_the_folder_should_be(monkeypatch, tmp_path, capsys, how):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(blocker if how == "folder is a file" else blocker / "sub"))
    model, _ = run(digits(0))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "TRAINED" and len(lines) == 2 and f"{blocker} is a file, not a folder" in lines[1]
    assert blocker.read_text() == "a file, not a folder" and not same_weights(model, fresh())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_cache_folder(cache, capsys):
    cache.mkdir()
    cache.chmod(0o555)
    try:
        run(digits(0))
    finally:
        cache.chmod(0o755)
    assert "is not writable" in capsys.readouterr().out


# ------------------------------------------------------------------ checkpoints verified on load


def only_checkpoint(cache) -> Path:
    (path,) = cache.glob("toy-*.pt")
    return path


def test_a_damaged_weight_inside_an_intact_zip_is_retrained(cache, capsys):
    first, _ = run(digits(0))
    path = only_checkpoint(cache)
    with zipfile.ZipFile(path) as z:  # the largest stored tensor, and where its bytes begin
        info = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    raw = bytearray(path.read_bytes())
    name_len = int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len + info.file_size // 2
    raw[start : start + 256] = os.urandom(256)
    path.write_bytes(bytes(raw))
    assert zipfile.ZipFile(path).namelist()  # still a readable zip
    capsys.readouterr()
    again, _ = run(digits(0))
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"Retraining 'toy': {path.name} is damaged: its weights do not match their SHA-256",
        "TRAINED",
    ]
    assert same_weights(first, again)  # retrained from the same start, not from the damaged weights
    checkpoints.load(path, fresh())  # and the file is good again


def rewrite(path: Path, **changes):
    payload = torch.load(path, weights_only=True)
    payload.update(changes)
    torch.save(payload, path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"state_dict": [1, 2]}, "holds no state dict of weights (found list)"),
        ({"state_dict": "weights"}, "holds no state dict of weights (found str)"),
        ({"history": [1.0]}, "holds a malformed history (not a dict of lists of numbers)"),
        ({"history": {"loss": "low"}}, "holds a malformed history (not a dict of lists of numbers)"),
        ({"history": {"loss": [1.0, None]}}, "holds a malformed history (not a dict of lists of numbers)"),
        ({"format": 1}, "is not a course checkpoint of format 2"),
        ({"weights_sha256": "0" * 64}, "is damaged: its weights do not match their SHA-256"),
        ({"nan": True}, "holds non-finite weights (encoder.0.weight)"),
        ({"shape": True}, "does not fit this model (encoder.0.weight: [8, 783] in the file, [8, 784] here)"),
    ],
)
def test_malformed_entries_are_named_in_one_line_and_retrained(cache, capsys, change, message):
    change = dict(change)
    run(digits(0))
    path = only_checkpoint(cache)
    state = torch.load(path, weights_only=True)["state_dict"]
    if change.pop("nan", False):
        state["encoder.0.weight"][0, 0] = float("nan")
    if change.pop("shape", False):
        state["encoder.0.weight"] = state["encoder.0.weight"][:, :783]
    if not change:
        change = {"state_dict": state, "weights_sha256": checkpoints.weights_digest(state)}
    rewrite(path, **change)
    capsys.readouterr()
    model, history = run(digits(0))
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Retraining 'toy': {path.name} {message}", "TRAINED"]
    assert history["train_loss"] and not same_weights(model, fresh())


def test_a_file_that_is_no_checkpoint_and_a_pickle_that_would_run_code(cache, capsys):
    run(digits(0))
    path = only_checkpoint(cache)
    path.write_bytes(b"this is not a checkpoint")
    capsys.readouterr()
    run(digits(0))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "is damaged or not a course checkpoint" in lines[0]

    class Evil:
        def __reduce__(self):
            return (print, ("code ran",))

    torch.save({"format": 2, "state_dict": {}, "x": Evil()}, path)
    with pytest.raises(ValueError, match="is damaged or not a course checkpoint"):
        checkpoints.load(path, fresh())
    assert "code ran" not in capsys.readouterr().out
    with pytest.raises(FileNotFoundError):
        checkpoints.load(cache / "nope.pt", fresh())


def test_an_old_cache_retrains_once_with_one_line_saying_why(cache, capsys):
    cache.mkdir()
    old = cache / "toy-0123456789abcdef.pt"
    torch.save({"format": 1, "state_dict": fresh().state_dict(), "config": "{}"}, old)
    run(digits(0))
    run(digits(0))
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "Training 'toy': the cached one was made by an older version of the course.",
        "TRAINED",
    ]
    assert lines[2].startswith("Loaded the trained 'toy'") and len(lines) == 3 and old.exists()


# ------------------------------------------------------------------ killed saves


def test_the_hidden_temporary_file_of_a_killed_save_is_removed_later(cache, capsys):
    """A SIGKILL between torch.save and the rename leaves ``.<name>.pt.tmp<pid>``; a later call removes it."""
    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()
    cache.mkdir()
    kept = {
        cache / f".toy-0123456789abcdef.pt.tmp{os.getpid()}": "this process: maybe saving right now",
        cache / f".toy-0123456789abcdef.pt.tmp{os.getppid()}": "a living process",
        cache / f"toy.pt.tmp{killed.pid}": "not hidden: not our name",
        cache / f".toy.txt.tmp{killed.pid}": "not a checkpoint's name",
        cache / f".toy.pt.tmp{killed.pid}x": "not a pid",
    }
    for path, text in kept.items():
        path.write_text(text)
    abandoned = cache / f".toy-0123456789abcdef.pt.tmp{killed.pid}"
    abandoned.write_bytes(b"half a checkpoint")
    elsewhere = cache.parent / f".toy-0123456789abcdef.pt.tmp{killed.pid}"
    elsewhere.write_bytes(b"not in the cache folder")
    run(digits(0))
    assert not abandoned.exists() and elsewhere.exists()
    assert all(path.read_text() == text for path, text in kept.items())


# ------------------------------------------------------------------ names, folders, the old call


def test_bad_names_are_rejected(cache):
    for name in ("../x", ".hidden", "", "a/b"):
        with pytest.raises(ValueError, match="plain file name"):
            checkpoints.train_once(name, fresh(), toy_fit, toy_loss, digits(0))


def test_cache_dir_and_data_folder_share_one_home(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    home = tmp_path / "all-about-autoencoders"
    assert checkpoints.cache_dir() == home / "checkpoints" and data.default_root() == home / "data"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "mine"))
    assert checkpoints.cache_dir() == tmp_path / "mine"


X_A, X_B = digits(0), digits(1)


def test_the_random_numbers_after_the_call_are_the_same_whether_it_trained_or_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(3))

    def after_the_call():
        torch.manual_seed(123)
        torch.manual_seed(0)
        model = models.Autoencoder(2, hidden=(16,))
        torch.manual_seed(7)
        checkpoints.train_once("rng", model, train.fit, recipes.autoencoder_loss, x, epochs=1, progress=False)
        return torch.rand(3)

    trained_now, loaded = after_the_call(), after_the_call()
    assert torch.equal(trained_now, loaded)
