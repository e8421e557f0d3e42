"""Train once, then load: a weights cache keyed by the model's configuration and the data source.

Files are plain ``torch.save`` dicts of tensors, numbers and strings, read back with
``torch.load(..., weights_only=True)`` (no pickled code is ever executed).
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
    if os.environ.get("COURSE_CACHE_DIR"):
        return Path(os.environ["COURSE_CACHE_DIR"]).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "all-about-autoencoders" / "checkpoints"


def checkpoint_path(name: str, config_dict: dict) -> Path:
    """File for ``name`` trained with ``config_dict`` on the current data source in the current mode."""
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ValueError(f"checkpoint name must be a plain file name, got {name!r}")
    key = {"config": config_dict, "data_source": data.data_source(), "fast": config.FAST,
           "format": FORMAT_VERSION}
    try:
        text = json.dumps(key, sort_keys=True)
    except TypeError as err:
        raise ValueError(f"checkpoint config must be JSON-serializable: {err}") from err
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return cache_dir() / f"{name}-{digest}.pt"


def save(path: Path, model: torch.nn.Module, history: dict | None, config_dict: dict) -> None:
    """Write atomically (to a temporary file, then rename) so an interrupted save loses nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
               "history": {k: [float(v) for v in vals] for k, vals in (history or {}).items()},
               "config": json.dumps(config_dict, sort_keys=True), "format": FORMAT_VERSION}
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    torch.save(payload, tmp)
    os.replace(tmp, path)


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
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION or "state_dict" not in payload:
        raise ValueError(f"checkpoint {path} is not a course checkpoint of format {FORMAT_VERSION}")
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise ValueError(f"checkpoint {path} does not fit this model: {err}") from err
    return payload.get("history", {})


def load_or_train(name: str, build: Callable[[], torch.nn.Module],
                  train: Callable[[torch.nn.Module], dict | None], config: dict):
    """Return ``(model, history)``: trained weights from the cache, or train now and cache them.

    ``build()`` makes a fresh model; ``train(model)`` trains it in place and returns its history
    (or ``None``). The cache key covers ``config``, the MNIST source last loaded and fast mode, so a
    fast-mode model is never served to the classroom. A corrupted or mismatched file is reported
    in one printed line and retrained.
    """
    path = checkpoint_path(name, config)
    model = build()
    if path.exists():
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
    save(path, model, history, config)
    return model, history
