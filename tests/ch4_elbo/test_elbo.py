"""Notebook 4 (the ELBO): the linear-Gaussian model, the grid quadrature, the ring map and every widget."""

import math

import pytest
import torch

from course_utils import data, losses, models
from course_utils.ch4_elbo import prior_map, quadrature
from course_utils.ch4_elbo import widgets as elbo_widgets
from course_utils.ch4_elbo.linear_gaussian import LinearGaussian, full_cov_log_density, kl_gaussians

F64 = torch.float64


# ---------------------------------------------------------------- linear-Gaussian model


@pytest.mark.parametrize("latent_dim", [1, 2, 3])
def test_log_px_equals_brute_force_multivariate_normal(latent_dim):
    lg = LinearGaussian.random(data_dim=4, latent_dim=latent_dim, sigma=0.6, seed=latent_dim)
    _, x = lg.sample(5, generator=torch.Generator().manual_seed(0))
    W, b, s = lg.W, lg.b, lg.sigma
    cov = W @ W.T + s**2 * torch.eye(4, dtype=F64)
    diff = x - b
    brute = -0.5 * (
        torch.einsum("nd,de,ne->n", diff, torch.linalg.inv(cov), diff)
        + torch.logdet(cov)
        + 4 * math.log(2 * math.pi)
    )
    assert torch.allclose(lg.log_px(x), brute, atol=1e-10)
    ref = torch.distributions.MultivariateNormal(b, cov).log_prob(x)
    assert torch.allclose(lg.log_px(x), ref, atol=1e-10)


def test_posterior_is_bayes_rule_numerically():
    """p(z|x) = p(x|z) p(z) / p(x), checked pointwise at random z, for a 2-D latent."""
    lg = LinearGaussian.random(data_dim=3, latent_dim=2, sigma=0.8, seed=4)
    _, x = lg.sample(1, generator=torch.Generator().manual_seed(1))
    x = x[0]
    m, S = lg.posterior(x)
    z = torch.randn(50, 2, generator=torch.Generator().manual_seed(2), dtype=F64)
    bayes = lg.log_px_given_z(x, z) + lg.log_prior(z) - lg.log_px(x)
    assert torch.allclose(full_cov_log_density(z, m, S), bayes, atol=1e-10)
    # and it integrates to 1 / matches the grid's posterior mean and covariance
    gp = quadrature.grid_quadrature(
        lambda zg: lg.log_px_given_z(x, zg)[:, None], quadrature.grid_axis(-6, 6, 0.05)
    )
    gm, gc = gp.mean_cov()
    assert torch.allclose(gm[0], m, atol=1e-8) and torch.allclose(gc[0], S, atol=1e-8)


def test_elbo_below_log_px_with_equality_at_posterior_and_gap_is_kl():
    lg = LinearGaussian.random(data_dim=5, latent_dim=2, sigma=0.5, seed=7)
    _, x = lg.sample(1, generator=torch.Generator().manual_seed(3))
    x = x[0]
    m, S = lg.posterior(x)
    assert abs(lg.log_px(x) - lg.elbo(x, m, S)) < 1e-10
    g = torch.Generator().manual_seed(5)
    for _ in range(50):
        A = torch.randn(2, 2, generator=g, dtype=F64)
        qm, qc = torch.randn(2, generator=g, dtype=F64) * 2, A @ A.T + 0.01 * torch.eye(2, dtype=F64)
        elbo = lg.elbo(x, qm, qc)
        assert elbo < lg.log_px(x)
        assert abs(lg.log_px(x) - elbo - lg.kl_to_posterior(x, qm, qc)) < 1e-9
    # a vector of stds means a diagonal covariance
    assert torch.allclose(
        lg.elbo(x, m, torch.tensor([0.3, 0.4])),
        lg.elbo(x, m, torch.diag(torch.tensor([0.09, 0.16], dtype=F64))),
    )


