"""What autoencoders are for (lecture chapter 5): retrieval by nearest neighbours, anomaly scores and
ROC AUC."""

from __future__ import annotations

import torch
from sklearn.metrics import roc_auc_score


def nearest_neighbours(
    queries: torch.Tensor, database: torch.Tensor, k: int, exclude_self: bool = False, chunk: int = 1024
) -> torch.Tensor:
    """Indices ``[Q, k]`` of the ``k`` Euclidean nearest rows of ``database`` ``[N, D]`` for each query
    ``[Q, D]``, nearest first. ``exclude_self``: queries are ``database`` itself; skip each row's own
    index."""
    if queries.dim() != 2 or database.dim() != 2 or queries.shape[1] != database.shape[1]:
        raise ValueError(
            f"need queries [Q, D] and database [N, D], got {list(queries.shape)} and {list(database.shape)}"
        )
    if exclude_self and queries.shape[0] != database.shape[0]:
        raise ValueError("exclude_self needs the queries to be the database itself")
    n_available = database.shape[0] - (1 if exclude_self else 0)
    if not 1 <= k <= n_available:
        raise ValueError(f"k must be in [1, {n_available}], got {k}")
    out = []
    for start in range(0, queries.shape[0], chunk):
        d = torch.cdist(queries[start : start + chunk].float(), database.float())
        if exclude_self:
            rows = torch.arange(d.shape[0], device=d.device)
            d[rows, rows + start] = float("inf")
        out.append(d.topk(k, dim=1, largest=False).indices)
    return torch.cat(out)


def precision_at_k(codes: torch.Tensor, labels: torch.Tensor, k: int = 10) -> torch.Tensor:
    """Retrieval by label: for each row of ``codes`` ``[N, D]``, the fraction of its ``k`` nearest other
    rows with the same label. Returns ``[N]``; its mean is the precision@k."""
    if labels.shape != (codes.shape[0],):
        raise ValueError(f"need one label per code: codes {list(codes.shape)}, labels {list(labels.shape)}")
    neighbours = nearest_neighbours(codes, codes, k, exclude_self=True)
    return (labels[neighbours] == labels[:, None]).float().mean(dim=1)


def roc_auc(normal_scores: torch.Tensor, anomaly_scores: torch.Tensor) -> float:
    """Area under the ROC curve for "a higher score means more anomalous" (scikit-learn's ``roc_auc_score``):
    the probability that a random anomaly scores above a random normal input (ties count one half). 0.5 is
    chance, 1 a perfect detector. ``normal_scores`` ``[N]``, ``anomaly_scores`` ``[M]``."""
    a, b = normal_scores.detach().flatten().cpu().double(), anomaly_scores.detach().flatten().cpu().double()
    if a.numel() == 0 or b.numel() == 0:
        raise ValueError("roc_auc needs at least one normal and one anomalous score")
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        raise ValueError("roc_auc: scores contain NaN or infinite values")
    truth = torch.cat([torch.zeros(a.numel()), torch.ones(b.numel())]).numpy()
    return float(roc_auc_score(truth, torch.cat([a, b]).numpy()))
