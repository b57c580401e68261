"""The general (non-symmetric) eigendecomposition ``gn.linalg.eig`` and ``eigvals``: complex
results, values only.

``A·V = V·diag(λ)`` for ``A`` (..., n, n): eigenvalues λ (..., n) and eigenvectors V (..., n, n)
in columns, complex64 from float32 (complex128 from float64), as PyTorch. The values come from
LAPACK's ``geev`` (through NumPy), PyTorch's routine: the same order of eigenvalues, each
eigenvector of unit 2-norm with its largest component real. glassnet does not differentiate
through complex numbers, so an input that requires grad is refused (as the FFT does); compute
under ``gn.no_grad()`` or on ``A.detach()``.
"""

from collections import namedtuple

import numpy as np

from glassnet._backend import namespace, to_numpy
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._complex import refuse_gradients
from glassnet.ops._linalg_checks import LinAlgError, lapack_errors

__all__ = ["eig", "eigvals", "EigResult"]

EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])

_COMPLEX = {
    "float32": "complex64",
    "float64": "complex128",
    "complex64": "complex64",
    "complex128": "complex128",
}


def _square_values(name, A):  # noqa: N803
    """``A``'s array: a stack of square float32/float64 (or complex) matrices, no grad asked."""
    if not isinstance(A, Tensor):
        raise GlassnetTypeError(
            f"{name}: expected a Tensor for A, got {type(A).__name__} (wrap it: gn.tensor(...))"
        )
    if str(A.array.dtype) not in _COMPLEX:
        raise GlassnetTypeError(
            f"{name}: expected a float32, float64, complex64 or complex128 tensor, got dtype "
            f"{A.array.dtype}; convert first (A.double() or A.float())"
        )
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(
            f"{name}: A must be batches of square matrices (..., n, n), got shape {tuple(A.shape)}"
        )
    refuse_gradients(name, A)
    return A.array


def _geev(name, a, vectors):
    xp, a = namespace(a), to_numpy(a)  # geev on the host (CuPy has no general eigensolver)
    if not bool(np.isfinite(a).all()):
        raise GlassnetValueError(
            f"{name}: A contains infs or NaNs (shape {tuple(a.shape)}); geev needs finite entries"
        )
    try:
        result = np.linalg.eig(a) if vectors else (np.linalg.eigvals(a), None)
    except lapack_errors() as exc:
        raise LinAlgError(f"{name}: the eigenvalue algorithm did not converge ({exc})") from None
    dtype = _COMPLEX[str(a.dtype)]
    return tuple(
        None if r is None else Tensor._wrap(xp.asarray(r.astype(dtype, copy=False)), False, None)
        for r in result
    )


def eig(A, *, out=None):  # noqa: N803  (PyTorch's names)
    """``(eigenvalues, eigenvectors)`` of each square matrix of ``A`` (..., n, n): complex
    (..., n) and (..., n, n), ``A·V = V·diag(λ)``, unit-norm columns (LAPACK's ``geev``)."""
    _refuse_out("linalg.eig", out)
    return EigResult(*_geev("linalg.eig", _square_values("linalg.eig", A), True))


def eigvals(A, *, out=None):  # noqa: N803
    """The eigenvalues of each square matrix of ``A`` (..., n, n) → complex (..., n), in
    :func:`eig`'s order."""
    _refuse_out("linalg.eigvals", out)
    return _geev("linalg.eigvals", _square_values("linalg.eigvals", A), False)[0]


def _refuse_out(name, out):
    if out is not None:
        raise GlassnetTypeError(
            f"{name}: out= is not supported for complex results here; use the returned tensors"
        )
