"""Shards of one computation on several CPU threads (what :class:`nn.DataParallel` runs on).

NumPy runs its ufuncs, copies and strided adds on one core; only BLAS (the GEMMs) uses
more. To use every core for a whole training step, :func:`run_shards` runs ``fn(i)`` for
shard ``i = 0 … n−1`` side by side, one thread each (shard 0 on the calling thread, the
rest on a shared pool): NumPy releases the GIL inside its loops, so the shards' array work
overlaps. While they run, BLAS is held to one thread each (through ``threadpoolctl``):
n shards × several BLAS threads would oversubscribe the cores, and OpenBLAS serialises
concurrent callers of its thread pool (measured: 2 shards with 2 BLAS threads each ran a
conv step in 31–32 ms, one thread each in 18–20 ms, unsharded 24–28 ms).

Inside a shard, :func:`shard_index` says which one it is (``None`` outside), and
:func:`glassnet._backend.default_generator` draws from the shard's own generator, seeded
from the global one before the shards start, so random draws (dropout) do not depend on
which thread runs first.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from glassnet import _backend

__all__ = ["blas_threads", "run_shards", "shard_index"]

_local = threading.local()
_pool_lock = threading.Lock()
_pool = None
_controller = None
_limit_lock = threading.Lock()
_limit = {"holders": 0, "limiter": None}  # one BLAS limit shared by concurrent run_shards calls


def _blas_controller():
    """threadpoolctl's controller of the loaded BLAS libraries (made once, on first use)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def blas_threads():
    """The number of threads BLAS uses now (the largest over the loaded BLAS libraries)."""
    return max((lib.num_threads for lib in _blas_controller().lib_controllers), default=1)


def shard_index():
    """Which shard the calling thread is running inside :func:`run_shards` (0, 1, …), or
    ``None`` outside any. In nested runs it is 0 only on the path of first shards."""
    return getattr(_local, "shard", None)


def _executor(workers):
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < workers:
            if _pool is not None:
                _pool.shutdown(wait=False)  # its idle threads exit; running tasks finish
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="glassnet-shard")
        return _pool


def _forget_pool():
    """In a forked child the pool's threads do not exist: start a fresh pool on demand."""
    global _pool, _pool_lock, _limit_lock
    _pool, _pool_lock, _limit_lock = None, threading.Lock(), threading.Lock()
    _limit.update(holders=0, limiter=None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _hold_one_blas_thread():
    """Limit BLAS to one thread until the matching :func:`_release_blas`. The limit is
    process-wide, so concurrent callers share one: the first saves and limits, the last
    restores (otherwise a caller could "restore" another's limit of 1 for good)."""
    with _limit_lock:
        if _limit["holders"] == 0:
            _limit["limiter"] = _blas_controller().limit(limits=1)
        _limit["holders"] += 1


def _release_blas():
    with _limit_lock:
        _limit["holders"] -= 1
        if _limit["holders"] == 0:
            _limit["limiter"].restore_original_limits()
            _limit["limiter"] = None


def _in_shard(fn, i, seed):
    rng = _backend.shard_rng
    previous = (getattr(_local, "shard", None), getattr(rng, "generator", None))
    _local.shard = i if previous[0] in (None, 0) else previous[0]  # nested: 0 only below a 0
    if seed is not None:
        rng.generator = np.random.default_rng(seed)
    try:
        return fn(i)
    finally:
        _local.shard, rng.generator = previous


def run_shards(fn, n, seeded=True):
    """``[fn(0), …, fn(n−1)]``, each call on its own thread, BLAS at one thread each.

    Shard 0 runs on the caller's thread. The first exception raised by any shard is
    re-raised here after every shard has finished. Called from inside a shard, the shards
    run one after another on that thread (no pool thread waits on another). ``seeded``:
    give each shard a generator seeded from the global one (``False`` draws nothing, for
    work without randomness such as a backward pass)."""
    seeds = _backend.default_generator().integers(0, 2**63, size=n) if seeded else [None] * n
    if n == 1 or shard_index() is not None:
        return [_in_shard(fn, i, seeds[i]) for i in range(n)]
    _hold_one_blas_thread()
    try:
        futures = [_executor(n - 1).submit(_in_shard, fn, i, seeds[i]) for i in range(1, n)]
        first_error, results = None, [None] * n
        try:
            results[0] = _in_shard(fn, 0, seeds[0])
        except BaseException as exc:  # noqa: BLE001 - re-raised below, after the others
            first_error = exc
        for i, future in enumerate(futures, start=1):
            try:
                results[i] = future.result()
            except BaseException as exc:  # noqa: BLE001
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
        return results
    finally:
        _release_blas()
