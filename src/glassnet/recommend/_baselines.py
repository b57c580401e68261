"""Baselines for honest comparison: global mean, user/item biases, popularity."""

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.recommend._base import Recommender

__all__ = ["BiasModel", "GlobalMean", "Popularity"]


class GlobalMean(Recommender):
    """Predicts the training mean ``μ`` for every pair (ranks all items equal)."""

    def _fit(self, ratings):
        pass

    def _predict_index(self, u, i):
        return np.full(u.shape, self.global_mean_)

    def _score_rows(self, u):
        return np.full((u.size, self.n_items), self.global_mean_)

    def _config(self):
        return {}

    def _arrays(self):
        return {}


class BiasModel(Recommender):
    """``r̂_ui = μ + b_u + c_i`` with regularised biases, fitted by alternating closed forms::

        c_i = Σ_u∈U_i (r_ui − μ − b_u) / (reg_item + n_i)
        b_u = Σ_i∈I_u (r_ui − μ − c_i) / (reg_user + n_u)

    (each sweep is two ``bincount``s). Ranks items by ``c_i``.
    """

    def __init__(self, reg_user=10.0, reg_item=10.0, iterations=10):
        if reg_user < 0 or reg_item < 0:
            raise GlassnetValueError(f"BiasModel: regularisation must be ≥ 0, got {reg_user}, {reg_item}")
        self.reg_user, self.reg_item, self.iterations = float(reg_user), float(reg_item), int(iterations)

    def _fit(self, ratings):
        r = ratings.ratings - self.global_mean_
        u, i = ratings.users, ratings.items
        n_u = np.bincount(u, minlength=ratings.n_users)
        n_i = np.bincount(i, minlength=ratings.n_items)
        self.user_bias_ = np.zeros(ratings.n_users)
        self.item_bias_ = np.zeros(ratings.n_items)
        den_i = np.maximum(self.reg_item + n_i, 1e-12)
        den_u = np.maximum(self.reg_user + n_u, 1e-12)
        for _ in range(max(1, self.iterations)):
            self.item_bias_ = np.bincount(i, r - self.user_bias_[u], ratings.n_items) / den_i
            self.user_bias_ = np.bincount(u, r - self.item_bias_[i], ratings.n_users) / den_u

    def _predict_index(self, u, i):
        return self.global_mean_ + self.user_bias_[u] + self.item_bias_[i]

    def _score_rows(self, u):
        return self.item_bias_[None, :] + (self.global_mean_ + self.user_bias_[u])[:, None]

    def _config(self):
        return {"reg_user": self.reg_user, "reg_item": self.reg_item, "iterations": self.iterations}

    def _arrays(self):
        return {"user_bias": self.user_bias_, "item_bias": self.item_bias_}


class Popularity(Recommender):
    """Recommends the most-interacted-with items; ``predict`` returns an item's count."""

    predicts_ratings = False

    def _fit(self, ratings):
        self.item_counts_ = ratings.item_counts().astype(np.float64)

    def _predict_index(self, u, i):
        return self.item_counts_[i]

    def _score_rows(self, u):
        return np.broadcast_to(self.item_counts_, (u.size, self.n_items))

    def _config(self):
        return {}

    def _arrays(self):
        return {"item_counts": self.item_counts_}