def test_elbo_closed_form_matches_monte_carlo():
    lg = LinearGaussian.random(data_dim=4, latent_dim=2, sigma=0.7, seed=2)
    _, x = lg.sample(1, generator=torch.Generator().manual_seed(0))
    qm, qs = torch.tensor([0.2, -0.4], dtype=F64), torch.tensor([0.5, 0.3], dtype=F64)
    est, se = lg.elbo_monte_carlo(x[0], qm, qs, n=100_000, generator=torch.Generator().manual_seed(1))
    assert abs(est - lg.elbo(x[0], qm, qs)) < 4 * se


def test_kl_gaussians_matches_torch():
    g = torch.Generator().manual_seed(0)
    A, B = torch.randn(3, 3, generator=g, dtype=F64), torch.randn(3, 3, generator=g, dtype=F64)
    c1, c2 = A @ A.T + 0.1 * torch.eye(3, dtype=F64), B @ B.T + 0.1 * torch.eye(3, dtype=F64)
    m1, m2 = torch.randn(3, generator=g, dtype=F64), torch.randn(3, generator=g, dtype=F64)
    MVN = torch.distributions.MultivariateNormal
    assert torch.allclose(
        kl_gaussians(m1, c1, m2, c2), torch.distributions.kl_divergence(MVN(m1, c1), MVN(m2, c2))
    )
    assert abs(kl_gaussians(m1, c1, m1, c1)) < 1e-12


# ---------------------------------------------------------------- quadrature


def test_quadrature_matches_exact_linear_gaussian():
    lg = LinearGaussian.random(data_dim=6, latent_dim=2, sigma=0.4, seed=3)
    _, x = lg.sample(4, generator=torch.Generator().manual_seed(2))
    gp = quadrature.grid_quadrature(
        lambda z: torch.stack([lg.log_px_given_z(xi, z) for xi in x], 1), quadrature.grid_axis(-5, 5, 0.05)
    )
    assert torch.allclose(gp.log_px, lg.log_px(x), atol=1e-8)
    assert (gp.boundary_mass() < 1e-10).all()
    # the posterior density on the grid sums to one
    assert torch.allclose(gp.posterior().sum((1, 2)) * gp.cell_area, torch.ones(4, dtype=F64), atol=1e-10)


