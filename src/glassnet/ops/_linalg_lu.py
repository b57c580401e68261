"""The LU user functions: ``gn.linalg.lu_factor``, ``lu_factor_ex``, ``lu``, ``lu_solve`` and
PyTorch's top-level ``lu_unpack``, ``lu`` (older) and ``lu_solve`` (older argument order).

``A = P·L·U`` for ``A`` (..., m, n), k = min(m, n): P (..., m, m) a permutation, L (..., m, k)
unit lower triangular, U (..., k, n) upper triangular; ``lu_factor`` packs L and U into one
``LU`` (..., m, n) beside the 1-based int32 ``pivots`` (..., k). Gradients flow through ``LU``
(the primitive :class:`~glassnet.ops._linalg_lu_factor.LUFactor`); ``lu_unpack`` and
``lu_solve`` are composed of differentiable ops (triangular parts, matmul, triangular solves).
"""

from collections import namedtuple

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._arrange import tril, triu
from glassnet.ops._convert import promote, write_out
from glassnet.ops._linalg import matmul
from glassnet.ops._linalg_checks import LinAlgError, require_matrices, require_square
from glassnet.ops._linalg_lu_factor import LUFactor, getrf, permutation
from glassnet.ops._linalg_products import solve_triangular

__all__ = ["lu_factor", "lu_factor_ex", "linalg_lu", "linalg_lu_solve", "lu_unpack", "lu", "lu_solve"]

LUFactorResult = namedtuple("LUFactorResult", ["LU", "pivots"])
LUFactorExResult = namedtuple("LUFactorExResult", ["LU", "pivots", "info"])
LUResult = namedtuple("LUResult", ["P", "L", "U"])


def _constant(array):
    return Tensor._wrap(array, False, None)


def _info(xp, lu):
    """LAPACK's ``info``: 1 + the index of the first zero on U's diagonal, 0 where there is none."""
    diagonal = xp.diagonal(lu, axis1=-2, axis2=-1)
    zero = diagonal == 0
    if not zero.shape[-1]:  # k = 0: an empty matrix
        return xp.zeros(zero.shape[:-1], dtype=np.int32)
    return xp.where(zero.any(axis=-1), zero.argmax(axis=-1) + 1, 0).astype(np.int32)


def lu_factor_ex(A, *, pivot=True, check_errors=False):  # noqa: N803  (PyTorch's names)
    """``(LU, pivots, info)`` of ``A`` (..., m, n): ``info`` (...) int32 is 0, or i > 0 where
    ``U[i−1, i−1]`` is exactly zero (the factorisation is still complete)."""
    require_matrices("linalg.lu_factor_ex", A)
    xp = namespace(A.array)
    lu_array, pivots = getrf(A.array, pivot=bool(pivot))
    perm = permutation(pivots, A.shape[-2])
    info = _info(xp, lu_array)
    if check_errors and info.any():
        raise _zero_pivot("linalg.lu_factor_ex", info)
    packed = LUFactor.apply(A, lu=lu_array, perm=perm)
    return LUFactorExResult(packed, _constant(pivots), _constant(info))


def _zero_pivot(name, info):
    flat = info.reshape(-1)
    index = int((flat != 0).argmax())
    i = int(flat[index])
    where = f"(batch element {index}) " if info.ndim else ""
    return LinAlgError(
        f"{name}: {where}U[{i},{i}] is zero and using it on lu_solve would result in a division by "
        "zero (the matrix is singular). If you still want the factorization, call linalg.lu(A) or "
        "linalg.lu_factor_ex(A), which return it with info > 0 instead of raising"
    )


def lu_factor(A, *, pivot=True):  # noqa: N803
    """``(LU, pivots)`` of ``A`` (..., m, n), raising :class:`LinAlgError` where U has an exact
    zero on its diagonal (as PyTorch: a later ``lu_solve`` would divide by it)."""
    require_matrices("linalg.lu_factor", A)
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)  # noqa: N806
    if info.array.any():
        raise _zero_pivot("linalg.lu_factor", info.array)
    return LUFactorResult(LU, pivots)


def _check_pivots(name, LU, pivots):  # noqa: N803
    if not isinstance(pivots, Tensor) or pivots.array.dtype != np.int32:
        got = pivots.array.dtype if isinstance(pivots, Tensor) else type(pivots).__name__
        raise GlassnetTypeError(
            f"{name}: pivots should be a Tensor of dtype int32 (as linalg.lu_factor returns), got {got}"
        )
    m, n = LU.shape[-2:]
    k = min(m, n)
    if tuple(pivots.shape) != tuple(LU.shape[:-2]) + (k,):
        raise ShapeError(
            f"{name}: pivots must have shape {tuple(LU.shape[:-2]) + (k,)} for LU of shape "
            f"{tuple(LU.shape)}, got {tuple(pivots.shape)}"
        )
    values = pivots.array
    if values.size and (values.min() < 1 or values.max() > m):
        raise GlassnetTypeError(
            f"{name}: pivots must lie in 1..{m} (LAPACK's 1-based row indices), got values from "
            f"{int(values.min())} to {int(values.max())}"
        )


