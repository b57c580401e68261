"""The fused elementwise kernels of a replay: one pass over memory instead of several.

Each kernel is written twice with the same arithmetic in the same order: as NumPy calls
into preallocated arrays (``out=``, the fallback, always there) and as a numba loop (the
``fast`` extra: ``pip install glassnet[fast]``), which reads each element once and does
the whole chain in registers. The loops run on one thread: measured on this project's
2-core machine, ``parallel=True`` halves Adam's update of a 256×784 weight timed alone
(47 µs instead of 101) but, next to OpenBLAS's own threads, made the 784-256-256-10 step
at batch 1024 and 2 threads 3.5 × slower (the two thread pools spin against each other).
Scalars arrive
already cast to the arrays' dtype, as NumPy casts a Python float next to a float32
array, so both versions round alike and give the same bits.

Why numba and not numexpr: measured on this project's 2-core machine
(``benchmarks/fused_kernels.py``, docs/benchmarks.md), numexpr 2.14 was 3.5-8.5 × *slower*
than NumPy in place on these chains, while numba's one loop was 3-7 × faster; numba's
price is its compile on first use (~0.5 s per kernel and dtype, at the first replay),
paid once per machine since the loops (:mod:`._numba_loops`) live in numba's on-disk
cache, and ~55 MB of resident memory for numba and LLVM.

Kernels (all arrays C-contiguous, one dtype; ``out`` may be an input; the two updates take
flat, 1-D arrays):

- ``bias_relu(z, b, out)``: ``out = max(z + b, 0)`` — z (N, F), b (F,)
- ``relu_grad(g, y, out)``: ``out = g · [y > 0]``
- ``sgd_momentum(p, g, v, mu, neg_lr)``: ``v ← mu·v + g``; ``p ← p + neg_lr·v``
- ``adam(p, g, m, v, a1, b2, a2, s2, eps, k)``: ``m ← m + a1·(g − m)``;
  ``v ← b2·v + a2·g²``; ``p ← p − k·m / (√v / s2 + eps)``  (a1 = 1 − β1, a2 = 1 − β2,
  s2 = √(1 − β2ᵗ), k = lr / (1 − β1ᵗ))
- ``sgd_momentum_step`` / ``adam_step`` (NumPy only): the same without the last line —
  ``tmp`` gets what p adds (SGD) or subtracts (Adam), for an update over one flat run of
  several parameters' gradients and state (:mod:`._updates`)
- ``softmax_ce(z, labels, work)``: per row ``Ŷ = exp(z − max z) / Σ exp(z − max z)`` into
  ``work.prob`` and ``L_i = log Σ exp(z − max z) − (z_{y_i} − max z)``; returns the L_i
  (z (N, C), labels (N,); ``work`` from ``SoftmaxWork(shape, dtype)``)
- ``softmax_ce_grad(prob, labels, scale, out)``: ``out = (Ŷ − Y)·scale`` (Y one-hot)

numba's ``exp`` and ``log`` may differ from NumPy's in the last bit, so the fused
softmax-cross-entropy forward agrees with the NumPy one to rounding, not bit for bit (the
other kernels, and its backward, give the same bits).
"""

import importlib.util

import numpy as np

from glassnet._errors import GlassnetValueError

__all__ = ["NumpyKernels", "available", "check_fuse", "kernels"]

_compiled = None  # the numba kernels, imported on first use

_NEED_NUMBA = ("compile(fuse=True): fused kernels need numba — pip install 'glassnet[fast]' (or fuse='auto', "
               "which falls back to NumPy)")


def available():
    """Whether numba (the ``fast`` extra) is installed — found, not imported (importing it
    takes ~0.15 s and ~55 MB with LLVM; that happens at the first lowering that uses it)."""
    return importlib.util.find_spec("numba") is not None


def check_fuse(fuse):
    """``fuse`` itself when it is ``True``, ``False`` or ``"auto"`` and, for ``True``, numba
    is installed; otherwise an error saying what would fit."""
    if fuse is not True and fuse is not False and fuse != "auto":
        raise GlassnetValueError(f"compile: fuse must be True, False or 'auto', got {fuse!r}")
    if fuse is True and not available():
        raise GlassnetValueError(_NEED_NUMBA)
    return fuse


def kernels(fuse):
    """The kernel set for ``fuse``: ``"auto"`` (numba if it imports, else NumPy), ``True``
    (numba, or an error saying how to install it) or ``False`` (NumPy)."""
    check_fuse(fuse)
    if fuse is False or not available():
        return NumpyKernels
    global _compiled
    if _compiled is None:
        try:
            _compiled = _numba_kernels()
        except ImportError as exc:  # installed but broken (e.g. built for another NumPy)
            if fuse is True:
                raise GlassnetValueError(f"{_NEED_NUMBA}; importing it failed: {exc}") from exc
            return NumpyKernels
    return _compiled