def test_quadrature_on_tiny_vae_matches_much_finer_grid():
    torch.manual_seed(0)
    vae = models.VAE(2, hidden=(16,), device="cpu")
    x = data.binarize(torch.rand(3, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    log_lik = quadrature.bernoulli_decoder_loglik(vae, x)
    with torch.no_grad():  # the decoder-grid shortcut equals -bernoulli_nll on each image
        z = torch.randn(7, 2)
        direct = torch.stack([-losses.bernoulli_nll(vae.decode(z), xi.expand(7, -1, -1, -1)) for xi in x], 1)
    assert torch.allclose(log_lik(z).float(), direct, atol=1e-3)
    coarse = quadrature.grid_quadrature(log_lik, quadrature.grid_axis(-6, 6, 0.1))
    fine = quadrature.grid_quadrature(log_lik, quadrature.grid_axis(-7, 7, 0.025))
    assert torch.allclose(coarse.log_px, fine.log_px, atol=1e-3)
    # a window around the mass gives the same value
    local = quadrature.local_quadrature(log_lik, (-6, 6, -6, 6), n=241)
    assert torch.allclose(local.log_px, fine.log_px, atol=1e-3)
    # and the IWAE bound with many samples sits just below it
    torch.manual_seed(1)
    with torch.no_grad():
        iwae = losses.iwae_bound(vae, x, k=2000).double()
    assert (iwae < fine.log_px + 0.05).all() and (iwae > fine.log_px - 1.0).all()


def test_grid_axis_and_errors():
    a = quadrature.grid_axis(-1, 1, 0.5)
    assert torch.allclose(a, torch.tensor([-1, -0.5, 0, 0.5, 1], dtype=F64))
    with pytest.raises(ValueError):
        quadrature.grid_axis(1, -1, 0.1)


# ---------------------------------------------------------------- ring map


def test_doersch_ring_and_learned_map():
    z = torch.randn(20000, 2, generator=torch.Generator().manual_seed(0))
    r = prior_map.doersch_ring(z).norm(dim=1)
    assert abs(r.mean() - (1 + math.sqrt(math.pi / 2) / 10)) < 3e-3
    ring = prior_map.ring_data(2000, generator=torch.Generator().manual_seed(1))
    assert prior_map.energy_distance(ring, ring) == 0
    net, snaps = prior_map.fit_map(ring, steps=100, batch_size=128, n_snapshots=3, n_show=500)
    assert [s["step"] for s in snaps] == [0, 50, 100]
    assert snaps[-1]["energy"] < 0.2 * snaps[0]["energy"]


# ---------------------------------------------------------------- widgets: move every slider


def test_ring_blend_slider():
    box = elbo_widgets.ring_blend(n=500, seed=0)
    before, v0 = box.image.value, box.values()
    z = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    assert abs(v0["mean_radius"] - z.norm(dim=1).mean()) < 1e-6  # alpha=0: the Gaussian
    box.controls["alpha"].value = 1.0
    v1 = box.values()
    assert box.image.value != before
    assert abs(v1["mean_radius"] - prior_map.doersch_ring(z).norm(dim=1).mean().item()) < 1e-6
    assert f"{v1['mean_radius']:.3f}" in box.readout.value and v1["std_radius"] < 0.1


def test_learned_map_viewer_slider():
    ring = prior_map.ring_data(1000, generator=torch.Generator().manual_seed(1))
    _, snaps = prior_map.fit_map(ring, steps=40, batch_size=128, n_snapshots=3, n_show=300)
    box = elbo_widgets.learned_map_viewer(snaps, ring)
    before = box.image.value
    box.controls["snapshot"].value = 0
    assert box.image.value != before
    assert box.values()["step"] == 0 and f"{snaps[0]['energy']:.4f}" in box.readout.value


def test_linear_gaussian_explorer_sliders_and_button():
    lg = LinearGaussian(W=torch.tensor([[1.5], [-0.8], [0.6]]), b=torch.tensor([0.5, 0.0, -0.5]), sigma=0.7)
    x = torch.tensor([2.0, -1.5, 0.4], dtype=F64)
    box = elbo_widgets.linear_gaussian_explorer(lg, x)
    images = [box.image.value]
    mean, std = box.controls["q_mean"], box.controls["q_std"]
    for slider, value in ((mean, 0.0), (std, 0.2), (mean, 2.5), (std, 1.7)):
        slider.value = value
        assert box.image.value != images[-1]
        images.append(box.image.value)
        v = box.values()
        q_mean, q_std = torch.tensor([mean.value], dtype=F64), torch.tensor([std.value], dtype=F64)
        assert abs(v["elbo"] - lg.elbo(x, q_mean, q_std)) < 1e-12
        assert abs(v["gap"] - v["kl"]) < 1e-10 and v["elbo"] < v["log_px"]
        assert f"{v['gap']:.4f}" in box.readout.value and f"{v['elbo']:.4f}" in box.readout.value
    box.buttons["q = p(z|x)"].click()
    v = box.values()
    assert abs(v["gap"]) < 1e-10 and f"{v['log_px']:.4f}" in box.readout.value
    assert box.image.value != images[-1]


def test_posterior_explorer_slider():
    torch.manual_seed(0)
    vae = models.VAE(2, hidden=(16,), device="cpu")
    x = data.binarize(torch.rand(3, 1, 28, 28) * 0.6, generator=torch.Generator().manual_seed(0))
    gp = quadrature.grid_quadrature(
        quadrature.bernoulli_decoder_loglik(vae, x), quadrature.grid_axis(-6, 6, 0.1)
    )
    table = {"log p(x) (grid)": gp.log_px, "ELBO": gp.log_px - 1.0}
    box = elbo_widgets.posterior_explorer(vae, x, gp, table, n_grid=41)
    before = box.image.value
    box.controls["digit"].value = 2
    assert box.image.value != before
    v = box.values()
    assert v["ELBO"] == pytest.approx(gp.log_px[2].item() - 1.0)
    assert f"{v['ELBO']:.2f}" in box.readout.value
    assert abs(v["log_px_local_grid"] - gp.log_px[2].item()) < 0.01  # the fine local grid agrees
    with torch.no_grad():
        mu, _ = vae.encode(x[2:3])
    assert torch.allclose(torch.tensor(v["q_mean"], dtype=F64), mu[0].double(), atol=1e-6)


def test_refined_quadrature_is_exact_where_the_global_grid_is_too_coarse():
    """Posteriors ~0.015 wide, a global grid with h = 0.05: the grid alone is off by tenths of a nat, the
    refined one matches the closed-form log p(x) of the linear-Gaussian model."""
    lg = LinearGaussian.random(data_dim=8, latent_dim=2, sigma=0.03, seed=3)
    _, x = lg.sample(4, generator=torch.Generator().manual_seed(2))
    assert lg.posterior(x[0])[1].diagonal().sqrt().max() < 0.02
    coarse = quadrature.grid_quadrature(
        lambda z: torch.stack([lg.log_px_given_z(xi, z) for xi in x], 1), quadrature.grid_axis(-6, 6, 0.05)
    )
    exact = lg.log_px(x)
    assert (coarse.log_px - exact).abs().max() > 0.1
    refined = quadrature.refined_quadrature(lambda b: lambda z: lg.log_px_given_z(x[b], z)[:, None], coarse)
    assert torch.allclose(refined.log_px, exact, atol=1e-6)
    assert torch.allclose(refined.log_px_half, exact, atol=1e-4)
    assert (refined.edge_mass < 1e-3).all() and (refined.outside_mass < 1e-6).all()
    for (a, b, c, d), (m, _) in zip(refined.windows, (lg.posterior(xi) for xi in x)):
        assert a < m[0] < b and c < m[1] < d and b - a < 1 and d - c < 1


def test_refined_quadrature_finds_two_narrow_bumps():
    """p(x | z) = sum_k exp(-|z - c_k|^2 / 2 s^2), two bumps far apart and narrower than the global grid's
    spacing: log p(x) = log sum_k 2 pi s^2 N(c_k | 0, (1 + s^2) I) in closed form."""
    centres, s = torch.tensor([[-2.0, 0.0], [2.0, 0.5]], dtype=F64), 0.02

    def log_lik(z):  # [G, 1]
        d = ((z[:, None, :] - centres[None]) ** 2).sum(-1) / (2 * s**2)
        return torch.logsumexp(-d, 1, keepdim=True)

    var = 1 + s**2
    exact = torch.logsumexp(
        math.log(2 * math.pi * s**2) - math.log(2 * math.pi * var) - (centres**2).sum(1) / (2 * var), 0
    )
    coarse = quadrature.grid_quadrature(log_lik, quadrature.grid_axis(-6, 6, 0.05))
    assert abs(coarse.log_px[0] - exact) > 0.01  # the global grid alone is off
    refined = quadrature.refined_quadrature(lambda b: log_lik, coarse)
    assert abs(refined.log_px[0] - exact) < 1e-6 and abs(refined.log_px_half[0] - exact) < 1e-3
    assert refined.outside_mass[0] < 1e-5 and refined.n_cells[0] < 100  # only the cells near the bumps
    a, b, c, d = refined.windows[0]
    assert a < -2 and b > 2 and c < 0 and d > 0.5  # the refined cells cover both bumps
    with pytest.raises(ValueError):
        quadrature.refined_quadrature(lambda b: log_lik, coarse, m=5)
    with pytest.raises(ValueError):
        quadrature.refined_quadrature(lambda b: log_lik, coarse, keep=0.0)
