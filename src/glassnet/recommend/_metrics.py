"""Evaluation on held-out interactions: rating error and top-k ranking quality.

Ranking metrics start from a ``hits`` matrix (n_users, k): ``hits[u, j]`` is True when
the j-th recommended item of user u is one of their ``n_relevant[u]`` held-out items.
For each user (binary relevance, positions j = 1..k)::

    precision@k = Σ_j hits_j / k            recall@k = Σ_j hits_j / n_rel
    DCG@k = Σ_j hits_j / log2(j + 1)        NDCG@k = DCG@k / Σ_{j ≤ min(n_rel, k)} 1/log2(j + 1)
    AP@k  = Σ_j hits_j · precision@j / min(n_rel, k)

and each metric is averaged over users with at least one held-out item.
"""

import numpy as np

from glassnet._errors import GlassnetValueError

__all__ = ["EvalTable", "evaluate", "mae", "map_at_k", "ndcg_at_k", "precision_at_k",
           "ranking_metrics", "recall_at_k", "rmse"]


def rmse(predictions, targets):
    """Root mean squared error ``√(mean((ŷ − y)²))``."""
    d = np.asarray(predictions, dtype=np.float64) - np.asarray(targets, dtype=np.float64)
    return float(np.sqrt(np.mean(d * d))) if d.size else float("nan")


def mae(predictions, targets):
    """Mean absolute error ``mean(|ŷ − y|)``."""
    d = np.asarray(predictions, dtype=np.float64) - np.asarray(targets, dtype=np.float64)
    return float(np.mean(np.abs(d))) if d.size else float("nan")


def ranking_metrics(hits, n_relevant):
    """``{precision, recall, ndcg, map}`` averaged over rows with ``n_relevant > 0``."""
    hits = np.asarray(hits, dtype=np.float64)
    n_rel = np.asarray(n_relevant, dtype=np.float64)
    keep = n_rel > 0
    hits, n_rel = hits[keep], n_rel[keep]
    if hits.shape[0] == 0:
        return {"precision": float("nan"), "recall": float("nan"), "ndcg": float("nan"),
                "map": float("nan")}
    k = hits.shape[1]
    discount = 1.0 / np.log2(np.arange(2, k + 2))                           # (k,)
    ideal = np.cumsum(discount)[np.minimum(n_rel, k).astype(np.int64) - 1]   # (users,)
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)            # (users, k)
    return {
        "precision": float(np.mean(hits.sum(1) / k)),
        "recall": float(np.mean(hits.sum(1) / n_rel)),
        "ndcg": float(np.mean((hits @ discount) / ideal)),
        "map": float(np.mean((hits * precision_at).sum(1) / np.minimum(n_rel, k))),
    }


def _hits_from_lists(recommended, relevant, k):
    """hits (users, k) and n_relevant from ranked item lists and relevant item lists."""
    recommended = np.asarray(recommended)
    if recommended.ndim != 2 or recommended.shape[0] != len(relevant):
        raise GlassnetValueError(
            f"ranking metrics: recommended must be (n_users, ≥k) with one row per relevant "
            f"list; got shape {recommended.shape} and {len(relevant)} relevant lists")
    if recommended.shape[1] < k:
        raise GlassnetValueError(f"ranking metrics: k={k} but only {recommended.shape[1]} "
                                 "recommendations per user")
    top = recommended[:, :k]
    flat = [np.unique(np.asarray(r).reshape(-1)) for r in relevant]  # relevant items: a set
    sizes = np.array([len(r) for r in flat], dtype=np.int64)
    items = np.concatenate([top.reshape(-1), *flat])
    codes = np.unique(items, return_inverse=True)[1].reshape(-1)            # ids → 0..m-1
    m = int(codes.max()) + 1 if codes.size else 1
    rel_keys = np.repeat(np.arange(len(relevant)), sizes) * m + codes[top.size:]
    top_keys = np.repeat(np.arange(top.shape[0]), k) * m + codes[:top.size]
    hits = np.isin(top_keys, rel_keys).reshape(top.shape)
    hits &= _first_occurrence(codes[:top.size].reshape(top.shape))  # a repeat is not a new hit
    return hits, sizes


