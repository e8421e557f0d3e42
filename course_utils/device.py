"""Where tensors and models live: CUDA if available, else Apple MPS, else the CPU.

This module imports nothing of the course (``config`` imports it).
"""

import os

import torch

#: What ``COURSE_DEVICE`` accepts, for its error message.
ACCEPTED = "cpu, cuda, cuda:N (N = 0, 1, ...) or mps, or leave it unset to choose automatically"


def get_device() -> torch.device:
    """The device the course computes on.

    ``COURSE_DEVICE`` (for example ``cpu`` or ``cuda:1``) overrides the automatic choice; a value that is not
    a device raises ``ValueError``, a device this machine lacks ``RuntimeError``; both name ``COURSE_DEVICE``.
    """
    wanted = os.environ.get("COURSE_DEVICE", "").strip()
    if wanted:
        try:
            device = torch.device(wanted.lower())
        except RuntimeError:
            device = None
        if device is None or device.type not in {"cpu", "cuda", "mps"}:
            raise ValueError(f"COURSE_DEVICE={wanted!r} is not a device: use {ACCEPTED}")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"COURSE_DEVICE={wanted!r} but CUDA is not available on this machine: use cpu")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(
                f"COURSE_DEVICE={wanted!r} but Apple MPS is not available on this machine: use cpu"
            )
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
