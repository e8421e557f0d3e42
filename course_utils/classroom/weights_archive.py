"""``python -m course_utils.classroom weights export FILE``: the cached checkpoints of this mode and data
source in one archive, read through ``COURSE_WEIGHTS=FILE_OR_URL`` (:mod:`course_utils.weights`).

Run it after the notebooks have trained their models (e.g. after ``html``, which runs every notebook): it
loads the data the notebooks would load, and keeps the checkpoints trained in this mode on that data.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from course_utils import checkpoints, config, data, weights


def _made_here(path: Path, fingerprint: str) -> bool:
    """Whether a cached checkpoint was trained in this mode on the data of ``fingerprint``."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        key = json.loads(payload["key"])
    except Exception:  # not a course checkpoint of this format: not exported
        return False
    return key.get("fast") == config.FAST and payload.get("data") == fingerprint


def export(out: Path) -> list[Path]:
    """Write the archive ``out``; return the checkpoint files it holds."""
    data.load(train=True)
    fingerprint = data.loaded().fingerprint
    files = sorted(p for p in checkpoints.cache_dir().glob("*.pt") if _made_here(p, fingerprint))
    if not files:
        raise ValueError(
            f"no checkpoint in {checkpoints.cache_dir()} was trained in this mode on this data: "
            "run the notebooks first"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    weights.export(files, out)
    return files


def main(out: Path, overwrite: bool) -> int:
    """The ``weights export`` command; exit status 0 written, 2 refused."""
    if out.exists() and not overwrite:
        print(f"error: {out} exists: not replacing it (--overwrite replaces it)")
        return 2
    try:
        files = export(out)
    except (ValueError, OSError) as err:
        print(f"error: {err}")
        return 2
    mode = "fast mode" if config.FAST else "the default mode"
    print(
        f"wrote {out}: {len(files)} checkpoints of {mode} on {data.loaded().dataset_title} "
        f"({data.loaded().source}); students set {weights.VARIABLE}={out} or a URL serving it"
    )
    return 0
