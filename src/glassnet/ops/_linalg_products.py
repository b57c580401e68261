"""Linear-algebra functions composed of primitives: matrix powers, chained products, the
cross product, triangular solves, least squares and the numerical rank."""

from collections import namedtuple

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._arrange import tril, triu
from glassnet.ops._convert import promote, write_out
from glassnet.ops._linalg import matmul
from glassnet.ops._linalg_checks import require_matrices, require_square
from glassnet.ops._linalg_decompose import svdvals
from glassnet.ops._linalg_inverse import _is_vector, inv, pinv, solve
from glassnet.ops._shape import expand, stack

__all__ = [
    "matrix_power",
    "multi_dot",
    "cross",
    "linalg_cross",
    "vecdot",
    "solve_triangular",
    "lstsq",
    "matrix_rank",
    "linalg_diagonal",
    "LstsqResult",
]

LstsqResult = namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])


def matrix_power(A, n, *, out=None):  # noqa: N803  (PyTorch's names)
    """``Aⁿ`` for each square matrix of ``A`` (..., m, m) by repeated squaring; ``n = 0``
    gives the identity, ``n < 0`` the power of the inverse."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise GlassnetTypeError(f"linalg.matrix_power: n must be an integer, got {n!r}")
    if n < 0:
        require_square("linalg.matrix_power", A)  # the inverse needs floats
    elif A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(
            f"linalg.matrix_power: A must be batches of square matrices, got shape {tuple(A.shape)}"
        )
    if n == 0:
        eye = Tensor._wrap(namespace(A.array).eye(A.shape[-1], dtype=A.dtype), False, None)
        return write_out(expand(eye, *A.shape), out, "matrix_power")
    base, n = (inv(A), -n) if n < 0 else (A, n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return write_out(result, out, "matrix_power")


def multi_dot(tensors, *, out=None):
    """The product of two or more matrices ``A₁·A₂·…·A_k``; the first may be a row vector
    (n,), the last a column vector (n,), as PyTorch's. Multiplied left to right."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise GlassnetValueError(f"linalg.multi_dot: expected at least 2 tensors, got {len(tensors)}")
    for i, t in enumerate(tensors):
        allowed = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t.ndim not in allowed:
            raise ShapeError(
                f"linalg.multi_dot: tensor {i} must be {' or '.join(f'{d}-D' for d in allowed)}, "
                f"got shape {tuple(t.shape)} (only the first and last may be vectors)"
            )
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return write_out(result, out, "multi_dot")


def linalg_cross(input, other, *, dim=-1, out=None):  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (inputs broadcast):
    ``(a₂b₃ − a₃b₂, a₃b₁ − a₁b₃, a₁b₂ − a₂b₁)``."""
    input, other = promote(input, other)  # noqa: A001
    if input.ndim != other.ndim:
        raise ShapeError(
            f"linalg.cross: inputs must have the same number of dimensions, got shapes "
            f"{tuple(input.shape)} and {tuple(other.shape)} (unsqueeze one of them)"
        )
    shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    if not shape or shape[dim] != 3:
        raise ShapeError(
            f"linalg.cross: dimension {dim} must have length 3, got shapes {tuple(input.shape)} "
            f"and {tuple(other.shape)}"
        )
    a, b = expand(input, *shape), expand(other, *shape)
    a1, a2, a3 = (a.select(dim, i) for i in range(3))
    b1, b2, b3 = (b.select(dim, i) for i in range(3))
    result = stack([a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1], dim)
    return write_out(result, out, "cross")


def cross(input, other, dim=None, *, out=None):  # noqa: A002
    """PyTorch's ``torch.cross``: as :func:`linalg_cross`, but ``dim=None`` takes the first
    axis of length 3."""
    if dim is None:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        dim = next((i for i, size in enumerate(shape) if size == 3), -1)
    return linalg_cross(input, other, dim=dim, out=out)


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of vectors along ``dim`` (inputs broadcast): ``Σ_i x_i·y_i``."""
    for t in (x, y):
        if t.array.dtype.kind != "f":
            raise GlassnetTypeError(
                f"linalg.vecdot: expected floating point tensors, got dtype {t.dtype}; "
                "convert first (x.double() or x.float()), as PyTorch asks"
            )
    return write_out((x * y).sum(dim), out, "vecdot")


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):  # noqa: N803
    """``X`` with ``A·X = B`` (``left=False``: ``X·A = B``), reading only the upper or lower
    triangle of ``A`` (..., n, n) (its diagonal taken as ones when ``unitriangular``)."""
    require_square("linalg.solve_triangular", A)
    require_matrices("linalg.solve_triangular", B, "B")
    triangle = triu(A, 1 if unitriangular else 0) if upper else tril(A, -1 if unitriangular else 0)
    if unitriangular:
        eye = Tensor._wrap(namespace(A.array).eye(A.shape[-1], dtype=A.dtype), False, None)
        triangle = triangle + eye
    return write_out(solve(triangle, B, left=left), out, "solve_triangular")


