"""Vector and matrix norms with PyTorch's ``ord`` semantics, composed of primitives
(the p-norm reduction, sums and maxima of ``|a_ij|``, and the singular values).

==========  ==============================  ====================================
ord         vector norm (over ``dim``)      matrix norm (over the two ``dim``)
==========  ==============================  ====================================
None / 2    √Σ x²                           'fro' (None): √Σ a_ij²
'fro'       —                               √Σ a_ij²
'nuc'       —                               Σ σ_i
inf, -inf   max |x|, min |x|                max / min over rows of Σ_j |a_ij|
0           number of nonzero x             —
1, -1       Σ |x|, (Σ |x|⁻¹)⁻¹              max / min over columns of Σ_i |a_ij|
2, -2       √Σ x², (Σ x⁻²)^(-1/2)           σ_max, σ_min
other p     (Σ |x|^p)^(1/p)                 —
==========  ==============================  ====================================
"""

import math

from glassnet._errors import GlassnetValueError
from glassnet.ops._convert import write_out
from glassnet.ops._elementwise import abs
from glassnet.ops._linalg_checks import require_matrices
from glassnet.ops._linalg_decompose import svdvals
from glassnet.ops._linalg_inverse import inv
from glassnet.ops._reduce import amax, amin, norm, sum

__all__ = ["vector_norm", "matrix_norm", "linalg_norm", "dist", "cond"]


def _dims(dim, ndim):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % ndim if ndim else d for d in dims)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002  (PyTorch's names)
    """The ``ord``-norm of ``x`` over ``dim`` (all elements when None); see the module table."""
    if dtype is not None:
        x = x.astype(dtype)
    if isinstance(ord, str):
        raise GlassnetValueError(
            f"linalg.vector_norm: ord must be a number, got {ord!r} (for 'fro' or 'nuc' "
            "use gn.linalg.matrix_norm)"
        )
    if ord < 0 and not math.isinf(ord):
        result = sum(abs(x) ** ord, dim, keepdim) ** (1 / ord)
    else:
        result = norm(x, ord, dim, keepdim)
    return write_out(result, out, "vector_norm")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):  # noqa: A002, N803
    """The ``ord``-norm of each matrix of ``A`` over the two axes ``dim``; see the module table."""
    require_matrices("linalg.matrix_norm", A)
    if dtype is not None:
        A = A.astype(dtype)  # noqa: N806
    rows, cols = _matrix_dims(dim, A.ndim)
    if ord == "fro":
        result = norm(A, 2, (rows, cols), keepdim)
    elif ord in ("nuc", 2, -2):
        result = _singular_value_norm(A, ord, rows, cols, keepdim)
    elif ord in (1, -1, math.inf, -math.inf):
        summed, across = (rows, cols) if ord in (1, -1) else (cols, rows)
        pick = amax if ord > 0 else amin
        result = pick(sum(abs(A), summed, keepdim=True), across, keepdim=True)
        result = result if keepdim else result.reshape(_without(A.shape, rows, cols))
    else:
        raise GlassnetValueError(
            f"linalg.matrix_norm: order {ord!r} is not supported; use 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2"
        )
    return write_out(result, out, "matrix_norm")


def _matrix_dims(dim, ndim):
    dims = _dims(dim, ndim)
    if len(dims) != 2 or dims[0] == dims[1]:
        raise GlassnetValueError(f"linalg.matrix_norm: dim must be two different axes, got {dim!r}")
    return dims


def _without(shape, *axes):
    return tuple(size for i, size in enumerate(shape) if i not in axes)


def _singular_value_norm(A, ord, rows, cols, keepdim):  # noqa: A002, N803
    s = svdvals(A.movedim((rows, cols), (-2, -1)))
    result = s.sum(-1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
    if keepdim:
        for axis in sorted((rows, cols)):
            result = result.unsqueeze(axis)
    return result


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002, N803
    """PyTorch's ``linalg.norm``: a vector norm when ``dim`` is one axis (or ``A`` is 1-D), a
    matrix norm when ``dim`` is two axes (or ``A`` is 2-D); the 2-norm of all elements when
    both ``ord`` and ``dim`` are None."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    raise GlassnetValueError(
        f"linalg.norm: if dim is not given but ord is, the input must be 1-D or 2-D; "
        f"got {A.ndim}-D (shape {tuple(A.shape)}): pass dim="
    )


def dist(input, other, p=2):  # noqa: A002
    """PyTorch's ``torch.dist``: the ``p``-norm of ``input − other`` over all elements (broadcast)."""
    return vector_norm(input - other, p)


def cond(A, p=None, *, out=None):  # noqa: N803
    """The condition number of each matrix of ``A``: ``σ_max/σ_min`` for ``p`` None or 2 (any
    shape), ``σ_min/σ_max`` for −2, else ``‖A‖_p · ‖A⁻¹‖_p`` (square, invertible matrices)."""
    if p in (None, 2, -2):
        require_matrices("linalg.cond", A)
        s = svdvals(A)
        ratio = s[..., 0] / s[..., -1]
        return write_out(ratio if p != -2 else 1 / ratio, out, "cond")
    return write_out(matrix_norm(A, p) * matrix_norm(inv(A), p), out, "cond")
