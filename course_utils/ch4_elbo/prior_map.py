"""A simple prior is enough: a map g turns N(0, I) samples into a complicated shape (Doersch, fig. 2).

- :func:`doersch_ring`: the hand-written g(z) = z/10 + z/||z|| that sends a 2-D Gaussian onto a ring;
- :func:`ring_data`: "data" on a noisy ring, the target a network should learn to produce;
- :func:`energy_distance`: a distance between two sets of samples (no pairing between them needed);
- :func:`fit_map`: trains a small MLP g_theta so that g_theta(z), z ~ N(0, I), matches the data samples
  in energy distance, and keeps snapshots of its outputs for a slider.
"""

from __future__ import annotations

import math

import torch

from course_utils.models import mlp


def doersch_ring(z: torch.Tensor) -> torch.Tensor:
    """g(z) = z/10 + z/||z|| for 2-D codes ``[N, 2]`` -> ``[N, 2]`` (a ring of radius about 1)."""
    return z / 10 + z / z.norm(dim=1, keepdim=True).clamp_min(1e-12)


def ring_data(
    n: int, radius: float = 1.0, noise: float = 0.05, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``n`` points ``[n, 2]`` at uniform angles on a circle of ``radius``, with radial Gaussian noise
    of standard deviation ``noise``."""
    angle = 2 * math.pi * torch.rand(n, generator=generator)
    r = radius + noise * torch.randn(n, generator=generator)
    return torch.stack([r * torch.cos(angle), r * torch.sin(angle)], 1)


def energy_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Energy distance 2 E||A - B|| - E||A - A'|| - E||B - B'|| between samples ``a`` ``[N, D]`` and
    ``b`` ``[M, D]``.

    Zero exactly when the two distributions are equal, positive otherwise; needs only samples, so it
    can train a sampler. (The within-set means include the zero diagonal: a small-sample bias only.)
    """
    return 2 * torch.cdist(a, b).mean() - torch.cdist(a, a).mean() - torch.cdist(b, b).mean()


def fit_map(
    data: torch.Tensor,
    steps: int = 1500,
    batch_size: int = 512,
    hidden: int = 64,
    lr: float = 3e-3,
    n_snapshots: int = 11,
    n_show: int = 1500,
    seed: int = 0,
):
    """Train g_theta: R^2 -> R^2 (an MLP 2-hidden-hidden-2) to minimize the energy distance between
    g_theta(z), z ~ N(0, I), and minibatches of ``data`` ``[N, 2]``.

    Returns ``(net, snapshots)``: ``snapshots`` is a list of dicts ``{"step", "z", "x", "energy"}``
    with ``x = g_theta(z)`` for the same ``n_show`` prior samples ``z`` at evenly spaced steps
    (step 0 = the untrained network) and the energy distance to ``n_show`` data points there.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny network: extra threads only add overhead
    try:
        return _fit_map(data, steps, batch_size, hidden, lr, n_snapshots, n_show, seed)
    finally:
        torch.set_num_threads(threads)


def _fit_map(data, steps, batch_size, hidden, lr, n_snapshots, n_show, seed):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = mlp([2, hidden, hidden, 2], activation=torch.nn.Tanh)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    z_show = torch.randn(n_show, 2, generator=g)
    data_show = data[torch.randperm(data.shape[0], generator=g)[:n_show]]
    snap_at = {round(i * steps / (n_snapshots - 1)) for i in range(n_snapshots)}
    snapshots = []
    for step in range(steps + 1):
        if step in snap_at:
            with torch.no_grad():
                x = net(z_show)
                snapshots.append(
                    {
                        "step": step,
                        "z": z_show,
                        "x": x.clone(),
                        "energy": float(energy_distance(x, data_show)),
                    }
                )
        if step == steps:
            break
        z = torch.randn(batch_size, 2, generator=g)
        target = data[torch.randint(0, data.shape[0], (batch_size,), generator=g)]
        loss = energy_distance(net(z), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    return net, snapshots
