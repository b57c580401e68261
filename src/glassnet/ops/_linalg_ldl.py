"""The LDLᵀ (Bunch–Kaufman) factorisation of symmetric matrices: ``gn.linalg.ldl_factor``,
``ldl_factor_ex`` and ``ldl_solve``, values only (PyTorch has no derivative for them either).

``A = L·D·Lᵀ`` up to the symmetric row and column swaps in ``pivots``, for symmetric ``A``
(..., n, n) of which only the lower triangle is read; D is block diagonal with 1×1 and 2×2
blocks. ``LD`` (..., n, n) is LAPACK's compact form (``sytrf`` with ``uplo='L'``): D's blocks
and L's multipliers in the lower triangle, zeros above. ``pivots`` (..., n), int32, LAPACK's
convention as PyTorch: ``pivots[i] = p > 0`` — a 1×1 block, rows and columns i+1 and p
swapped (1-based); ``pivots[i] = pivots[i+1] = −p < 0`` — a 2×2 block at i, i+1, rows and
columns i+2 and p swapped. The values come from SciPy's LAPACK (``sytrf``/``sytrs``).
"""

from collections import namedtuple

import numpy as np

from glassnet._backend import namespace, to_numpy
from glassnet._errors import GlassnetError, GlassnetTypeError, ShapeError
from glassnet.autograd._mode import grad_mode
from glassnet.autograd._tensor import Tensor
from glassnet.ops._linalg_checks import LinAlgError, require_square

__all__ = ["ldl_factor", "ldl_factor_ex", "ldl_solve"]

LDLFactorResult = namedtuple("LDLFactorResult", ["LD", "pivots"])
LDLFactorExResult = namedtuple("LDLFactorExResult", ["LD", "pivots", "info"])


def _lapack(name, names, a):
    try:
        from scipy.linalg import lapack
    except ImportError:
        raise GlassnetError(f"{name}: needs SciPy (pip install scipy) for LAPACK's sytrf/sytrs") from None
    return lapack.get_lapack_funcs(names, (a,))


def _values_only(name, *tensors):
    for t in tensors:
        if t.requires_grad and grad_mode.enabled:
            raise GlassnetTypeError(
                f"{name}: an input requires grad, but the LDL factorisation is not differentiable (PyTorch "
                "has no derivative for it either); compute it under gn.no_grad() or on .detach(), or use "
                "gn.linalg.cholesky / gn.linalg.solve, which are"
            )


def _check_real(name, A, what="A"):  # noqa: N803
    require_square(name, A, what)


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):  # noqa: N803  (PyTorch's names)
    """``(LD, pivots, info)`` of each symmetric matrix of ``A`` (..., n, n) (its lower triangle
    read): ``info`` (...) int32 is 0, or i > 0 where D's block at i−1 is exactly singular."""
    _check_real("linalg.ldl_factor_ex", A)
    _values_only("linalg.ldl_factor_ex", A)
    a = to_numpy(A.array)
    (sytrf,) = _lapack("linalg.ldl_factor_ex", ("sytrf",), a)
    n = a.shape[-1]
    flat = a.reshape((-1, n, n))
    ld, pivots, info = np.zeros_like(flat), np.zeros(flat.shape[:2], np.int32), np.zeros(len(flat), np.int32)
    for i, matrix in enumerate(flat):
        ld[i], pivots[i], info[i] = sytrf(matrix, lower=1)
    if check_errors and info.any():
        raise _singular_block("linalg.ldl_factor_ex", info)
    xp, batch = namespace(A.array), a.shape[:-2]
    wrap = lambda x: Tensor._wrap(xp.asarray(x), False, None)  # noqa: E731
    return LDLFactorExResult(
        wrap(np.tril(ld).reshape(a.shape)), wrap(pivots.reshape(batch + (n,))), wrap(info.reshape(batch))
    )


def _singular_block(name, info):
    index = int((info != 0).argmax())
    return LinAlgError(
        f"{name}: (batch element {index}) D[{info[index]},{info[index]}] is exactly zero: the "
        "symmetric matrix is singular and ldl_solve would divide by zero; call "
        "linalg.ldl_factor_ex(A) to get the factors with info > 0 instead of an error"
    )


def ldl_factor(A, *, hermitian=False):  # noqa: N803
    """``(LD, pivots)`` of each symmetric matrix of ``A`` (..., n, n); an exactly singular D
    raises :class:`LinAlgError` naming the batch element."""
    LD, pivots, info = ldl_factor_ex(A, hermitian=hermitian)  # noqa: N806
    if info.array.any():
        raise _singular_block("linalg.ldl_factor", to_numpy(info.array).reshape(-1))
    return LDLFactorResult(LD, pivots)


def ldl_solve(LD, pivots, B, *, hermitian=False):  # noqa: N803
    """``X`` with ``A·X = B`` for the symmetric ``A`` factored by :func:`ldl_factor` into
    ``(LD, pivots)``; LD (..., n, n), B (..., n, k), batch axes broadcast."""
    name = "linalg.ldl_solve"
    _check_real(name, LD, "LD")
    n = LD.shape[-1]
    if not isinstance(pivots, Tensor) or pivots.array.dtype != np.int32:
        got = pivots.array.dtype if isinstance(pivots, Tensor) else type(pivots).__name__
        raise GlassnetTypeError(
            f"{name}: pivots should be a Tensor of dtype int32 (as ldl_factor returns), got {got}"
        )
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise ShapeError(
            f"{name}: pivots must have shape {tuple(LD.shape[:-1])} for LD {tuple(LD.shape)}, "
            f"got {tuple(pivots.shape)}"
        )
    if not isinstance(B, Tensor) or B.ndim < 2 or B.shape[-2] != n:
        got = tuple(B.shape) if isinstance(B, Tensor) else type(B).__name__
        raise ShapeError(f"{name}: B must be (..., {n}, k) for LD of shape {tuple(LD.shape)}, got {got}")
    if B.dtype != LD.dtype:
        raise GlassnetTypeError(f"{name}: LD and B must have the same dtype, got {LD.dtype} and {B.dtype}")
    _values_only(name, LD, B)
    ld, piv, b = (to_numpy(t.array) for t in (LD, pivots, B))
    (sytrs,) = _lapack(name, ("sytrs",), ld)
    batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    ld = np.broadcast_to(ld, batch + ld.shape[-2:]).reshape((-1, n, n))
    piv = np.broadcast_to(piv, batch + (n,)).reshape((-1, n))
    b = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    x = np.empty_like(b)
    for i in range(len(b)):
        x[i], info = sytrs(ld[i], piv[i], b[i], lower=1)
        if info < 0:
            raise GlassnetTypeError(
                f"{name}: LAPACK's sytrs rejected argument {-info} (pivots out of range?)"
            )
    return Tensor._wrap(namespace(LD.array).asarray(x.reshape(batch + b.shape[-2:])), False, None)
