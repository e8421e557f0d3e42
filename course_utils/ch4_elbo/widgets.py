"""Widgets of notebook 4 (the generative model and the ELBO).

Each is a :func:`course_utils.widgets.live_widget`: ``controls``, ``image``, ``readout`` and ``values()``
(the numbers on display), so a test can move a slider in Python and check both the picture and the numbers.
"""

from __future__ import annotations

import math

import ipywidgets as W
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Ellipse

from course_utils.ch4_elbo import quadrature
from course_utils.ch4_elbo.linear_gaussian import LinearGaussian
from course_utils.ch4_elbo.prior_map import doersch_ring
from course_utils.losses import gaussian_log_density
from course_utils.models import pixel_images
from course_utils.widgets import live_widget, slider


def _radius_stats(points: torch.Tensor) -> dict[str, float]:
    r = points.norm(dim=1)
    return {"mean_radius": float(r.mean()), "std_radius": float(r.std())}


def ring_blend(n: int = 2000, seed: int = 0, size: int = 380) -> W.VBox:
    """Slider alpha in [0, 1]: the points (1 - alpha) z + alpha g(z), z ~ N(0, I), g = Doersch's ring map.

    Colour = the angle of z, so one sees each point travel. A :func:`~course_utils.widgets.live_widget`:
    control ``"alpha"``; ``values()``: ``alpha``, mean and std of the radius on display.
    """
    z = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))
    gz = doersch_ring(z)
    colour = torch.atan2(z[:, 1], z[:, 0]).numpy()
    control = slider("alpha", min=0.0, max=1.0, step=0.05, value=0.0, continuous=True)

    def draw(alpha: float):
        points = (1 - alpha) * z + alpha * gz
        v = {"alpha": alpha, **_radius_stats(points)}
        p = points.numpy()
        fig, ax = plt.subplots(figsize=(4, 4), dpi=80)
        ax.scatter(p[:, 0], p[:, 1], c=colour, cmap="hsv", s=3, linewidths=0)
        ax.set_xlim(-3.5, 3.5)
        ax.set_ylim(-3.5, 3.5)
        ax.set_aspect("equal")
        ax.set_title(f"(1-α)·z + α·g(z),  α = {alpha:.2f}")
        ax.grid(alpha=0.3)
        readout = f"radius ‖x‖: mean <b>{v['mean_radius']:.3f}</b>, std <b>{v['std_radius']:.3f}</b>"
        return fig, readout, v

    return live_widget({"alpha": control}, draw, size=size, placement="above")


def learned_map_viewer(snapshots: list[dict], data: torch.Tensor, size: int = 640) -> W.VBox:
    """Slider over the training snapshots of :func:`course_utils.ch4_elbo.prior_map.fit_map`: left the prior
    samples z, right g_theta(z) at that step over the target data. A
    :func:`~course_utils.widgets.live_widget`: control ``"snapshot"``; ``values()``: step, energy distance,
    mean and std of the radius."""
    control = slider(
        "snapshot",
        min=0,
        max=len(snapshots) - 1,
        step=1,
        value=len(snapshots) - 1,
        integer=True,
        continuous=True,
    )
    shown = data[:1500].numpy()

    def draw(snapshot: int):
        s = snapshots[snapshot]
        v = {"step": s["step"], "energy": s["energy"], **_radius_stats(s["x"])}
        colour = torch.atan2(s["z"][:, 1], s["z"][:, 0]).numpy()
        fig, axes = plt.subplots(1, 2, figsize=(8, 4), dpi=80)
        axes[0].scatter(s["z"][:, 0], s["z"][:, 1], c=colour, cmap="hsv", s=3, linewidths=0)
        axes[0].set_title("z ~ N(0, I)")
        axes[1].scatter(shown[:, 0], shown[:, 1], c="lightgrey", s=3, linewidths=0, label="data")
        axes[1].scatter(s["x"][:, 0], s["x"][:, 1], c=colour, cmap="hsv", s=3, linewidths=0)
        axes[1].set_title(f"g_θ(z) after {s['step']} steps")
        for ax, lim in zip(axes, (3.5, 1.6)):
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.grid(alpha=0.3)
        readout = (
            f"step <b>{v['step']}</b>: energy distance to the data <b>{v['energy']:.4f}</b>, "
            f"mean radius <b>{v['mean_radius']:.3f}</b>"
        )
        return fig, readout, v

    return live_widget({"snapshot": control}, draw, size=size, placement="above")


