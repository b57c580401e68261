"""The LU factorisation with partial pivoting, ``P·L·U = A`` for stacks ``(..., m, n)``, and its
gradient (one primitive, :class:`LUFactor`, whose output is LAPACK's packed ``LU``).

``LU`` holds ``L`` (m × k, unit lower triangular, k = min(m, n), its ones not stored) below
the diagonal and ``U`` (k × n, upper triangular) on and above it. ``pivots`` (..., k), int32
and 1-based as LAPACK's ``getrf`` and PyTorch: row i was swapped with row ``pivots[i]`` at step
i. The values come from SciPy's LAPACK ``getrf`` when SciPy is installed, else from the same
elimination written in NumPy below (also the ``pivot=False`` path).
"""

import warnings

import numpy as np

from glassnet._backend import namespace, to_numpy
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._arrange import tril, triu
from glassnet.ops._linalg_checks import swap
from glassnet.ops._linalg_inverse import Solve
from glassnet.ops._shape import cat

__all__ = ["LUFactor", "getrf", "permutation"]


def getrf(a, pivot=True):
    """``(LU, pivots)`` of each matrix of the array ``a`` (..., m, n): pivots int32, 1-based."""
    if pivot and a.size:
        try:
            import scipy.linalg
        except ImportError:
            return _eliminate(a, pivot)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SciPy warns on an exactly singular U; info says it
            lu, piv = scipy.linalg.lu_factor(to_numpy(a), check_finite=False)
        xp = namespace(a)
        return xp.asarray(lu.astype(a.dtype, copy=False)), xp.asarray((piv + 1).astype(np.int32))
    return _eliminate(a, pivot)


