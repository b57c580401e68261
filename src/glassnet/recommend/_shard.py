"""ALS across the ranks of a process group: each rank solves a contiguous block of rows.

A half-step's rows are independent (each row's k × k system needs only the other side's
factors, which every rank holds in full), so with N ranks rank q solves rows
``bounds[q]:bounds[q+1]`` and an all-gather stacks the blocks: every rank ends the
half-step with the same factors a single process computes. The blocks are cut so each
holds about the same work, ``entries + rank·rows`` (a row's k × k solve or CG update
costs about as much as k of its entries).

Used by :mod:`glassnet.recommend._als` whenever ``gn.distributed`` is initialised with a
world of more than one process; every rank must then call ``fit`` with the same ratings
(checked: a rank with different ratings raises instead of training on a mixture).
"""

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.distributed._collectives import ReduceOp, all_gather_rows, start_all_reduce
from glassnet.distributed._world import current_group, is_initialized

__all__ = ["check_same_ratings", "gather", "row_bounds", "world"]


def world():
    """``(rank, size)`` of the initialised process group, or ``(0, 1)`` without one."""
    if not is_initialized():
        return 0, 1
    group = current_group("ALS")
    return group.rank, group.size


def row_bounds(indptr, size, row_cost):
    """(size + 1,) row boundaries: rank q solves rows ``bounds[q]:bounds[q+1]``, about an
    equal share of ``entries + row_cost·rows`` each (``indptr`` is the side's CSR row
    pointer, so ``indptr[r] + row_cost·r`` is the work before row r)."""
    n_rows = indptr.size - 1
    work = indptr.astype(np.float64) + row_cost * np.arange(n_rows + 1)
    cuts = np.searchsorted(work, work[-1] * np.arange(1, size) / size)
    return np.concatenate([[0], np.minimum(cuts, n_rows), [n_rows]]).astype(np.int64)


def gather(block, counts, what):
    """Every rank's ``block`` (``counts[q]`` rows from rank q) stacked in rank order."""
    return all_gather_rows(block, counts, what)


def check_same_ratings(ratings, who):
    """Raise unless every rank holds the same ratings: their sizes and a few sums compared
    with one all-reduce (MAX of each number and of its negation)."""
    users, items, values = (np.asarray(a, dtype=np.float64) for a in
                            (ratings.users, ratings.items, ratings.ratings))
    position = np.arange(values.size, dtype=np.float64)
    summary = np.array([ratings.nnz, ratings.n_users, ratings.n_items, values.sum(),
                        users @ position, items @ position, values @ position])
    both = np.concatenate([summary, -summary])
    start_all_reduce(both, ReduceOp.MAX, current_group(who), f"{who}: comparing the ranks' ratings").wait()
    if not np.array_equal(both[:summary.size], -both[summary.size:]):
        raise GlassnetValueError(
            f"{who}: the ranks hold different ratings (rank {current_group(who).rank} has "
            f"{ratings.nnz} interactions of {ratings.n_users} users × {ratings.n_items} items); "
            "under a process group every rank must fit the same Ratings, and ALS shards the rows "
            "itself")
