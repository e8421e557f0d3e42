"""Where tensors and models live: CUDA if available, else Apple MPS, else the CPU."""

import os

import torch


def get_device() -> torch.device:
    """The device the course computes on.

    ``COURSE_DEVICE`` (for example ``cpu`` or ``cuda:1``) overrides the automatic choice.
    """
    wanted = os.environ.get("COURSE_DEVICE", "").strip()
    if wanted:
        device = torch.device(wanted)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"COURSE_DEVICE={wanted!r} but CUDA is not available on this machine")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"COURSE_DEVICE={wanted!r} but Apple MPS is not available on this machine")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
