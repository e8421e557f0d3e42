"""Manifold learning, measured: the curse of dimensionality, geodesic distance on a k-NN graph,
2-D embeddings (PCA, Isomap, LLE, t-SNE) with their run times, and how well an embedding separates
classes. The notebook's widgets, which draw these, are in :mod:`course_utils.ch2_manifold.widgets`.

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
    s: float = 9.0,
    discrete: bool = True,
):
    """One scatter panel per entry of ``embeddings`` (name -> ``[N, 2]``): one row of up to three panels,
    else two rows, so that a page-wide figure keeps readable markers. With ``discrete``, ``colors`` ``[N]``
    are class labels drawn in the class palette (:func:`course_utils.plots.class_scatter`, one legend);
    otherwise values on ``cmap`` with one shared colour bar. Returns the figure."""
    import matplotlib.pyplot as plt

    colors = colors.detach().cpu().numpy() if isinstance(colors, torch.Tensor) else np.asarray(colors)
    n = len(embeddings)
    rows = 1 if n <= 3 else 2
    cols = -(-n // rows)
    fig, grid = plt.subplots(rows, cols, figsize=(3.6 * cols + 1.4, 3.7 * rows), squeeze=False)
    for ax in grid.flat[n:]:
        fig.delaxes(ax)
    axes = [grid.flat[:n]]
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
