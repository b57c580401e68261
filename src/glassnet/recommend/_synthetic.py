"""Synthetic ratings from known low-rank factors plus noise, with a popularity skew."""

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.recommend._ratings import Ratings

__all__ = ["synthetic"]


def _zipf_weights(n, exponent, rng):
    """Popularity ∝ 1 / rank^exponent, ranks shuffled over the ids."""
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return rng.permutation(weights / weights.sum())


def _sample_pairs(n_users, n_items, nnz, skew, rng):
    """``nnz`` distinct (user, item) pairs: users by activity, items by popularity."""
    p_user = _zipf_weights(n_users, 0.5 * skew, rng)
    p_item = _zipf_weights(n_items, skew, rng)
    keys = np.empty(0, dtype=np.int64)
    for _ in range(8):  # a few rounds top up what duplicates removed
        need = nnz - keys.size
        if need <= 0:
            break
        draw = int(need * 1.3) + 16
        u = rng.choice(n_users, size=draw, p=p_user)
        i = rng.choice(n_items, size=draw, p=p_item)
        new = u.astype(np.int64) * n_items + i
        keys = np.concatenate([keys, new])
        _, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)]
    keys = keys[:nnz]
    return keys // n_items, keys % n_items


def synthetic(n_users=1000, n_items=500, rank=8, density=0.05, noise=0.5, seed=0,
              skew=1.0, return_factors=False):
    """Explicit ratings ``r_ui = μ + b_u + c_i + x_u·y_i + ε`` with known factors.

    ``x_u, y_i ~ N(0, I/√rank)`` (so ``x_u·y_i`` has unit variance), biases
    ``b_u ~ N(0, 0.3²)``, ``c_i ~ N(0, 0.5²)``, ``μ = 3.5`` and noise ``ε ~ N(0, noise²)``:
    a model that recovers the factors reaches test RMSE ≈ ``noise``. About
    ``density · n_users · n_items`` distinct pairs are observed; items are drawn with
    Zipf popularity ``∝ 1/rank^skew`` and users with activity ``∝ 1/rank^(skew/2)``.
    Ids are the integers 0..n-1; timestamps are random. With ``return_factors`` also
    returns ``dict(user_factors, item_factors, user_bias, item_bias, mean)``.
    """
    if not 0.0 < density <= 1.0:
        raise GlassnetValueError(f"synthetic: density must be in (0, 1], got {density}")
    if min(n_users, n_items, rank) < 1:
        raise GlassnetValueError(
            f"synthetic: n_users, n_items and rank must be ≥ 1, got {n_users}, {n_items}, {rank}")
    rng = np.random.default_rng(seed)
    truth = {
        "user_factors": rng.standard_normal((n_users, rank)) / rank ** 0.25,
        "item_factors": rng.standard_normal((n_items, rank)) / rank ** 0.25,
        "user_bias": 0.3 * rng.standard_normal(n_users),
        "item_bias": 0.5 * rng.standard_normal(n_items),
        "mean": 3.5,
    }
    nnz = max(1, int(round(density * n_users * n_items)))
    u, i = _sample_pairs(n_users, n_items, nnz, skew, rng)
    dots = np.einsum("nk,nk->n", truth["user_factors"][u], truth["item_factors"][i])
    r = (truth["mean"] + truth["user_bias"][u] + truth["item_bias"][i] + dots
         + noise * rng.standard_normal(u.size))
    times = rng.integers(0, 10**6, size=u.size).astype(np.float64)
    ratings = Ratings(u, i, r, np.arange(n_users), np.arange(n_items), times)
    return (ratings, truth) if return_factors else ratings
