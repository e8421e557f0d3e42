"""course_utils.randomness: the one convention (seed for a whole experiment, generator for a step)."""

import pytest
import torch

from course_utils import losses, models, randomness


def test_draws_follow_the_generator_and_keep_dtype_and_device():
    like = torch.zeros(2, dtype=torch.float64)
    a = randomness.normal((3, 4), like, torch.Generator().manual_seed(5))
    b = randomness.normal((3, 4), like, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.dtype == torch.float64 and a.shape == (3, 4)
    u = randomness.uniform((1000,), like, torch.Generator().manual_seed(0))
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean().item() - 0.5) < 0.05
    torch.manual_seed(1)
    global_draw = randomness.normal((3,), like)
    torch.manual_seed(1)
    assert torch.equal(global_draw, torch.randn(3, dtype=torch.float64))  # None: the global generator
    with pytest.raises(ValueError, match="torch.Generator or None"):
        randomness.normal((3,), like, generator=5)


def test_monte_carlo_bounds_are_reproducible_from_a_generator():
    torch.manual_seed(0)
    vae = models.VAE(2, hidden=(16,), device="cpu")
    x = (torch.rand(3, 1, 28, 28) > 0.5).float()
    for bound in (
        lambda g: losses.elbo(vae, x, n_samples=3, generator=g),
        lambda g: losses.iwae_bound(vae, x, k=5, generator=g),
    ):
        first = bound(torch.Generator().manual_seed(7))
        assert torch.equal(first, bound(torch.Generator().manual_seed(7)))
        assert not torch.equal(first, bound(torch.Generator().manual_seed(8)))
    mu, logvar = torch.zeros(4, 2), torch.zeros(4, 2)
    z = models.VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    assert torch.equal(z, torch.randn(4, 2, generator=torch.Generator().manual_seed(3)))
