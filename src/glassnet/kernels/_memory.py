"""Scratch memory for kernels: reused buffers, bounded, reported and releasable.

A training step allocates the same large temporaries every time. Fresh large arrays are
mapped afresh by the C allocator and page-faulted in on first touch, so kernels reuse
them instead, in two ways:

- :func:`scratch`: a buffer for a temporary that lives *within one call* (never returned,
  never kept): the same buffer comes back for the same tag, shape, dtype and thread.
- :func:`owned_buffer`: a buffer an op keeps for itself (im2col columns saved for
  backward); when the op is garbage-collected the buffer joins a free list that the next
  request of that shape and dtype takes.

Both pools are bounded (:data:`LIMITS`, least recently used dropped first), counted by
:func:`memory_stats` and emptied by :func:`empty_cache`. Only NumPy arrays of at least
``REUSE_MIN_BYTES`` are pooled; CuPy has its own memory pool.
"""

import math
import threading
import weakref
from collections import OrderedDict

__all__ = ["LIMITS", "REUSE_MIN_BYTES", "empty_cache", "memory_stats", "owned_buffer", "scratch"]

REUSE_MIN_BYTES = 128 * 2**10
"""Buffers smaller than this are allocated fresh (malloc reuses small blocks itself)."""

LIMITS = {"scratch": 64 * 2**20, "free_list": 64 * 2**20}
"""At most this many bytes stay cached in each pool (all threads together)."""

_lock = threading.Lock()
_scratch = OrderedDict()  # (thread id, tag, shape, dtype) → buffer, least recently used first
_free = OrderedDict()  # (shape, dtype) → [released buffers]
_counts = {"scratch_hits": 0, "scratch_misses": 0, "owned_hits": 0, "owned_misses": 0}


def _pooled(xp, shape, dtype):
    return xp.__name__ == "numpy" and REUSE_MIN_BYTES <= math.prod(shape) * xp.dtype(dtype).itemsize


def scratch(xp, tag, shape, dtype):
    """An uninitialised ``xp`` array of ``shape`` and ``dtype`` for a temporary of one call.

    The same buffer comes back for the same ``tag``, shape and dtype on the same thread,
    so the caller must be done with it before it asks for that tag again."""
    if not _pooled(xp, shape, dtype):
        return xp.empty(shape, dtype=dtype)
    key = (threading.get_ident(), tag, tuple(shape), xp.dtype(dtype).str)
    with _lock:
        buf = _scratch.pop(key, None)
        _counts["scratch_hits" if buf is not None else "scratch_misses"] += 1
    if buf is None:
        buf = xp.empty(shape, dtype=dtype)
    with _lock:
        _scratch[key] = buf
        _evict(_scratch, LIMITS["scratch"], keep=key)
    return buf


def owned_buffer(owner, xp, shape, dtype):
    """An uninitialised buffer that ``owner`` (an op) keeps; it returns to the free list
    when ``owner`` is garbage-collected. Only for arrays no one else sees (never returned)."""
    if not _pooled(xp, shape, dtype):
        return xp.empty(shape, dtype=dtype)
    key = (tuple(shape), xp.dtype(dtype).str)
    with _lock:
        free = _free.get(key)
        buf = free.pop() if free else None
        if free is not None and not free:
            del _free[key]
        _counts["owned_hits" if buf is not None else "owned_misses"] += 1
    if buf is None:
        buf = xp.empty(shape, dtype=dtype)
    weakref.finalize(owner, _release, key, buf).atexit = False
    return buf


def _release(key, buf):
    with _lock:
        _free.setdefault(key, []).append(buf)
        _free.move_to_end(key)
        _evict(_free, LIMITS["free_list"])


def _nbytes(value):
    return sum(b.nbytes for b in value) if isinstance(value, list) else value.nbytes


def _evict(pool, limit, keep=None):
    """Drop the least recently used entries until ``pool`` holds at most ``limit`` bytes."""
    total = sum(_nbytes(v) for v in pool.values())
    for key in list(pool):
        if total <= limit:
            break
        if key == keep:
            continue
        total -= _nbytes(pool.pop(key))


def memory_stats():
    """Bytes and buffers held by the kernels' pools, their limits, and hit counts:
    ``{"scratch_bytes", "scratch_buffers", "free_list_bytes", "free_list_buffers",
    "scratch_limit", "free_list_limit", "scratch_hits", "scratch_misses", "owned_hits",
    "owned_misses"}``."""
    with _lock:
        return {
            "scratch_bytes": sum(b.nbytes for b in _scratch.values()),
            "scratch_buffers": len(_scratch),
            "free_list_bytes": sum(_nbytes(v) for v in _free.values()),
            "free_list_buffers": sum(len(v) for v in _free.values()),
            "scratch_limit": LIMITS["scratch"],
            "free_list_limit": LIMITS["free_list"],
            **_counts,
        }


def empty_cache():
    """Release every pooled buffer (live ops keep theirs until they are collected)."""
    with _lock:
        _scratch.clear()
        _free.clear()
