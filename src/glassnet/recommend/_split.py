"""Per-user train/test splits, vectorised: one sort, no loop over users."""

import numpy as np

from glassnet._errors import GlassnetValueError

__all__ = ["split_mask"]


def split_mask(ratings, test_fraction, by, seed, min_train):
    """(nnz,) bool: True for the interactions held out for testing.

    Each user's interactions are ranked by a key — random numbers, or timestamps for
    ``by="time"`` — and the last ``round(test_fraction · n_u)`` of them (never leaving
    fewer than ``min_train`` in train) are held out.
    """
    if not 0.0 < test_fraction < 1.0:
        raise GlassnetValueError(f"Ratings.split: test_fraction must be in (0, 1), got {test_fraction}")
    if by == "random":
        key = np.random.default_rng(seed).random(ratings.nnz)
    elif by == "time":
        if ratings.timestamps is None:
            raise GlassnetValueError("Ratings.split(by='time'): these ratings have no timestamps")
        key = ratings.timestamps
    else:
        raise GlassnetValueError(f"Ratings.split: by={by!r}; expected 'random' or 'time'")
    order = np.lexsort((key, ratings.users))  # by user, then key
    counts = ratings.user_counts()
    rank = np.arange(ratings.nnz) - np.repeat(ratings.indptr[:-1], counts)
    n_test = np.minimum(np.floor(test_fraction * counts + 0.5), np.maximum(counts - min_train, 0))
    n_test_each = np.repeat(n_test, counts)
    test = np.zeros(ratings.nnz, dtype=bool)
    test[order] = rank >= np.repeat(counts, counts) - n_test_each
    return test
