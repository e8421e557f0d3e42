"""Loss viewpoint II: the network's output is a distribution, the loss its NLL.

The values the widgets of :mod:`.widgets` show: :func:`.widgets.gaussian_widget` (predicted mean ``mu``
and target ``y`` -> the density ``N(. | mu, 1)``, samples drawn from it and
``-log N(y | mu, 1) = (y - mu)^2 / 2 + log(2 pi) / 2``) and :func:`.widgets.bernoulli_widget` (predicted
probability ``p`` and target ``y`` in {0, 1} -> the pmf, samples and ``-log p(y) = -[y ln p + (1 - y)
ln(1 - p)]``). Both values come from :mod:`course_utils.losses`.
"""

from __future__ import annotations

import math

import torch

from course_utils import losses


def gaussian_nll_value(mu: float, y: float) -> float:
    """``-log N(y | mu, 1)`` in nats, from :func:`course_utils.losses.gaussian_nll`."""
    return float(
        losses.gaussian_nll(
            torch.tensor([[float(mu)]], dtype=torch.float64), torch.tensor([[float(y)]], dtype=torch.float64)
        )[0]
    )


def bernoulli_nll_value(p: float, y: float) -> float:
    """``-log Bernoulli(y | p)`` in nats, from :func:`course_utils.losses.bernoulli_nll` (on the logit
    of p)."""
    if not 0 < p < 1:
        raise ValueError(f"p must lie strictly between 0 and 1, got {p!r}")
    logit = torch.tensor([[math.log(p / (1 - p))]], dtype=torch.float64)
    return float(losses.bernoulli_nll(logit, torch.tensor([[float(y)]], dtype=torch.float64))[0])