def _eliminate(a, pivot):
    """Gaussian elimination, column by column: the pivot is the first entry of largest
    magnitude on or below the diagonal (``pivot=False``: the diagonal entry); a zero pivot
    leaves its column unscaled, as LAPACK does."""
    xp = namespace(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    lu = a.reshape((int(np.prod(a.shape[:-2])), m, n)).copy()
    batch = xp.arange(lu.shape[0])
    pivots = xp.zeros((lu.shape[0], k), dtype=np.int32)
    for j in range(k):
        p = j + (xp.argmax(xp.abs(lu[:, j:, j]), axis=-1) if pivot else xp.zeros_like(batch))
        pivots[:, j] = p + 1
        row = lu[batch, j].copy()
        lu[batch, j] = lu[batch, p]
        lu[batch, p] = row
        d = lu[:, j, j]
        column = lu[:, j + 1 :, j] / xp.where(d == 0, 1, d)[:, None]
        lu[:, j + 1 :, j] = column
        lu[:, j + 1 :, j + 1 :] -= column[:, :, None] * lu[:, j, None, j + 1 :]
    return lu.reshape(a.shape), pivots.reshape(a.shape[:-2] + (k,))


def permutation(pivots, m):
    """``perm`` (..., m) with ``(Pᵀ·A)[i] = A[perm[i]]``: the row swaps of ``pivots`` applied in
    order to ``0, 1, …, m−1``."""
    xp = namespace(pivots)
    flat = pivots.reshape((int(np.prod(pivots.shape[:-1])), pivots.shape[-1])).astype(np.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (flat.shape[0], m)).copy()
    batch = xp.arange(flat.shape[0])
    for j in range(flat.shape[-1]):
        target = flat[:, j]
        row = perm[batch, j].copy()
        perm[batch, j] = perm[batch, target]
        perm[batch, target] = row
    return perm.reshape(pivots.shape[:-1] + (m,))


class _ArrayMath:
    """The operations :func:`_lu_backward` needs, on arrays (the first derivative)."""

    def __init__(self, xp):
        self.xp = xp

    def tril(self, x, k=0):
        return self.xp.tril(x, k)

    def triu(self, x, k=0):
        return self.xp.triu(x, k)

    def t(self, x):
        return swap(x)

    def solve(self, a, b):
        return self.xp.linalg.solve(a, b)

    def cat(self, parts, axis):
        return self.xp.concatenate(parts, axis=axis)

    def const(self, x):
        return x


class _TensorMath(_ArrayMath):
    """The same operations with Tensor ops, which record (``create_graph=True``)."""

    def tril(self, x, k=0):
        return tril(x, k)

    def triu(self, x, k=0):
        return triu(x, k)

    def t(self, x):
        return x.mT

    def solve(self, a, b):
        return Solve.apply(a, b)

    def cat(self, parts, axis):
        return cat(parts, axis)

    def const(self, x):
        return Tensor._wrap(x, False, None)


def _lu_backward(ops, lu, g, perm):
    """dA from the packed LU (..., m, n), its gradient ``g`` and the row order ``perm`` (see
    :class:`LUFactor`); ``ops`` computes on arrays or on Tensors."""
    xp = ops.xp
    m, n = lu.shape[-2:]
    k = min(m, n)
    lower = ops.tril(lu[..., :k], -1) + ops.const(xp.eye(m, k, dtype=lu.dtype))
    upper = ops.triu(lu[..., :k, :])
    g_lower, g_upper = ops.tril(g[..., :k], -1), ops.triu(g[..., :k, :])
    l1, u1 = lower[..., :k, :], upper[..., :, :k]
    phi = ops.t(l1) @ g_lower[..., :k, :]
    psi = g_upper[..., :, :k] @ ops.t(u1)
    if m > n:
        psi = psi - ops.t(lower[..., k:, :]) @ g_lower[..., k:, :]
    if m < n:
        phi = phi - g_upper[..., :, k:] @ ops.t(upper[..., :, k:])
    inner = ops.tril(phi, -1) + ops.triu(psi)
    right_solve = lambda y: ops.t(ops.solve(u1, ops.t(y)))  # noqa: E731  Y·U₁⁻ᵀ
    grad = right_solve(ops.solve(ops.t(l1), inner))
    if m > n:
        grad = ops.cat([grad, right_solve(g_lower[..., k:, :])], -2)
    elif m < n:
        grad = ops.cat([grad, ops.solve(ops.t(l1), g_upper[..., :, k:])], -1)
    p = (perm[..., None, :] == xp.arange(m)[:, None]).astype(lu.dtype)  # P[perm[i], i] = 1
    return ops.const(p) @ grad


class LUFactor(Function):
    """The packed ``LU`` of ``A`` (..., m, n), factors computed by :func:`getrf` and passed in
    (``lu``, ``perm``) so that the pivots come back beside the output; P is constant.

    With ``L`` (m × k), ``U`` (k × n), gradients ``dL = tril(dLU, −1)``, ``dU = triu(dLU)`` and
    ``Φ = tril(·, −1)``, ``Ψ = triu(·)``, the backward (PyTorch's, from ``dA = P·(dL·U + L·dU)``)::

        m = n:  dA = P · L⁻ᵀ · (Φ(Lᵀ·dL) + Ψ(dU·Uᵀ)) · U⁻ᵀ
        m > n:  L = [L₁; L₂]:  dA = P · [L₁⁻ᵀ·(Φ(L₁ᵀ·dL₁) + Ψ(dU·Uᵀ − L₂ᵀ·dL₂))·U⁻ᵀ ; dL₂·U⁻ᵀ]
        m < n:  U = [U₁ | U₂]: dA = P · [L⁻ᵀ·(Φ(Lᵀ·dL − dU₂·U₂ᵀ) + Ψ(dU₁·U₁ᵀ))·U₁⁻ᵀ | L⁻ᵀ·dU₂]

    The same formula with Tensor ops differentiates again (``create_graph=True``).
    """

    formula = "P · L · U = A,  LU = (L − I) + U packed"
    grad_formulas = (
        "M = tril(Lᵀ·dL, −1) + triu(dU·Uᵀ)  (square)",
        "dA = P · L⁻ᵀ · M · U⁻ᵀ  (tall and wide: see LUFactor's docstring)",
    )

    def forward(self, a, lu, perm):
        return lu

    def backward(self, g):
        return (_lu_backward(_ArrayMath(namespace(g)), self.params["lu"], g, self.params["perm"]),)

    def differentiable_backward(self, g, out):
        return (_lu_backward(_TensorMath(namespace(out.array)), out, g, self.params["perm"]),)
