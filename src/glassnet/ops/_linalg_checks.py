"""What the linear-algebra primitives ask of their inputs, and their errors.

Every ``linalg`` function takes stacks of matrices ``(..., m, n)``: the last two axes are
the matrix, the leading axes a batch. Inputs must be float32 or float64, as PyTorch asks
(integers and bools are refused, float16 too: LAPACK has no half precision). A matrix
that LAPACK cannot factor (a singular one, one that is not positive-definite) raises a
:class:`LinAlgError` that names the operation and the batch element, as PyTorch's does.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetError, GlassnetTypeError, ShapeError
from glassnet.autograd._tensor import Tensor

__all__ = ["LinAlgError", "require_matrices", "require_square", "first_failing", "swap", "lapack_errors"]


class LinAlgError(GlassnetError, RuntimeError):
    """A matrix the operation cannot factor or invert (PyTorch's ``torch.linalg.LinAlgError``,
    also a ``RuntimeError``)."""


def require_matrices(name, A, what="A"):
    """``A`` must be a float32/float64 Tensor with at least two axes."""
    if not isinstance(A, Tensor):
        raise GlassnetTypeError(
            f"{name}: expected a Tensor for {what}, got {type(A).__name__} (wrap it: gn.tensor(...))"
        )
    kind, dtype = A.array.dtype.kind, A.array.dtype
    if kind != "f":
        raise GlassnetTypeError(
            f"{name}: expected a floating point tensor as {what}, got dtype {dtype}; "
            "convert first (A.double() or A.float()), as PyTorch asks"
        )
    if dtype.itemsize < 4:
        raise GlassnetTypeError(
            f"{name}: low precision dtypes are not supported, got {dtype}; use A.float() or A.double()"
        )
    if A.ndim < 2:
        raise ShapeError(
            f"{name}: {what} must have at least 2 dimensions (..., rows, columns), got shape {tuple(A.shape)}"
        )


def require_square(name, A, what="A"):
    """``A`` must be a stack of square float matrices ``(..., n, n)``."""
    require_matrices(name, A, what)
    if A.shape[-1] != A.shape[-2]:
        raise ShapeError(
            f"{name}: {what} must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices (shape {tuple(A.shape)})"
        )


def swap(a):
    """The matrix transpose of a stack ``(..., m, n) → (..., n, m)`` (an array view)."""
    return namespace(a).swapaxes(a, -1, -2)


def lapack_errors():
    """The exception types LAPACK failures raise (NumPy's ``LinAlgError``; CuPy raises the same class)."""
    return (np.linalg.LinAlgError,)


def first_failing(a, factor):
    """The flat batch index of the first matrix of ``a`` (..., m, n) on which ``factor``
    raises a LAPACK error (called only after the batched call failed, to name it)."""
    flat = a.reshape((-1, *a.shape[-2:]))
    for index, matrix in enumerate(flat):
        try:
            factor(matrix)
        except lapack_errors():
            return index
    return 0