def _density(z: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """The 1-D Gaussian density N(z | mean, std^2) at the points ``z`` ``[G]``."""
    return gaussian_log_density(z[:, None], mean, 2 * math.log(std)).exp()


def _elbo_gap_figure(zs: torch.Tensor, post: torch.Tensor, q: torch.Tensor, v: dict[str, float]):
    """Left: p(z | x) and q(z) on the grid ``zs`` ``[G]`` (densities ``post``, ``q`` ``[G]``); right: bars
    for ``v["log_px"]`` and ``v["elbo"]`` with the gap between them marked."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), dpi=80, gridspec_kw={"width_ratios": [3, 2]})
    axes[0].plot(zs, post, "k", lw=2, label="p(z | x) (exact)")
    axes[0].plot(zs, q, "C1", lw=2, label="q(z)")
    axes[0].fill_between(zs, q, color="C1", alpha=0.2)
    axes[0].set_xlabel("z")
    axes[0].set_ylim(0, max(float(post.max()), min(float(q.max()), 4 * float(post.max()))) * 1.1)
    axes[0].legend(loc="upper left", fontsize=8)
    axes[1].hlines(v["log_px"], 0, 1, color="k", lw=3, label="log p(x)")
    axes[1].hlines(v["elbo"], 0, 1, color="C1", lw=3, label="ELBO(q)")
    axes[1].annotate(
        "",
        xy=(0.5, v["log_px"]),
        xytext=(0.5, v["elbo"]),
        arrowprops={"arrowstyle": "<->", "color": "C3"},
    )
    axes[1].text(0.55, (v["log_px"] + v["elbo"]) / 2, f"gap = {v['gap']:.3f}", color="C3", va="center")
    span = max(v["gap"], 1.0)
    axes[1].set_ylim(v["log_px"] - 1.15 * span, v["log_px"] + 0.35 * span)
    axes[1].set_xlim(0, 1.6)
    axes[1].set_xticks([])
    axes[1].legend(loc="upper right", fontsize=8)
    axes[1].set_title("nats")
    fig.tight_layout()
    return fig


def linear_gaussian_explorer(model: LinearGaussian, x: torch.Tensor, size: int = 640) -> W.VBox:
    """Sliders for q(z) = N(mean, std^2) over a 1-D latent of a linear-Gaussian model and one point ``x``.

    Draws p(z | x) and q(z), and bars for log p(x), ELBO(q) and the gap log p(x) - ELBO(q); the readout
    prints them with KL(q || p(z | x)). The button "q = p(z|x)" sets q to the exact posterior. A
    :func:`~course_utils.widgets.live_widget`: controls ``"q_mean"``, ``"q_std"``; ``values()``: ``log_px``,
    ``elbo``, ``gap``, ``kl``, ``q_mean``, ``q_std``.
    """
    if model.latent_dim != 1:
        raise ValueError(
            f"linear_gaussian_explorer draws a 1-D latent; the model has {model.latent_dim} latent dimensions"
        )
    m, S = model.posterior(x)
    post_mean, post_std = float(m[0]), float(S[0, 0].sqrt())
    log_px = float(model.log_px(x))
    controls = {
        "q_mean": slider(
            "q mean",
            min=round(post_mean - 3, 1),
            max=round(post_mean + 3, 1),
            step=0.01,
            value=round(post_mean + 1.0, 2),
            continuous=True,
        ),
        "q_std": slider("q std", min=0.05, max=2.0, step=0.01, value=1.0, fmt=".3f", continuous=True),
    }
    zs = torch.linspace(post_mean - 4.5, post_mean + 4.5, 400, dtype=torch.float64)

    def draw(q_mean: float, q_std: float):
        qm = torch.tensor([q_mean], dtype=torch.float64)
        qs = torch.tensor([q_std], dtype=torch.float64)
        elbo = float(model.elbo(x, qm, qs))
        v = {
            "log_px": log_px,
            "elbo": elbo,
            "gap": log_px - elbo,
            "kl": float(model.kl_to_posterior(x, qm, qs)),
            "q_mean": q_mean,
            "q_std": q_std,
        }
        fig = _elbo_gap_figure(zs, _density(zs, post_mean, post_std), _density(zs, q_mean, q_std), v)
        readout = (
            f"log p(x) = <b>{v['log_px']:.4f}</b> &nbsp; ELBO = <b>{v['elbo']:.4f}</b> &nbsp; "
            f"gap = <b>{v['gap']:.4f}</b> &nbsp; KL(q ‖ p(z|x)) = <b>{v['kl']:.4f}</b>"
        )
        return fig, readout, v

    def to_posterior():
        controls["q_mean"].value = post_mean
        controls["q_std"].value = post_std

    return live_widget(controls, draw, size=size, placement="above", buttons={"q = p(z|x)": to_posterior})


def _ellipse(ax, mean, std, n_std, **kw):
    ax.add_patch(Ellipse((mean[0], mean[1]), 2 * n_std * std[0], 2 * n_std * std[1], fill=False, **kw))


def _posterior_and_q_window(global_grid, i: int, mean: torch.Tensor, std: torch.Tensor) -> tuple:
    """``(z1_low, z1_high, z2_low, z2_high)``: a window around digit ``i``'s posterior mass in
    ``global_grid`` (5 sigma) that also holds q(z | x)'s ``mean`` +- 2.5 ``std`` (each ``[2]``)."""
    w = quadrature.posterior_window(global_grid, i, n_std=5.0)
    qw = (
        float(mean[0] - 2.5 * std[0]),
        float(mean[0] + 2.5 * std[0]),
        float(mean[1] - 2.5 * std[1]),
        float(mean[1] + 2.5 * std[1]),
    )
    return (min(w[0], qw[0]), max(w[1], qw[1]), min(w[2], qw[2]), max(w[3], qw[3]))


def _posterior_figure(images, i: int, lg: quadrature.GridPosterior, mean, std):
    """Left: digit ``i`` of ``images`` ``[N, 1, 28, 28]``; right: its exact posterior on the local grid
    ``lg`` as a heat map, with q(z | x)'s mean and 1- and 2-sigma ellipses (``mean``, ``std`` ``[2]``)."""
    dens = lg.posterior()[0].numpy()
    z1, z2 = lg.z1.numpy(), lg.z2.numpy()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), dpi=80, gridspec_kw={"width_ratios": [1, 1.6]})
    axes[0].imshow(images[i, 0].cpu().numpy(), cmap="gray", vmin=0, vmax=1)
    axes[0].set_title(f"digit {i} of {images.shape[0]} (binarized)")
    axes[0].set_axis_off()
    ax = axes[1]
    mesh = ax.pcolormesh(z1, z2, dens, shading="nearest", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label="p(z | x)")
    for n_std, style in ((1, "-"), (2, "--")):
        _ellipse(ax, mean, std, n_std, color="w", ls=style, lw=1.5)
    ax.plot([mean[0]], [mean[1]], "w+", ms=10, label="q(z|x): mean, 1σ and 2σ")
    ax.set_xlim(z1[0], z1[-1])
    ax.set_ylim(z2[0], z2[-1])
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title("exact posterior (grid) and q(z|x)")
    ax.legend(loc="upper right", fontsize=8, facecolor="grey", framealpha=0.6, labelcolor="w")
    fig.tight_layout()
    return fig


