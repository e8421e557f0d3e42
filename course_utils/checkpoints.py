"""Train once, then load: a weights cache keyed by the model's settings and the data it was trained on.

Files are plain ``torch.save`` dicts of tensors, numbers and strings, read back with
``torch.load(..., weights_only=True)`` (no pickled code is ever executed). A cache that cannot be
written costs only the caching: the trained model is returned, with one printed warning.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import torch

from course_utils import config, data

FORMAT_VERSION = 1


def cache_dir() -> Path:
    """``COURSE_CACHE_DIR``, else ``~/.cache/all-about-autoencoders/checkpoints``."""
    return config.course_dir("checkpoints", "COURSE_CACHE_DIR")


def checkpoint_path(name: str, settings: dict) -> Path:
    """File for ``name`` trained with ``settings`` on the data last loaded, in the current mode.

    The key holds ``data.data_fingerprint()`` (source, sizes and a content hash), so real MNIST and
    MNIST-sized files made from the offline digits never share a cached model.
    """
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ValueError(f"checkpoint name must be a plain file name, got {name!r}")
    key = {"config": settings, "data": data.data_fingerprint(), "fast": config.FAST, "format": FORMAT_VERSION}
    try:
        text = json.dumps(key, sort_keys=True)
    except TypeError as err:
        raise ValueError(f"checkpoint config must be JSON-serializable: {err}") from err
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return cache_dir() / f"{name}-{digest}.pt"


def save(path: Path, model: torch.nn.Module, history: dict | None, settings: dict) -> None:
    """Write atomically (to a temporary file, then rename) so an interrupted save loses nothing.

    Raises ``OSError`` when the folder cannot be written; a half-written temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "history": {k: [float(v) for v in vals] for k, vals in (history or {}).items()},
        "config": json.dumps(settings, sort_keys=True),
        "format": FORMAT_VERSION,
    }
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        try:
            tmp.unlink(missing_ok=True)  # ours, left only when the save failed
        except OSError:
            pass


def load(path: Path, model: torch.nn.Module) -> dict[str, list[float]]:
    """Load weights into ``model`` (in place) and return the stored history.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a corrupted or
    mismatched one.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"checkpoint {path} is corrupted or not a course checkpoint: {err}") from err
    if (
        not isinstance(payload, dict)
        or payload.get("format") != FORMAT_VERSION
        or "state_dict" not in payload
    ):
        raise ValueError(f"checkpoint {path} is not a course checkpoint of format {FORMAT_VERSION}")
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise ValueError(f"checkpoint {path} does not fit this model: {err}") from err
    return payload.get("history", {})


def load_or_train(
    name: str,
    build: Callable[[], torch.nn.Module],
    train: Callable[[torch.nn.Module], dict | None],
    settings: dict,
):
    """Return ``(model, history)``: trained weights from the cache, or train now and cache them.

    ``build()`` makes a fresh model; ``train(model)`` trains it in place and returns its history
    (or ``None``). The cache key covers ``settings``, the MNIST data last loaded and fast mode, so a
    fast-mode model is never served to the classroom. A corrupted or mismatched file is reported
    in one printed line and retrained; a cache folder that cannot be written is reported in one
    line, and the freshly trained model is returned all the same.
    """
    path = checkpoint_path(name, settings)
    model = build()
    if path.is_file():
        try:
            history = load(path, model)
            model.eval()
            print(f"Loaded the trained {name!r} from the cache ({path.name}).")
            return model, history
        except ValueError as err:
            print(f"Retraining {name!r}: {err}")
            model = build()
    history = train(model) or {}
    model.eval()
    try:
        save(path, model, history, settings)
    except OSError as err:
        why = _why_not_writable(path.parent, err)
        print(
            f"Warning: the checkpoint cache {path.parent} is not writable ({why}):"
            f" {name!r} is trained but not cached (set COURSE_CACHE_DIR to a writable folder)."
        )
    return model, history


def _why_not_writable(folder: Path, err: OSError) -> str:
    """The cause in words: a file where a folder should be, else the system's message."""
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            return f"{part} is a file, not a folder"
    return err.strerror or str(err)