class SoftmaxWork:
    """The arrays one softmax-cross-entropy step writes into (allocated once per tape)."""

    def __init__(self, shape, dtype):
        n = shape[0]
        self.top, self.total = np.empty((n, 1), dtype), np.empty((n, 1), dtype)
        self.shifted, self.exp, self.prob = (np.empty(shape, dtype) for _ in range(3))
        self.losses, self.rows = np.empty(n, dtype), np.arange(n)


class NumpyKernels:
    """The fallback: the same chains as NumPy calls writing into preallocated arrays."""

    name = "numpy"

    @staticmethod
    def bias_relu(z, b, out):
        np.add(z, b, out=out)
        np.maximum(out, 0, out=out)

    @staticmethod
    def relu_grad(g, y, out, mask):
        np.greater(y, 0, out=mask)
        np.multiply(g, mask, out=out, dtype=g.dtype)

    @staticmethod
    def sgd_momentum(p, g, v, mu, neg_lr, tmp):
        NumpyKernels.sgd_momentum_step(g, v, mu, neg_lr, tmp)
        p += tmp

    @staticmethod
    def sgd_momentum_step(g, v, mu, neg_lr, tmp):
        """``v ← mu·v + g``; ``tmp = neg_lr·v``, what p adds (p itself is left to the caller)."""
        v *= mu
        v += g
        np.multiply(v, neg_lr, out=tmp)

    @staticmethod
    def softmax_ce(z, labels, work):
        np.maximum.reduce(z, axis=1, keepdims=True, out=work.top)  # np.max without its Python wrapper
        np.subtract(z, work.top, out=work.shifted)
        np.exp(work.shifted, out=work.exp)
        np.add.reduce(work.exp, axis=1, keepdims=True, out=work.total)  # np.sum, likewise
        np.divide(work.exp, work.total, out=work.prob)
        return np.subtract(np.log(work.total[:, 0]), work.shifted[work.rows, labels], out=work.losses)

    @staticmethod
    def softmax_ce_grad(prob, labels, scale, out, rows):
        np.copyto(out, prob)
        out[rows, labels] -= 1
        np.multiply(out, scale, out=out)

    @staticmethod
    def adam(p, g, m, v, a1, b2, a2, s2, eps, k, tmp):
        NumpyKernels.adam_step(g, m, v, a1, b2, a2, s2, eps, k, tmp)
        p -= tmp

    @staticmethod
    def adam_step(g, m, v, a1, b2, a2, s2, eps, k, tmp):
        """m and v updated; ``tmp = k·m / (√v / s2 + eps)``, what p subtracts (p itself is
        left to the caller)."""
        np.subtract(g, m, out=tmp)
        tmp *= a1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp *= a2
        v *= b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp /= s2
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= k


def _numba_kernels():
    """numba versions of :class:`NumpyKernels` (same signatures): the loops of
    :mod:`._numba_loops`, compiled on first use for the dtypes they meet, or loaded from
    numba's on-disk cache when an earlier process compiled them."""
    from glassnet.capture import _numba_loops as loops

    class NumbaKernels:
        name = "numba"

        @staticmethod
        def softmax_ce(z, labels, work):
            if not loops.softmax_ce(z, labels, work.prob, work.losses):  # a label out of range
                return NumpyKernels.softmax_ce(z, labels, work)  # NumPy's indexing raises (or wraps) as eager
            return work.losses

        @staticmethod
        def softmax_ce_grad(prob, labels, scale, out, rows):
            as_dtype = prob.dtype.type
            if not loops.softmax_ce_grad(prob, labels, as_dtype(scale), as_dtype(1), out):
                NumpyKernels.softmax_ce_grad(prob, labels, scale, out, rows)

        @staticmethod
        def bias_relu(z, b, out):
            loops.bias_relu(z, b, out)

        @staticmethod
        def relu_grad(g, y, out, mask):
            loops.relu_grad(g.reshape(-1), y.reshape(-1), out.reshape(-1))

        @staticmethod
        def sgd_momentum(p, g, v, mu, neg_lr, tmp):
            loops.sgd_momentum(p, g, v, mu, neg_lr)

        @staticmethod
        def adam(p, g, m, v, a1, b2, a2, s2, eps, k, tmp):
            loops.adam(p, g, m, v, a1, b2, a2, s2, eps, k)

    return NumbaKernels

