"""The matrix exponential and products of Householder reflections, for stacks of matrices.

``matrix_exp(A) = Σ_k A^k / k!`` is a primitive: the [13/13] Padé approximant with scaling and
squaring (Higham, 2005), each matrix scaled by ``2^-s`` so its 1-norm is at most θ₁₃ ≈ 5.37.
Its gradient is the adjoint of the Fréchet derivative, read off the exponential of a block
matrix (Mathias, 1996): ``exp([[Aᵀ, G], [0, Aᵀ]]) = [[exp(Aᵀ), dA], [0, exp(Aᵀ)]]``.

``householder_product(A, tau)`` (LAPACK's orgqr) is composed of Tensor ops, so it is
differentiable to any order.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._arrange import tril
from glassnet.ops._convert import write_out
from glassnet.ops._linalg import matmul
from glassnet.ops._linalg_checks import require_matrices, require_square, swap
from glassnet.ops._shape import cat

__all__ = ["matrix_exp", "householder_product"]

_THETA13 = 5.371920351148152
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)


def _expm(a):
    """``exp(A)`` of a stack of square arrays (computed in float64, returned in A's dtype)."""
    with np.errstate(all="ignore"):  # nan and inf pass through silently, as in PyTorch
        return _expm_finite_ok(a)


def _expm_finite_ok(a):
    xp = namespace(a)
    x = a.astype(xp.float64)
    n = x.shape[-1]
    norm1 = xp.abs(x).sum(axis=-2).max(axis=-1) if n else xp.zeros(x.shape[:-2])
    s = xp.ceil(xp.log2(norm1 / _THETA13))
    s = xp.where(xp.isfinite(s) & (s > 0), s, 0).astype(int)  # a nan or inf matrix: no squaring
    x = x / (2.0 ** s)[..., None, None]
    b, eye = _PADE13, xp.eye(n)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * eye)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for i in range(int(s.max()) if s.size else 0):
        r = xp.where((s > i)[..., None, None], r @ r, r)
    return r.astype(a.dtype)


class MatrixExp(Function):
    formula = "Y = exp(A) = Σ_k A^k / k!"
    grad_formulas = ("dA = [exp([[Aᵀ, dY], [0, Aᵀ]])]₁₂  (the upper-right n×n block)",)

    def forward(self, a):
        self.a = a
        return _expm(a)

    def backward(self, g):
        xp, n = namespace(g), g.shape[-1]
        at = swap(self.a)
        top = xp.concatenate([at, g], axis=-1)
        bottom = xp.concatenate([xp.zeros_like(at), at], axis=-1)
        return (_expm(xp.concatenate([top, bottom], axis=-2))[..., :n, n:],)

    def differentiable_backward(self, g, out):
        at, n = self.inputs[0].transpose(-1, -2), g.shape[-1]
        block = cat([cat([at, g], -1), cat([at * 0.0, at], -1)], -2)
        return (MatrixExp.apply(block)[..., :n, n:],)


def matrix_exp(A, *, out=None):  # noqa: N803  (PyTorch's names)
    """``exp(A)`` of each square matrix of ``A`` (..., n, n) → (..., n, n)."""
    require_square("linalg.matrix_exp", A)
    return write_out(MatrixExp.apply(A), out, "matrix_exp")


def householder_product(A, tau, *, out=None):  # noqa: N803
    """The first n columns of ``H₁·H₂·…·H_k``, ``H_i = I − τ_i v_i v_iᵀ`` (LAPACK's orgqr).

    Args:
        A: (..., m, n), m ≥ n: column i below the diagonal holds ``v_i`` (its entry i is 1,
            those above 0; the diagonal and upper triangle of A are not read).
        tau: (..., k), k ≤ n: the scalars τ_i.

    Returns:
        (..., m, n); with A and tau from a QR factorisation (``geqrf``) it is the Q factor.
    """
    require_matrices("linalg.householder_product", A)
    m, n = A.shape[-2:]
    if not (m >= n >= tau.shape[-1]) or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise ShapeError(f"linalg.householder_product: needs A (..., m, n) and tau (..., k) with "
                         f"m ≥ n ≥ k and the same batch axes; got A {tuple(A.shape)}, tau {tuple(tau.shape)}")
    xp = namespace(A.array)
    unit = Tensor._wrap(xp.eye(m, n, dtype=A.array.dtype), False, None)
    reflectors = tril(A, -1) + unit
    q = unit.expand(*A.shape)
    for i in reversed(range(tau.shape[-1])):
        v = reflectors[..., :, i:i + 1]
        q = q - (tau[..., i, None, None] * v) @ matmul(v.transpose(-1, -2), q)
    return write_out(q, out, "householder_product")