def _empty(like):
    return Tensor._wrap(namespace(like.array).zeros((0,), dtype=like.dtype), False, None)


def lstsq(A, B, rcond=None, *, driver=None):  # noqa: N803
    """The least-squares solution ``X = argmin ‖A·X − B‖`` for ``A`` (..., m, n) and ``B``
    (..., m, k) or (..., m): ``X = A⁺·B`` (the gradient is PyTorch's, through the
    pseudo-inverse). Returns ``(solution, residuals, rank, singular_values)``; as on
    PyTorch's CPU, ``rank`` is filled for the drivers gelsy (the default), gelsd and gelss,
    ``singular_values`` for gelsd and gelss, ``residuals`` (Σ of squared residuals) for gels,
    gelsd and gelss when m > n and every matrix has full rank."""
    require_matrices("linalg.lstsq", A)
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise GlassnetValueError(
            f"linalg.lstsq: driver must be one of 'gels', 'gelsy', 'gelsd', 'gelss', got {driver!r}"
        )
    A, B = promote(A, B)  # noqa: N806
    rtol = rcond if rcond is not None and rcond > 0 else None
    vector = _is_vector(A, B)
    solution = matmul(pinv(A, rtol=rtol), B.unsqueeze(-1) if vector else B)
    rank = matrix_rank(A, rtol=rtol) if driver != "gels" else _empty(A).astype(np.int64)
    values = svdvals(A).detach() if driver in ("gelsd", "gelss") else _empty(A)
    residuals = _empty(A)
    m, n = A.shape[-2:]
    full_rank = bool((matrix_rank(A).array == n).all())
    if driver != "gelsy" and m > n and full_rank:
        residuals = ((matmul(A, solution) - (B.unsqueeze(-1) if vector else B)) ** 2).sum(-2)
    return LstsqResult(solution.squeeze(-1) if vector else solution, residuals, rank, values)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):  # noqa: N803
    """The number of singular values above ``max(atol, rtol·σ_max)`` (int64, shape (...));
    PyTorch's defaults: ``rtol = ε·max(m, n)`` unless ``atol > 0`` is given."""
    require_matrices("linalg.matrix_rank", A)
    xp, a = namespace(A.array), A.array
    s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else np.finfo(a.dtype).eps * max(a.shape[-2:])
    largest = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
    tolerance = xp.maximum(0.0 if atol is None else atol, rtol * largest)
    rank = (s > tolerance).sum(axis=-1).astype(np.int64)
    return write_out(Tensor._wrap(xp.asarray(rank), False, None), out, "matrix_rank")


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):  # noqa: N803
    """``linalg.diagonal``: the diagonals of the matrices of ``A`` (keyword arguments only)."""
    return A.diagonal(offset, dim1, dim2)