def _permutation_matrix(pivots, m, dtype):
    """P (..., m, m) with ``A = P·L·U``: ``P[perm[i], i] = 1``."""
    xp = namespace(pivots.array)
    perm = permutation(pivots.array, m)
    p = (perm[..., None, :] == xp.arange(m)[:, None]).astype(dtype)
    return _constant(p)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):  # noqa: N803
    """``(P, L, U)`` from a packed ``LU`` (..., m, n) and its pivots; ``unpack_data=False`` gives
    empty L and U, ``unpack_pivots=False`` an empty P (PyTorch's). L and U are differentiable."""
    if not isinstance(LU_data, Tensor) or LU_data.ndim < 2:
        got = tuple(LU_data.shape) if isinstance(LU_data, Tensor) else type(LU_data).__name__
        raise ShapeError(
            f"lu_unpack: LU_data must be a Tensor of at least 2 dimensions (..., m, n), got {got}"
        )
    _check_pivots("lu_unpack", LU_data, LU_pivots)
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    empty = _constant(namespace(LU_data.array).zeros((0,), dtype=LU_data.dtype))
    p = _permutation_matrix(LU_pivots, m, LU_data.dtype) if unpack_pivots else empty
    if not unpack_data:
        return LUResult(p, empty, empty)
    eye = _constant(namespace(LU_data.array).eye(m, k, dtype=LU_data.dtype))
    lower = tril(LU_data[..., :k], -1) + eye
    return LUResult(p, lower, triu(LU_data[..., :k, :]))


def linalg_lu(A, *, pivot=True):  # noqa: N803
    """``(P, L, U)`` with ``A = P·L·U`` for ``A`` (..., m, n); a singular A is factored without
    complaint (U has a zero on its diagonal). Differentiable in L and U (P is constant)."""
    require_matrices("linalg.lu", A)
    LU, pivots, _ = lu_factor_ex(A, pivot=pivot)  # noqa: N806
    return lu_unpack(LU, pivots)


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):  # noqa: N803
    """``X`` with ``A·X = B`` for ``A = P·L·U`` given as ``lu_factor``'s ``(LU, pivots)``
    (``adjoint``: ``Aᵀ·X = B``; ``left=False``: ``X·A = B``), LU (..., n, n), B (..., n, k)
    (``left=False``: (..., k, n)), batch axes broadcast::

        A·X = B:   X = U⁻¹ · L⁻¹ · Pᵀ · B        Aᵀ·X = B:  X = P · L⁻ᵀ · U⁻ᵀ · B

    Differentiable in LU and B (triangular solves and products)."""
    name = "linalg.lu_solve"
    require_square(name, LU, "LU")
    _check_pivots(name, LU, pivots)
    if not isinstance(B, Tensor) or B.ndim < 2:
        got = tuple(B.shape) if isinstance(B, Tensor) else type(B).__name__
        raise ShapeError(f"{name}: B must be a Tensor of at least 2 dimensions (..., n, k), got {got}")
    n, rows = LU.shape[-1], B.shape[-2] if left else B.shape[-1]
    if rows != n:
        side = "A·X = B: B must be (..., n, k)" if left else "X·A = B: B must be (..., k, n)"
        raise ShapeError(f"{name}: LU is {n}×{n} and B has shape {tuple(B.shape)}; for {side} with n = {n}")
    LU, B = promote(LU, B)  # noqa: N806
    if not left:
        return write_out(linalg_lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT, out, "lu_solve")
    p = _permutation_matrix(pivots, n, LU.dtype)
    if adjoint:
        y = solve_triangular(LU.mT, B, upper=False)
        x = matmul(p, solve_triangular(LU.mT, y, upper=True, unitriangular=True))
        return write_out(x, out, "lu_solve")
    y = solve_triangular(LU, matmul(p.mT, B), upper=False, unitriangular=True)
    return write_out(solve_triangular(LU, y, upper=True), out, "lu_solve")


def lu(A, pivot=True, get_infos=False):  # noqa: N803
    """PyTorch's older ``torch.lu``: ``(LU, pivots)``, with ``info`` too when ``get_infos``
    (then a singular matrix does not raise)."""
    if get_infos:
        return lu_factor_ex(A, pivot=pivot)
    return lu_factor(A, pivot=pivot)


def lu_solve(b, LU_data, LU_pivots, *, out=None):  # noqa: N803
    """PyTorch's older ``torch.lu_solve(b, LU_data, LU_pivots)``: :func:`linalg_lu_solve`."""
    return linalg_lu_solve(LU_data, LU_pivots, b, out=out)
