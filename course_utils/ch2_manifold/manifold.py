"""Manifold learning, measured: the curse of dimensionality, geodesic distance on a k-NN graph,
2-D embeddings (PCA, Isomap, LLE, t-SNE) with their run times, and how well an embedding separates
classes. Also the widgets of notebook 2 (each draws into an ``ipywidgets.Image`` so a test can move
its controls in Python).

Arrays are NumPy unless a docstring says tensor; ``N`` points, ``D`` (or ``d``) dimensions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from course_utils import plots

#: The embedding methods :func:`embed` knows.
METHODS = ("pca", "isomap", "lle", "tsne")


# --------------------------------------------------------------------------------------------
# The curse of dimensionality
# --------------------------------------------------------------------------------------------


def uniform_points(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """``n`` points drawn uniformly from the unit cube ``[0, 1)^dim``: ``[n, dim]``."""
    return np.random.default_rng(seed).random((n, dim))


def occupied_fraction(X: np.ndarray, bins: int) -> float:
    """Fraction of the ``bins**d`` cells of a regular grid over ``[0, 1)^d`` holding at least one
    point of ``X`` ``[N, d]``. (Computed from the distinct cells, so huge grids cost nothing.)"""
    X = np.asarray(X)
    cells = np.clip(np.floor(X * bins), 0, bins - 1).astype(np.int64)
    occupied = len(np.unique(cells, axis=0))
    return float(occupied / float(bins) ** X.shape[1])


def pairwise_distances(X) -> torch.Tensor:
    """Euclidean distances between all rows: ``X`` ``[N, D]`` (tensor or array) -> ``[N, N]`` tensor."""
    X = torch.as_tensor(X, dtype=torch.float64 if isinstance(X, np.ndarray) else None)
    return torch.cdist(X, X, compute_mode="donot_use_mm_for_euclid_dist")  # exact, no |a|^2+|b|^2-2ab


def relative_contrast(X: np.ndarray) -> float:
    """Distance concentration: for each point, (farthest - nearest) / nearest distance to the other
    points, averaged over the points. It shrinks towards 0 as the dimension grows (Beyer et al. 1999):
    in high dimension the nearest and the farthest neighbour are almost equally far."""
    dist = pairwise_distances(np.asarray(X, dtype=np.float64)).numpy()
    np.fill_diagonal(dist, np.nan)
    near, far = np.nanmin(dist, axis=1), np.nanmax(dist, axis=1)
    return float(np.mean((far - near) / near))


def curse_of_dimensionality(
    dims: Sequence[int], n_points: int = 1000, bins: int = 4, seed: int = 0
) -> dict[str, np.ndarray]:
    """For each dimension in ``dims``, ``n_points`` uniform points: their occupied-cell fraction
    (grid of ``bins`` per axis) and their distances' relative contrast. Returns arrays keyed
    ``dims``, ``occupied``, ``contrast``."""
    dims = np.asarray(list(dims), dtype=int)
    occupied, contrast = [], []
    for d in dims:
        X = uniform_points(n_points, int(d), seed)
        occupied.append(occupied_fraction(X, bins))
        contrast.append(relative_contrast(X))
    return {"dims": dims, "occupied": np.array(occupied), "contrast": np.array(contrast)}


# --------------------------------------------------------------------------------------------
# Distance along the manifold
# --------------------------------------------------------------------------------------------


def geodesic_distances(X: np.ndarray, n_neighbors: int = 10, return_predecessors: bool = False):
    """Shortest-path distances ``[N, N]`` along the k-nearest-neighbour graph of ``X`` ``[N, D]``
    (each edge weighted by its Euclidean length), the approximation of the distance along the
    manifold that Isomap uses. ``inf`` between disconnected pieces. With ``return_predecessors``
    also the ``[N, N]`` predecessor matrix for :func:`geodesic_path`."""
    from scipy.sparse.csgraph import shortest_path
    from sklearn.neighbors import kneighbors_graph

    graph = kneighbors_graph(np.asarray(X), n_neighbors=n_neighbors, mode="distance")
    return shortest_path(graph, method="D", directed=False, return_predecessors=return_predecessors)


def geodesic_path(predecessors: np.ndarray, i: int, j: int) -> list[int]:
    """Indices of the graph's shortest path from point ``i`` to point ``j`` (both included)."""
    path = [j]
    while path[-1] != i:
        previous = predecessors[i, path[-1]]
        if previous < 0:
            raise ValueError(f"points {i} and {j} are not connected in the k-NN graph")
        path.append(int(previous))
    return path[::-1]


