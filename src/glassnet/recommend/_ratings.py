"""Ratings: (user, item, rating[, timestamp]) interactions, stored sparse.

The interactions are kept in CSR order — sorted by user, then item — as four flat
arrays ``users, items, ratings, timestamps`` plus ``indptr`` (user ``u``'s interactions
are ``indptr[u]:indptr[u+1]``). That *is* the sparse user × item matrix R; ``.matrix``
hands it to SciPy as a ``csr_matrix`` when asked. No dense user × item array is built.
"""

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.recommend._ids import as_id_array

__all__ = ["Ratings"]

_DUPLICATES = ("last", "mean")


class Ratings:
    """A user × item rating matrix in sparse form, with id maps.

    Build with :meth:`from_arrays` or :meth:`from_csv`. ``user_ids[j]`` is the id of row
    ``j``; ``item_ids[j]`` the id of column ``j`` (both sorted). ``users``, ``items`` are
    the (nnz,) row/column indices, ``ratings`` the (nnz,) values, ``timestamps`` (nnz,)
    or None. Users or items with no interaction (empty rows/columns) are allowed: they
    appear when a split leaves them out, and every model handles them.

    The constructor takes indices that are already mapped (it sorts them into CSR order);
    ``Ratings.from_arrays`` maps raw ids and merges duplicates first.

    Args:
        users: the (nnz,) row index of each interaction, in ``0 .. n_users-1``.
        items: the (nnz,) column index of each interaction, in ``0 .. n_items-1``.
        ratings: the (nnz,) rating values (stored as float64).
        user_ids: the (n_users,) sorted array of user ids; row ``j`` is user ``user_ids[j]``.
        item_ids: the (n_items,) sorted array of item ids; column ``j`` is ``item_ids[j]``.
        timestamps: the (nnz,) times of the interactions, or None.

    Shape:
        ``users``, ``items``, ``ratings``, ``timestamps``: ``(nnz,)``; ``indptr``:
        ``(n_users + 1,)``; ``shape`` is ``(n_users, n_items)``.

    Example:
        >>> from glassnet import recommend
        >>> ratings = recommend.Ratings.from_arrays(
        ...     ["ann", "ann", "bob", "cat"], ["tea", "jam", "tea", "jam"], [5, 3, 4, 2])
        >>> ratings
        Ratings(3 users × 2 items, 4 interactions, density 0.667)
        >>> ratings.user_ids.tolist(), ratings.item_ids.tolist()
        (['ann', 'bob', 'cat'], ['jam', 'tea'])
        >>> ratings.users.tolist(), ratings.items.tolist(), ratings.ratings.tolist()
        ([0, 0, 1, 2], [0, 1, 1, 0], [3.0, 5.0, 4.0, 2.0])
        >>> ratings.indptr.tolist()
        [0, 2, 3, 4]
    """

    def __init__(self, users, items, ratings, user_ids, item_ids, timestamps=None):
        self.users = np.asarray(users, dtype=np.int64)
        self.items = np.asarray(items, dtype=np.int64)
        self.ratings = np.asarray(ratings, dtype=np.float64)
        self.timestamps = None if timestamps is None else np.asarray(timestamps, np.float64)
        self.user_ids = user_ids
        self.item_ids = item_ids
        order = np.lexsort((self.items, self.users))
        if np.any(order[1:] < order[:-1]):
            self._take(order)
        counts = np.bincount(self.users, minlength=self.n_users)
        self.indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def _take(self, order):
        self.users, self.items = self.users[order], self.items[order]
        self.ratings = self.ratings[order]
        if self.timestamps is not None:
            self.timestamps = self.timestamps[order]

    # -- building ---------------------------------------------------------------------
    @classmethod
    def from_arrays(cls, users, items, ratings=None, timestamps=None, duplicates="last"):
        """Ratings from parallel 1-D arrays of ids (strings or ints), values and times.

        ``ratings=None`` means implicit feedback: every interaction counts 1.
        Duplicate (user, item) pairs keep the ``"last"`` one in input order (the default)
        or their ``"mean"`` (timestamp: the latest).
        """
        users, items = as_id_array(users, "user"), as_id_array(items, "item")
        n = users.size
        ratings = np.ones(n) if ratings is None else np.asarray(ratings, dtype=np.float64)
        _check_lengths(n, items=items, ratings=ratings, timestamps=timestamps)
        if not np.all(np.isfinite(ratings)):
            raise GlassnetValueError("Ratings: ratings must be finite numbers (got NaN or inf)")
        user_ids, u = np.unique(users, return_inverse=True)
        item_ids, i = np.unique(items, return_inverse=True)
        t = None if timestamps is None else np.asarray(timestamps, dtype=np.float64)
        u, i, r, t = _merge_duplicates(u.reshape(-1), i.reshape(-1), ratings, t, duplicates)
        return cls(u, i, r, user_ids, item_ids, t)

    @classmethod
    def from_csv(cls, path, sep=None, duplicates="last"):
        """Read ``user, item[, rating[, timestamp]]`` rows from a text file.

        ``sep`` is guessed among ``,`` tab ``;`` ``::`` (MovieLens) and whitespace when
        None. A first row whose rating column is not a number is a header. Ids stay
        integers when every id in the column is an integer, else strings.
        """
        from glassnet.recommend._csv import read_columns

        columns = read_columns(path, sep)
        users, items = (_ids_of(c) for c in columns[:2])
        ratings = columns[2].astype(np.float64) if len(columns) > 2 else None
        times = columns[3].astype(np.float64) if len(columns) > 3 else None
        return cls.from_arrays(users, items, ratings, times, duplicates=duplicates)

    def with_interactions(self, mask):
        """A Ratings over the same id maps holding only the interactions where ``mask``."""
        t = None if self.timestamps is None else self.timestamps[mask]
        return Ratings(self.users[mask], self.items[mask], self.ratings[mask],
                       self.user_ids, self.item_ids, t)

    # -- views ------------------------------------------------------------------------
    @property
    def n_users(self):
        return int(self.user_ids.size)

    @property
    def n_items(self):
        return int(self.item_ids.size)

    @property
    def nnz(self):
        return int(self.ratings.size)

    @property
    def shape(self):
        return (self.n_users, self.n_items)

    def __len__(self):
        return self.nnz

    @property
    def density(self):
        return self.nnz / max(1, self.n_users * self.n_items)

    @property
    def matrix(self):
        """R as a ``scipy.sparse.csr_matrix`` of shape (n_users, n_items)."""
        from scipy import sparse

        return sparse.csr_matrix((self.ratings, self.items, self.indptr), shape=self.shape)

    def user_counts(self):
        """(n_users,) interactions per user."""
        return np.diff(self.indptr)

    def item_counts(self):
        """(n_items,) interactions per item."""
        return np.bincount(self.items, minlength=self.n_items)

    def split(self, test_fraction=0.2, by="random", seed=0, min_train=1):
        """Hold out ``test_fraction`` of each user's interactions: at random
        (``by="random"``) or their latest ones (``by="time"``, needs timestamps).

        Each user keeps at least ``min_train`` interactions in train. Returns
        ``(train, test)``, two Ratings over the same id maps (same indices).
        """
        from glassnet.recommend._split import split_mask

        test = split_mask(self, test_fraction, by, seed, min_train)
        return self.with_interactions(~test), self.with_interactions(test)

    def __repr__(self):
        return (f"Ratings({self.n_users} users × {self.n_items} items, {self.nnz} interactions, "
                f"density {self.density:.3g})")


