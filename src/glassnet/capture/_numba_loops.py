"""numba's loops for the fused kernels of a replay (the ``fast`` extra), cached on disk.

:mod:`._fused` imports this module the first time a compiled function asks for numba's
kernels — never at ``import glassnet`` — and wraps these loops with the same signatures
as its NumPy kernels (the formulas are written there). Each loop is compiled for the
dtypes it meets on its first call and kept in numba's on-disk cache (``cache=True``), so
that later processes load the machine code instead of compiling again (~0.5 s per loop
and dtype, ~1 s at the first replay of an MLP step, paid once per machine and numba
version). numba keeps that cache in ``$NUMBA_CACHE_DIR`` when that is set, else in
``__pycache__`` beside this file when it is writable, else in the user's cache directory
(``~/.cache/numba`` on Linux); the entries are keyed by a hash of this file's contents,
so an edited file compiles afresh. Where no directory is writable the loops compile in
each process, as without the cache.

Compile options: one thread (see :mod:`._fused`), no GIL held, ``error_model="numpy"``
(``x / 0`` is inf or nan as in NumPy, not ZeroDivisionError; without the check in every
division LLVM vectorises the loops — Adam on 256×784: 80 µs instead of 750).

The softmax-cross-entropy loops check the labels first and return False, having written
nothing, when one is out of range (the caller then runs NumPy's indexing, which raises as
eager mode does); the update loops take flat (1-D) arrays.
"""

import numba
import numpy as np

__all__ = ["adam", "bias_relu", "labels_in_range", "relu_grad", "sgd_momentum", "softmax_ce",
           "softmax_ce_grad"]

_OPTIONS = {"fastmath": False, "nogil": True, "error_model": "numpy"}


def _jit(fn):
    """``numba.njit`` with the on-disk cache, or without it where no cache directory is
    writable (numba then refuses ``cache=True`` when the function is defined)."""
    try:
        return numba.njit(fn, cache=True, **_OPTIONS)
    except RuntimeError:  # "cannot cache function …: no locator available"
        return numba.njit(fn, **_OPTIONS)


@_jit
def bias_relu(z, b, out):
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            s = z[i, j] + b[j]
            out[i, j] = s if s > 0 or s != s else 0  # as np.maximum(s, 0): NaN kept, -0.0 → 0


@_jit
def relu_grad(g, y, out):
    for i in range(g.shape[0]):
        out[i] = g[i] if y[i] > 0 else g[i] * 0  # g · 0: NaN stays NaN, -g·0 is -0.0


@_jit
def sgd_momentum(p, g, v, mu, neg_lr):
    for i in range(p.shape[0]):
        vi = v[i] * mu + g[i]
        v[i] = vi
        p[i] = p[i] + vi * neg_lr


@_jit
def adam(p, g, m, v, a1, b2, a2, s2, eps, k):
    for i in range(p.shape[0]):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * a1
        vi = v[i] * b2 + (gi * gi) * a2
        m[i] = mi
        v[i] = vi
        p[i] = p[i] - (mi / (np.sqrt(vi) / s2 + eps)) * k


@_jit
def labels_in_range(labels, classes):
    """0 ≤ every label < classes (the loops below index a row by its label unchecked)."""
    for i in range(labels.shape[0]):
        if labels[i] < 0 or labels[i] >= classes:
            return False
    return True


@_jit
def softmax_ce(z, labels, prob, losses):
    if not labels_in_range(labels, z.shape[1]):
        return False
    for i in range(z.shape[0]):
        top = z[i, 0]
        for j in range(1, z.shape[1]):
            if z[i, j] > top or z[i, j] != z[i, j]:
                top = z[i, j]
        total = np.exp(z[i, 0] - top)
        prob[i, 0] = total
        for j in range(1, z.shape[1]):
            e = np.exp(z[i, j] - top)
            prob[i, j] = e
            total += e
        for j in range(z.shape[1]):
            prob[i, j] = prob[i, j] / total
        losses[i] = np.log(total) - (z[i, labels[i]] - top)
    return True


@_jit
def softmax_ce_grad(prob, labels, scale, one, out):
    if not labels_in_range(labels, prob.shape[1]):
        return False
    for i in range(prob.shape[0]):
        for j in range(prob.shape[1]):
            out[i, j] = (prob[i, j] - one if j == labels[i] else prob[i, j]) * scale  # one: prob's dtype
    return True