def swiss_roll(n_samples: int, seed: int = 0, noise: float = 0.0):
    """scikit-learn's Swiss roll sorted by the position ``t`` along the roll: ``(X [N, 3], t [N])``.

    Sorting makes a point's index move along the roll (handy for sliders)."""
    from sklearn.datasets import make_swiss_roll

    X, t = make_swiss_roll(n_samples=n_samples, noise=noise, random_state=seed)
    order = np.argsort(t)
    return X[order], t[order]


def swiss_roll_arc_length(t: np.ndarray) -> np.ndarray:
    """Arc length ``s(t) = (t sqrt(1 + t^2) + asinh t) / 2`` of the spiral ``(t cos t, t sin t)`` from its
    centre to position ``t`` ``[N]``: the roll's own coordinate along it, unrolled without stretching."""
    t = np.asarray(t, dtype=float)
    return 0.5 * (t * np.sqrt(1 + t**2) + np.arcsinh(t))


def swiss_roll_geodesic(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Exact geodesic distances ``[N, N]`` on scikit-learn's Swiss roll ``(X [N, 3], t [N])``.

    The roll is the strip ``(s, y)`` rolled up along the spiral ``(t cos t, t sin t)``; unrolling it
    keeps lengths, so the shortest path along the roll is the straight line in ``(s, y)``, with
    ``s(t) = (t sqrt(1 + t^2) + asinh t) / 2`` the spiral's arc length. Raises ``ValueError`` if ``X``
    is not that roll.
    """
    X, t = np.asarray(X, dtype=float), np.asarray(t, dtype=float)
    if X.ndim != 2 or X.shape[1] != 3 or t.shape != (len(X),):
        raise ValueError(f"expected X [N, 3] and t [N], got {list(X.shape)} and {list(t.shape)}")
    if not (
        np.allclose(X[:, 0], t * np.cos(t), atol=1e-6) and np.allclose(X[:, 2], t * np.sin(t), atol=1e-6)
    ):
        raise ValueError("X is not a noise-free Swiss roll of positions t (x = t cos t, z = t sin t)")
    s = swiss_roll_arc_length(t)
    return np.hypot(s[:, None] - s[None, :], X[:, 1][:, None] - X[:, 1][None, :])


def rank_flip_triple(X: np.ndarray, geodesic: np.ndarray, anchor: int):
    """The lecture's picture for point ``anchor`` (A1) of ``X`` ``[N, D]``: returns ``(a2, b)`` where
    B is the Euclidean-nearest point that is far along the manifold (geodesic more than 3x its
    Euclidean distance, i.e. across a gap of the roll), and A2 is the point nearest A1 along the
    manifold among those at least 1.5x farther than B in a straight line. So the straight line ranks
    B closer to A1, the manifold ranks A2 closer."""
    euclid = np.linalg.norm(X - X[anchor], axis=1)
    geo = geodesic[anchor]
    across = np.flatnonzero((geo > 3 * euclid) & np.isfinite(geo))
    if len(across) == 0:
        raise ValueError(f"no point across a gap from point {anchor}")
    b = int(across[np.argmin(euclid[across])])
    farther = np.flatnonzero(euclid > 1.5 * euclid[b])
    a2 = int(farther[np.argmin(geo[farther])])
    return a2, b


# --------------------------------------------------------------------------------------------
# 2-D embeddings and how well they separate classes
# --------------------------------------------------------------------------------------------


def _method(method: str, n_neighbors: int, seed: int):
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE, Isomap, LocallyLinearEmbedding

    if method == "pca":
        return PCA(n_components=2, random_state=seed)
    if method == "isomap":
        return Isomap(n_neighbors=n_neighbors, n_components=2)
    if method == "lle":
        return LocallyLinearEmbedding(n_neighbors=n_neighbors, n_components=2, random_state=seed)
    if method == "tsne":
        return TSNE(n_components=2, perplexity=30.0, init="pca", random_state=seed)
    raise ValueError(f"unknown embedding method {method!r}; choose one of {', '.join(METHODS)}")


def embed(method: str, X, n_neighbors: int = 10, seed: int = 0, **options) -> tuple[np.ndarray, float]:
    """Reduce ``X`` ``[N, D]`` (array or tensor, e.g. images flattened) to 2-D with ``method`` (one of
    :data:`METHODS`); ``options`` go to the scikit-learn estimator (e.g. ``max_iter=500`` for t-SNE).
    Returns ``(Z [N, 2], seconds)``, the wall-clock time of the fit."""
    model = _method(method, n_neighbors, seed).set_params(**options)
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().reshape(X.shape[0], -1).numpy()
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    start = time.perf_counter()
    Z = model.fit_transform(X)
    return np.asarray(Z, dtype=np.float64), time.perf_counter() - start


def knn_accuracy(Z, labels, k: int = 5, folds: int = 5, seed: int = 0) -> float:
    """Class separation of an embedding ``Z`` ``[N, 2]``: the cross-validated accuracy of a ``k``-nearest-
    neighbour classifier that sees only the 2-D coordinates (stratified ``folds``-fold, shuffled)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    Z = Z.detach().cpu().numpy() if isinstance(Z, torch.Tensor) else np.asarray(Z)
    labels = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return float(cross_val_score(KNeighborsClassifier(n_neighbors=k), Z, labels, cv=splits).mean())


def unrolling_score(Z: np.ndarray, t: np.ndarray) -> float:
    """How well a 2-D embedding ``Z`` ``[N, 2]`` of the Swiss roll unrolls it: the larger absolute
    Spearman rank correlation between one of its coordinates and the position ``t`` ``[N]`` along the
    roll (1: some coordinate orders the points exactly as the roll does)."""
    from scipy.stats import spearmanr

    return float(max(abs(spearmanr(Z[:, k], t).statistic) for k in range(Z.shape[1])))


def scatter_panels(
    embeddings: dict,
    colors,
    titles: dict | None = None,
    cmap: str = "viridis",
    colorbar_label: str = "digit",
    s: float = 5.0,
    discrete: bool = True,
):
    """One scatter panel per entry of ``embeddings`` (name -> ``[N, 2]``), in one row. With ``discrete``,
    ``colors`` ``[N]`` are digit labels drawn in the class palette (:func:`course_utils.plots.class_scatter`,
    one legend); otherwise values on ``cmap`` with one shared colour bar. Returns the figure."""
    import matplotlib.pyplot as plt

    colors = colors.detach().cpu().numpy() if isinstance(colors, torch.Tensor) else np.asarray(colors)
    n = len(embeddings)
    fig, axes = plt.subplots(1, n, figsize=(3.3 * n + 0.8, 3.6), squeeze=False)
    for i, (ax, (name, Z)) in enumerate(zip(axes[0], embeddings.items())):
        Z = Z.detach().cpu().numpy() if isinstance(Z, torch.Tensor) else np.asarray(Z)
        if discrete:
            plots.class_scatter(ax, Z[:, :2], colors, s=s, legend=i == n - 1)
        else:
            points = ax.scatter(Z[:, 0], Z[:, 1], c=colors, cmap=cmap, s=s, alpha=0.8, linewidths=0)
        ax.set_title((titles or {}).get(name, name), fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    if not discrete:
        fig.colorbar(points, ax=list(axes[0]), label=colorbar_label, fraction=0.02, pad=0.01)
    return fig


def rank_flip_figure(
    X: np.ndarray, t: np.ndarray, predecessors: np.ndarray, a1: int, a2: int, b: int, geodesic: np.ndarray
):
    """The lecture's "reasonable distance" picture on the Swiss roll ``X`` ``[N, 3]``: left, the roll in
    3-D with straight segments A1-A2 and A1-B and the graph paths; right, the roll unrolled
    (arc length ``s`` along it against the height ``X[:, 1]``, to scale), where lengths are those on the
    roll and the geodesic is a near-straight line."""
    import matplotlib.pyplot as plt

    s = swiss_roll_arc_length(t)
    fig = plt.figure(figsize=(11, 4.3))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax.scatter(X[:, 0], X[:, 1], X[:, 2], c=t, cmap="viridis", s=3, alpha=0.3)
    flat = fig.add_subplot(1, 2, 2)
    flat.scatter(s, X[:, 1], c=t, cmap="viridis", s=4, alpha=0.4)
    for other, name, color in ((a2, "A2", "tab:orange"), (b, "B", "tab:red")):
        path = geodesic_path(predecessors, a1, other)
        euclid = np.linalg.norm(X[a1] - X[other])
        ax.plot(
            *X[[a1, other]].T,
            "--",
            color=color,
            lw=2,
            label=f"A1-{name}: straight {euclid:.1f}, along {geodesic[a1, other]:.1f}",
        )
        ax.plot(*X[path].T, color=color, lw=2.5)
        flat.plot(s[path], X[path, 1], color=color, lw=2.5, label=f"path A1-{name} along the roll")
    for index, name in ((a1, "A1"), (a2, "A2"), (b, "B")):
        ax.scatter(*X[index], color="black", s=40, depthshade=False)
        ax.text(*X[index], f" {name}", fontsize=11, weight="bold")
        flat.scatter(s[index], X[index, 1], color="black", s=40, zorder=3)
        flat.annotate(
            name,
            (s[index], X[index, 1]),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=11,
            weight="bold",
        )
    ax.view_init(elev=35, azim=-70)
    ax.set_box_aspect(np.ptp(X, axis=0))  # to scale, so that straight lines look as long as they are
    ax.set_axis_off()
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("the Swiss roll in 3-D")
    flat.set_xlabel("arc length s along the roll")
    flat.set_ylabel("height")
    flat.set_aspect("equal")
    flat.set_title("the same points unrolled (the manifold's own coordinates)")
    flat.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Distance to the data
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def nearest_distance(queries: torch.Tensor, reference: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Euclidean distance from each query to its nearest reference (images in pixel space, or codes):
    ``queries`` ``[M, ...]``, ``reference`` ``[N, ...]`` (flattened) -> ``[M]``."""
    ref = reference.reshape(reference.shape[0], -1).float()
    q = queries.reshape(queries.shape[0], -1).float().to(ref.device)
    return torch.cat(
        [torch.cdist(q[s : s + batch_size], ref).min(dim=1).values for s in range(0, q.shape[0], batch_size)]
    )


# --------------------------------------------------------------------------------------------
# Widgets of notebook 2
# --------------------------------------------------------------------------------------------


def curse_widget(
    n_points: int = 1000,
    bins: int = 4,
    max_dim: int = 100,
    dim: int = 2,
    seed: int = 0,
    curve_dims: Sequence[int] = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100),
):
    """A slider for the dimension d of ``n_points`` uniform points in the unit cube. Left: the histogram
    of their pairwise distances divided by the mean (it narrows as d grows); right: occupied-cell
    fraction and relative contrast against d, with the current d marked.

    A :func:`~course_utils.widgets.live_widget`: control ``"dim"``; ``values()``: the current d's
    ``dim``, ``occupied``, ``contrast``; also ``curves`` (:func:`curse_of_dimensionality` over
    ``curve_dims``)."""
    import matplotlib.pyplot as plt

    from course_utils.widgets import live_widget, slider

    curve_dims = [d for d in curve_dims if d <= max_dim]
    curves = curse_of_dimensionality(curve_dims, n_points, bins, seed)
    control = slider(
        "dimension d",
        min=1,
        max=max_dim,
        step=1,
        value=dim,
        integer=True,
        style={"description_width": "initial"},
    )

    def draw(dim: int):
        d = dim
        X = uniform_points(n_points, d, seed)
        dist = pairwise_distances(X).numpy()[np.triu_indices(n_points, k=1)]
        stats = {"dim": d, "occupied": occupied_fraction(X, bins), "contrast": relative_contrast(X)}
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
        axes[0].hist(dist / dist.mean(), bins=60, range=(0, 2.5), color="tab:blue")
        axes[0].set_xlabel("pairwise distance / mean distance")
        axes[0].set_title(f"d = {d}: distances between {n_points} uniform points")
        for ax, key, name in [
            (axes[1], "occupied", f"occupied fraction of the {bins}^d cells"),
            (axes[2], "contrast", "relative contrast (far - near) / near"),
        ]:
            ax.loglog(curves["dims"], curves[key], "o-", color="gray", ms=3)
            ax.loglog([d], [stats[key]], "o", color="tab:red", ms=9)
            ax.set_xlabel("dimension d")
            ax.set_title(name)
            ax.grid(alpha=0.3, which="both")
        axes[1].set_ylim(1e-10, 2)  # beyond d = 20 the fraction is astronomically small
        fig.tight_layout()
        readout = (
            f"<b>d = {d}</b>: {n_points} points occupy <b>{stats['occupied']:.3g}</b> of the "
            f"{bins}<sup>{d}</sup> cells; relative contrast of distances <b>{stats['contrast']:.3g}</b>"
        )
        return fig, readout, stats

    box = live_widget({"dim": control}, draw, placement="above")
    box.curves = curves
    return box


def random_images_widget(real: torch.Tensor, reference: torch.Tensor, n: int = 8, seed: int = 0):
    """The manifold hypothesis: a button draws ``n`` uniformly random 28x28 images (the ``k``-th draw is
    the ``k``-th ``torch.rand((n, 1, 28, 28))`` of a generator seeded with ``seed``), shown above ``n``
    real digits ``real`` ``[>=n, 1, 28, 28]``, with each row's distance to its nearest digit in
    ``reference`` (the training images).

    A :func:`~course_utils.widgets.live_widget` with the button ``"draw new random images"``;
    ``values()``: ``random_mean``, ``random_min``, ``real_mean``, ``real_max`` (the distances shown)."""
    import matplotlib.pyplot as plt

    from course_utils.models import IMAGE_SHAPE, pixel_images
    from course_utils.plots import image_grid
    from course_utils.widgets import live_widget

    real, reference = pixel_images(real, "real"), pixel_images(reference, "reference")
    generator = torch.Generator().manual_seed(seed)
    real = real[:n].detach().float().cpu()
    real_dist = nearest_distance(real, reference).cpu()

    def draw():
        noise = torch.rand((n, *IMAGE_SHAPE), generator=generator)
        dist = nearest_distance(noise, reference).cpu()
        fig, ax = plt.subplots(figsize=(n * 0.75, 1.9))
        image_grid(
            torch.cat([noise, real]), nrow=n, ax=ax, title="top: uniformly random pixels, bottom: real digits"
        )
        readout = (
            f"distance to the nearest training digit: random images <b>{dist.mean():.2f}</b> "
            f"on average (min {dist.min():.2f}), real test digits <b>{real_dist.mean():.2f}</b> "
            f"(max {real_dist.max():.2f})"
        )
        return (
            fig,
            readout,
            {
                "random_mean": dist.mean().item(),
                "random_min": dist.min().item(),
                "real_mean": real_dist.mean().item(),
                "real_max": real_dist.max().item(),
            },
        )

    box = live_widget({}, draw, buttons={"draw new random images": None}, placement="above")
    box.buttons["draw new random images"].icon = "random"
    box.buttons["draw new random images"].layout.width = "220px"
    return box


def swiss_roll_widget(
    X: np.ndarray, t: np.ndarray, geodesic: np.ndarray, predecessors: np.ndarray, i: int = 0, j: int = 1
):
    """Two sliders pick points ``i`` and ``j`` of the Swiss roll ``X`` ``[N, 3]`` (coloured by the roll
    position ``t``); the picture draws the straight segment (Euclidean distance) and the shortest path
    along the k-NN graph (geodesic distance), and the readout prints both.

    A :func:`~course_utils.widgets.live_widget`: controls ``"i"``, ``"j"``; ``values()``: ``euclidean``,
    ``geodesic`` and ``path`` (the graph path's point indices)."""
    import matplotlib.pyplot as plt

    from course_utils.widgets import live_widget, slider

    n = len(X)
    sliders = {
        name: slider(f"point {name}", min=0, max=n - 1, step=1, value=v, integer=True)
        for name, v in (("i", i), ("j", j))
    }

    def draw(i: int, j: int):
        path = geodesic_path(predecessors, i, j)
        dist = {
            "euclidean": float(np.linalg.norm(X[i] - X[j])),
            "geodesic": float(geodesic[i, j]),
            "path": path,
        }
        fig = plt.figure(figsize=(5.5, 4.5))
        ax = fig.add_subplot(projection="3d")
        ax.scatter(X[:, 0], X[:, 1], X[:, 2], c=t, cmap="viridis", s=5, alpha=0.5)
        ax.plot(*X[[i, j]].T, color="tab:red", lw=2.5, label=f"straight line {dist['euclidean']:.1f}")
        ax.plot(*X[path].T, color="black", lw=2.5, label=f"along the graph {dist['geodesic']:.1f}")
        ax.scatter(*X[[i, j]].T, color="tab:red", s=40, depthshade=False)
        ax.view_init(elev=12, azim=-75)
        ax.legend(loc="upper left", fontsize=8)
        ax.set_axis_off()
        readout = (
            f"points {i} and {j}: Euclidean distance <b>{dist['euclidean']:.2f}</b>, geodesic "
            f"distance <b>{dist['geodesic']:.2f}</b> ({len(path) - 1} graph edges)"
        )
        return fig, readout, dist

    return live_widget(sliders, draw, placement="above")


def interpolation_distance_picker(
    model: torch.nn.Module, images: torch.Tensor, reference: torch.Tensor, first: int = 0, second: int = 1
):
    """:func:`course_utils.widgets.interpolation_picker` (two index boxes, one alpha moving the pixel
    blend and the decoded blend of the codes, starting at alpha = 0.5) with a readout of each current
    image's distance to its nearest digit in ``reference``: off the data, or on it.

    A :func:`~course_utils.widgets.live_widget`: controls ``"index0"``, ``"index1"``, ``"alpha"``;
    ``values()`` adds ``pixel`` and ``decoded`` (the two distances)."""
    from course_utils.widgets import interpolation_picker

    def measure(alpha: float, pixel: torch.Tensor, decoded: torch.Tensor):
        d = nearest_distance(torch.stack([pixel, decoded.to(pixel.device)]), reference).cpu()
        readout = (
            f"α = {alpha:.2f}: distance to the nearest training digit: pixel blend "
            f"<b>{d[0]:.2f}</b>, decoded code <b>{d[1]:.2f}</b>"
        )
        return readout, {"pixel": float(d[0]), "decoded": float(d[1])}

    return interpolation_picker(model, images, first, second, alpha=0.5, measure=measure)
