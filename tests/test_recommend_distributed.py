"""Distributed ALS without MPI: a world of one, and N ranks simulated by threads.

The threads stand in for MPI ranks: each runs ``fit`` as its rank, and the all-gather is a
barrier over the threads' blocks. Two real ranks under ``mpiexec`` are tested in
tests/test_distributed.py.
"""

import threading

import numpy as np
import pytest

import glassnet.distributed as dist
from glassnet import recommend as rec
from glassnet.recommend import _als
from glassnet.recommend._shard import row_bounds

pytest.importorskip("scipy")

MODELS = {
    "als-exact": lambda: rec.ALS(rank=4, reg=0.3, iterations=4, solver="exact", tol=1e-14,
                                 weighted_reg=True, dtype=np.float64),
    "als-cg-nobias": lambda: rec.ALS(rank=5, reg=0.5, iterations=3, biases=False, dtype=np.float64),
    "implicit-cg": lambda: rec.ImplicitALS(rank=4, reg=0.2, alpha=3.0, iterations=3, tol=1e-14,
                                           dtype=np.float64),
    "implicit-exact": lambda: rec.ImplicitALS(rank=3, iterations=2, solver="exact", dtype=np.float64),
}


def _data():
    return rec.synthetic(37, 23, rank=3, density=0.25, noise=0.3, seed=5)


class _ThreadWorld:
    """``size`` threads as ranks: ``world()`` is the calling thread's, ``gather`` stacks the
    threads' blocks in rank order once all of them have handed theirs in."""

    def __init__(self, size):
        self.size, self.local = size, threading.local()
        self.blocks, self.barrier = [None] * size, threading.Barrier(size, timeout=60)
        self.gathers = 0

    def world(self):
        return self.local.rank, self.size

    def gather(self, block, counts, what):
        rank = self.local.rank
        assert block.shape[0] == counts[rank] and len(counts) == self.size, what
        self.blocks[rank] = block
        self.barrier.wait()
        out = np.concatenate(self.blocks)
        self.gathers += rank == 0
        self.barrier.wait()  # nobody overwrites a block before everyone has read them all
        return out


def _fit_on_threads(make, data, size, monkeypatch):
    ranks = _ThreadWorld(size)
    monkeypatch.setattr(_als, "world", ranks.world)
    monkeypatch.setattr(_als, "gather", ranks.gather)
    monkeypatch.setattr(_als, "check_same_ratings", lambda ratings, who: None)
    models, errors = [make() for _ in range(size)], []

    def fit(rank):
        ranks.local.rank = rank
        try:
            models[rank].fit(data)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
            ranks.barrier.abort()

    threads = [threading.Thread(target=fit, args=(r,)) for r in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return models, ranks.gathers


@pytest.mark.parametrize("size", [2, 3, 40])  # 40 ranks: more ranks than items, some shards empty
@pytest.mark.parametrize("name", sorted(MODELS))
def test_ranks_solving_their_own_rows_equal_one_process(name, size, monkeypatch):
    data = _data()
    alone = MODELS[name]().fit(data)
    models, gathers = _fit_on_threads(MODELS[name], data, size, monkeypatch)
    assert gathers >= 2 * len(alone.history_ or [None])  # the half-steps went through the gather
    for model in models:
        for key, value in alone._arrays().items():
            np.testing.assert_allclose(model._arrays()[key], value, rtol=0, atol=1e-10, err_msg=key)
        np.testing.assert_allclose(model.history_, alone.history_, rtol=1e-12)
    for model in models[1:]:  # every rank holds the same factors
        for key, value in models[0]._arrays().items():
            np.testing.assert_array_equal(model._arrays()[key], value)


def test_a_world_of_one_fits_as_without_a_group():
    data = _data()
    alone = MODELS["als-exact"]().fit(data)
    dist.init_process_group()
    try:
        grouped = MODELS["als-exact"]().fit(data)
    finally:
        dist.destroy_process_group()
    for key, value in alone._arrays().items():
        np.testing.assert_array_equal(grouped._arrays()[key], value)


def test_row_bounds_cover_every_row_and_share_the_work():
    counts = np.array([9, 0, 1, 7, 3, 3, 0, 8, 2, 5])
    indptr = np.concatenate([[0], np.cumsum(counts)])
    for size in (1, 2, 3, 4, 12):
        bounds = row_bounds(indptr, size, row_cost=2)
        assert bounds[0] == 0 and bounds[-1] == counts.size and np.all(np.diff(bounds) >= 0)
        assert bounds.size == size + 1
    work = [counts[a:b].sum() + 2 * (b - a) for a, b in zip(*(row_bounds(indptr, 2, 2)[s] for s in
                                                               (slice(None, -1), slice(1, None))),
                                                           strict=True)]
    assert max(work) - min(work) <= 2 * (counts.max() + 2)  # within one row's work of even