def _first_occurrence(codes):
    """True where an item appears in its row for the first time (rows ranked left to right)."""
    order = np.argsort(codes, axis=1, kind="stable")
    ranked = np.take_along_axis(codes, order, axis=1)
    first_sorted = np.ones_like(ranked, dtype=bool)
    first_sorted[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    first = np.empty_like(first_sorted)
    np.put_along_axis(first, order, first_sorted, axis=1)
    return first


def precision_at_k(recommended, relevant, k):
    """Mean precision@k: ``recommended`` (n_users, ≥k) ranked items, ``relevant`` a list of
    each user's relevant items."""
    return ranking_metrics(*_hits_from_lists(recommended, relevant, k))["precision"]


def recall_at_k(recommended, relevant, k):
    """Mean recall@k (see :func:`precision_at_k` for the arguments)."""
    return ranking_metrics(*_hits_from_lists(recommended, relevant, k))["recall"]


def ndcg_at_k(recommended, relevant, k):
    """Mean NDCG@k with binary relevance."""
    return ranking_metrics(*_hits_from_lists(recommended, relevant, k))["ndcg"]


def map_at_k(recommended, relevant, k):
    """Mean average precision at k (normalised by ``min(n_relevant, k)``)."""
    return ranking_metrics(*_hits_from_lists(recommended, relevant, k))["map"]


class EvalTable(dict):
    """A dict of metric → value whose ``str`` is a small aligned table."""

    def __str__(self):
        width = max((len(name) for name in self), default=0)
        lines = [f"{'metric':<{width}}  value", "─" * (width + 10)]
        for name, value in self.items():
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            lines.append(f"{name:<{width}}  {shown}")
        return "\n".join(lines)


def _test_hits(model, test, k, block):
    """hits (n_test_users, k) and n_relevant, scoring users in blocks of rows."""
    counts = test.user_counts()
    users = np.flatnonzero(counts)
    test_keys = test.users * test.n_items + test.items                      # sorted (CSR order)
    hits = np.zeros((users.size, k), dtype=bool)
    for start in range(0, users.size, block):
        u = users[start:start + block]
        scores = model.score_rows(u, exclude_seen=True)
        top = _top(scores, k)
        keys = u[:, None] * test.n_items + top
        pos = np.searchsorted(test_keys, keys).clip(0, max(test_keys.size - 1, 0))
        hits[start:start + u.size] = (test_keys[pos] == keys) & np.isfinite(
            np.take_along_axis(scores, top, axis=1))
    return hits, counts[users]


def _top(scores, k):
    from glassnet.recommend._base import top_k

    return top_k(scores, k)


def evaluate(model, test, k=10, block=1024):
    """Metrics of a fitted ``model`` on held-out ``test`` Ratings (same id maps as the
    training data, e.g. from ``Ratings.split``). Returns an :class:`EvalTable` with
    ``rmse``/``mae`` (models that predict ratings) and ``precision@k``, ``recall@k``,
    ``ndcg@k``, ``map@k`` — every held-out interaction counts as relevant, and items seen
    in training are excluded from the recommendations.

    Args:
        model: a fitted recommender (``ALS``, ``ImplicitALS``, ``MatrixFactorization``, ...).
        test: the held-out ``Ratings``, over the same id maps as the training data.
        k: the length of each user's recommendation list for the ranking metrics.
        block: how many users are scored at once (a ``(block, n_items)`` score matrix):
            memory, not results.

    Returns:
        An ``EvalTable`` (a dict that prints as a table): metric name → value, plus
        ``"test users"``, the number of users with held-out interactions.

    Example:
        >>> from glassnet import recommend
        >>> ratings = recommend.synthetic(300, 200, rank=4, density=0.1, seed=0)
        >>> train, test = ratings.split(0.2)
        >>> model = recommend.ALS(rank=4, reg=1.0, iterations=10).fit(train)
        >>> table = recommend.evaluate(model, test, k=10)
        >>> list(table)
        ['rmse', 'mae', 'precision@10', 'recall@10', 'ndcg@10', 'map@10', 'test users']
        >>> round(table["rmse"], 2), table["test users"]
        (0.71, 300)
    """
    model._check_fitted("evaluate")
    if test.n_users != model.n_users or test.n_items != model.n_items or not (
            np.array_equal(test.user_ids, model.user_ids) and np.array_equal(test.item_ids, model.item_ids)):
        raise GlassnetValueError(
            f"evaluate: the test set's id maps ({test.n_users} users × {test.n_items} items) differ "
            f"from the model's ({model.n_users} × {model.n_items}); split one Ratings with "
            "Ratings.split so both share them")
    table = EvalTable()
    if model.predicts_ratings:
        predicted = model._predict_index(test.users, test.items)
        table["rmse"], table["mae"] = rmse(predicted, test.ratings), mae(predicted, test.ratings)
    hits, n_rel = _test_hits(model, test, k, block)
    for name, value in ranking_metrics(hits, n_rel).items():
        table[f"{name}@{k}"] = value
    table["test users"] = int(n_rel.size)
    return table