def _ids_of(column):
    try:
        return column.astype(np.int64)
    except ValueError:
        return column


def _check_lengths(n, **arrays):
    for name, value in arrays.items():
        if value is not None and np.asarray(value).reshape(-1).size != n:
            raise GlassnetValueError(
                f"Ratings.from_arrays: {name} has {np.asarray(value).size} entries but users "
                f"has {n}; every array needs one entry per interaction"
            )


def _merge_duplicates(u, i, r, t, duplicates):
    """Collapse repeated (user, item) pairs: keep the last in input order, or average."""
    if duplicates not in _DUPLICATES:
        raise GlassnetValueError(
            f"Ratings: duplicates={duplicates!r}; expected one of {list(_DUPLICATES)}"
        )
    n_items = int(i.max()) + 1 if i.size else 1
    key = u * n_items + i
    order = np.argsort(key, kind="stable")  # within a pair: input order
    key = key[order]
    last = np.ones(key.size, dtype=bool)
    last[:-1] = key[1:] != key[:-1]
    if last.all():
        return u, i, r, t
    keep = order[last]
    if duplicates == "mean":
        group = np.cumsum(np.concatenate([[True], last[:-1]])) - 1
        sums = np.bincount(group, weights=r[order])
        r_new = sums / np.bincount(group)
        t_new = None if t is None else np.maximum.reduceat(t[order], np.flatnonzero(
            np.concatenate([[True], last[:-1]])))
        return u[keep], i[keep], r_new, t_new
    return u[keep], i[keep], r[keep], None if t is None else t[keep]
