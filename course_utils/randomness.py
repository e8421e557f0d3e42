"""The course's one convention for randomness, and the two draws that follow it.

1. A function that runs a whole random experiment of its own (a widget's fixed samples, a training run,
   an embedding, an estimator comparison, a model's initial weights) takes ``seed: int``: its result
   depends on the seed only, never on what ran before. It draws from its own
   ``torch.Generator().manual_seed(seed)`` (NumPy and scikit-learn: from the same ``seed``). Only model
   initialisation and training seed torch's global generator (``torch.manual_seed(seed)``), because
   ``torch.nn``'s initialisers and a VAE's sampling step draw from it.
2. A function that draws as one step of its caller's computation (corrupt a batch, sample a model,
   binarize, a Monte Carlo estimate) takes ``generator: torch.Generator | None = None`` and draws from
   it; ``None`` means torch's global generator. A CPU generator works for tensors on any device.
3. A notebook seeds the global generators once, at the top: :func:`course_utils.config.seed_everything`.
"""

from __future__ import annotations

import torch


def _draw(kind, shape, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    device = generator.device if generator is not None else like.device
    return kind(shape, generator=generator, device=device, dtype=like.dtype).to(like.device)


def normal(shape, like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal numbers of ``shape`` with ``like``'s dtype and device, drawn from ``generator``
    on the generator's own device (``None``: torch's global generator)."""
    return _draw(torch.randn, shape, like, generator)


def uniform(shape, like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform numbers in [0, 1) of ``shape``, like :func:`normal`."""
    return _draw(torch.rand, shape, like, generator)