def _table_readout(table: dict[str, torch.Tensor], v: dict) -> str:
    """The readout: one table row per name of ``table`` with its number in ``v``, then the local grid's."""
    rows = "".join(
        f"<tr><td>{name}</td><td style='text-align:right'><b>{v[name]:.2f}</b></td></tr>" for name in table
    )
    rows += (
        f"<tr><td>log p(x), fine local grid</td><td style='text-align:right'>"
        f"<b>{v['log_px_local_grid']:.2f}</b></td></tr>"
    )
    return f"<table>{rows}</table><small>nats, for this binarized digit</small>"


def posterior_explorer(
    model: torch.nn.Module,
    images: torch.Tensor,
    global_grid: quadrature.GridPosterior,
    table: dict[str, torch.Tensor],
    n_grid: int = 101,
    size: int = 760,
) -> W.VBox:
    """Slider over binarized digits ``images`` ``[N, 1, 28, 28]`` of a 2-D-latent Bernoulli VAE.

    For the chosen digit: the digit, the exact posterior p(z | x) as a heat map on an ``n_grid`` x
    ``n_grid`` grid around its mass (found from ``global_grid``, the quadrature over all digits), and
    q(z | x)'s 1- and 2-sigma ellipses; the readout prints the numbers in ``table`` (name -> ``[N]``, e.g.
    ELBO, IWAE_k, log p(x)) and the fine local grid's log p(x). A :func:`~course_utils.widgets.live_widget`:
    control ``"digit"``; ``values()``: the table's numbers for that digit, ``log_px_local_grid``,
    ``q_mean`` and ``q_std``.
    """
    images = pixel_images(images, "images")
    device = next(model.parameters()).device
    with torch.no_grad():
        mu, logvar = model.encode(images.to(device))
    mu, std = mu.cpu().double(), (0.5 * logvar).exp().cpu().double()
    control = slider("digit", min=0, max=images.shape[0] - 1, step=1, value=0, integer=True)
    cache: dict[int, quadrature.GridPosterior] = {}

    def local(i: int) -> quadrature.GridPosterior:
        if i not in cache:
            window = _posterior_and_q_window(global_grid, i, mu[i], std[i])
            cache[i] = quadrature.local_quadrature(
                quadrature.bernoulli_decoder_loglik(model, images[i : i + 1]), window, n=n_grid
            )
        return cache[i]

    def draw(digit: int):
        i = digit
        lg = local(i)
        v = {name: float(t[i]) for name, t in table.items()}
        v.update(log_px_local_grid=float(lg.log_px[0]), q_mean=mu[i].tolist(), q_std=std[i].tolist())
        fig = _posterior_figure(images, i, lg, mu[i], std[i])
        return fig, _table_readout(table, v), v

    return live_widget({"digit": control}, draw, size=size, placement="above")
