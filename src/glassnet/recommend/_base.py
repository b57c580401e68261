"""Recommender: what every model shares — id maps, predict, recommend, similar_items, save.

A subclass implements four small methods on *indices*:

* ``_fit(ratings)`` learns from a :class:`Ratings`;
* ``_predict_index(u, i)`` → (n,) predicted scores for index pairs;
* ``_score_rows(u)`` → (len(u), n_items) scores of every item for a block of users
  (the only dense user × item block ever built: a few rows at recommend time);
* ``item_vectors()`` → (n_items, d) item factors for :meth:`similar_items` (or raise).

The base class maps ids to indices (sorted id arrays, one ``searchsorted``), remembers
which items each user saw in training (CSR ``indptr``/``indices``) and does top-k with
``argpartition``.
"""

import numpy as np

from glassnet._errors import GlassnetError, GlassnetValueError
from glassnet.recommend._ids import lookup, unknown_error
from glassnet.recommend._ratings import Ratings

__all__ = ["Recommender", "top_k"]


def top_k(scores, k):
    """(rows, k) column indices of the ``k`` largest scores per row, best first."""
    k = min(k, scores.shape[1])
    if k <= 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


class Recommender:
    """Base of every recommender (see the module docstring for the subclass contract)."""

    predicts_ratings = True  # False: scores rank items but are not ratings (RMSE is skipped)

    def fit(self, ratings):
        """Learn from ``ratings`` (a :class:`Ratings`); returns ``self``."""
        if not isinstance(ratings, Ratings):
            raise GlassnetValueError(
                f"{type(self).__name__}.fit: expected a gn.recommend.Ratings, got "
                f"{type(ratings).__name__} (build one with Ratings.from_arrays or from_csv)"
            )
        self.user_ids, self.item_ids = ratings.user_ids, ratings.item_ids
        self.seen_indptr, self.seen_indices = ratings.indptr.copy(), ratings.items.copy()
        self.global_mean_ = float(ratings.ratings.mean()) if ratings.nnz else 0.0
        self._fit(ratings)
        return self

    # -- ids --------------------------------------------------------------------------
    def _check_fitted(self, method):
        if getattr(self, "user_ids", None) is None:
            raise GlassnetError(f"{type(self).__name__}.{method}: the model is not fitted yet; "
                                "call fit(ratings) or load a saved model")

    def user_index(self, users):
        """Row indices of user ids (an error names unknown ids)."""
        index, known = lookup(self.user_ids, users, "user", type(self).__name__)
        if not known.all():
            raise unknown_error(self.user_ids, users, known, "user", type(self).__name__)
        return index

    def item_index(self, items):
        """Column indices of item ids (an error names unknown ids)."""
        index, known = lookup(self.item_ids, items, "item", type(self).__name__)
        if not known.all():
            raise unknown_error(self.item_ids, items, known, "item", type(self).__name__)
        return index

    @property
    def n_users(self):
        return int(self.user_ids.size)

    @property
    def n_items(self):
        return int(self.item_ids.size)

    # -- use --------------------------------------------------------------------------
    def predict(self, users, items, unknown="error"):
        """(n,) predicted ratings (scores) for parallel arrays of user and item ids.

        ``unknown="error"`` raises on ids not seen in training; ``unknown="mean"`` is the
        cold-start fallback: such pairs get the training mean rating.
        """
        self._check_fitted("predict")
        name = type(self).__name__
        u, u_known = lookup(self.user_ids, users, "user", name)
        i, i_known = lookup(self.item_ids, items, "item", name)
        if u.shape != i.shape:
            raise GlassnetValueError(f"{name}.predict: got {u.size} users but {i.size} items")
        known = u_known & i_known
        if unknown == "error":
            if not u_known.all():
                raise unknown_error(self.user_ids, users, u_known, "user", name,
                                    "; pass unknown='mean' for the cold-start fallback")
            if not i_known.all():
                raise unknown_error(self.item_ids, items, i_known, "item", name,
                                    "; pass unknown='mean' for the cold-start fallback")
        elif unknown != "mean":
            raise GlassnetValueError(f"{name}.predict: unknown={unknown!r}; expected 'error' or 'mean'")
        out = np.full(u.shape, self.global_mean_, dtype=np.float64)
        if known.any():
            out[known] = self._predict_index(u[known], i[known])
        return out

    def seen_items(self, user_index):
        """Item indices user ``user_index`` interacted with in training."""
        return self.seen_indices[self.seen_indptr[user_index]:self.seen_indptr[user_index + 1]]

    def recommend(self, user, k=10, exclude_seen=True):
        """The ``k`` best items for one user id: ``(item_ids, scores)``, best first.

        ``exclude_seen`` drops every item the user rated in training. Scores are one
        row ``x_u · Yᵀ`` (+ biases) over all items — never a full user × item matrix.
        """
        self._check_fitted("recommend")
        u = self.user_index(user)
        scores = self.score_rows(u, exclude_seen)
        best = top_k(scores, min(k, self.n_items))[0]
        best = best[np.isfinite(scores[0, best])]  # fewer than k unseen items left
        return self.item_ids[best], scores[0, best]

    def score_rows(self, user_index, exclude_seen=True):
        """(len(user_index), n_items) float64 scores; seen items are −inf if excluded."""
        u = np.atleast_1d(np.asarray(user_index, dtype=np.int64))
        scores = np.array(self._score_rows(u), dtype=np.float64)
        if exclude_seen:
            starts, stops = self.seen_indptr[u], self.seen_indptr[u + 1]
            counts = stops - starts
            rows = np.repeat(np.arange(u.size), counts)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            scores[rows, self.seen_indices[np.repeat(starts, counts) + offsets]] = -np.inf
        return scores

    def item_vectors(self):
        raise GlassnetError(f"{type(self).__name__}: this model has no item factors, so "
                            "similar_items is not defined (use ALS or MatrixFactorization)")

    def similar_items(self, item, k=10):
        """The ``k`` items whose factors have the highest cosine similarity to ``item``'s:
        ``(item_ids, similarities)``, best first, the item itself left out."""
        self._check_fitted("similar_items")
        i = self.item_index(item)[0]
        Y = np.asarray(self.item_vectors(), dtype=np.float64)
        norms = np.linalg.norm(Y, axis=1)
        norms[norms == 0] = 1.0
        cosine = (Y @ Y[i]) / (norms * norms[i])
        cosine[i] = -np.inf
        best = top_k(cosine[None, :], min(k, self.n_items - 1))[0]
        return self.item_ids[best], cosine[best]

    # -- files ------------------------------------------------------------------------
    def save(self, path):
        """Write the model (factors, id maps, training interactions) to a safetensors file."""
        from glassnet.recommend._files import save_model

        self._check_fitted("save")
        return save_model(self, path)

    @classmethod
    def _restore(cls, config, arrays):
        """A model built from its saved config, with each saved array ``name`` set as the
        attribute ``name_`` (``user_factors`` → ``user_factors_``)."""
        model = cls(**config)
        for key, value in arrays.items():
            if not key.startswith("seen_") and not key.endswith("_ids"):
                setattr(model, f"{key}_", value)
        return model
