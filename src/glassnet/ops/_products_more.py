"""More products and matrix builders, composed from matmul, reshapes, indexing and pad
(so each gradient is that of its formula):

- products: ``tensordot`` (contract chosen axes: a permute, a reshape and one matmul),
  ``inner``, ``vdot``, ``ger``, ``kron``, ``chain_matmul``, ``cdist`` (pairwise p-norm
  distances), and the scaled updates ``addmv`` (βy + α·A·x), ``addr`` (βA + α·x⊗y),
  ``baddbmm`` (βC + α·A@B per batch), ``addbmm`` (βC + α·Σ_b A_b@B_b);
- builders: ``block_diag``, ``diag_embed``, ``diagflat``, ``vander``, ``renorm``;
- grids: ``meshgrid``, ``broadcast_tensors``, ``cartesian_prod``, ``combinations``;
- shapes: ``atleast_1d/2d/3d``, ``tensor_split``/``hsplit``/``vsplit``/``dsplit``, ``rot90``,
  ``ravel``.
"""

import builtins
import itertools

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._arrange import diag, flip, movedim, narrow
from glassnet.ops._convert import normalize_dims
from glassnet.ops._elementwise import add, constant, div, mul, sub, where
from glassnet.ops._linalg import bmm, matmul, mv, outer
from glassnet.ops._reduce import norm, sum
from glassnet.ops._setitem import setitem
from glassnet.ops._shape import (
    _common_dtype,
    cat,
    expand,
    getitem,
    pad,
    permute,
    reshape,
    stack,
    swapaxes,
)
from glassnet.ops._stacking import _at_least

__all__ = ["tensordot", "inner", "vdot", "ger", "kron", "chain_matmul", "cdist", "addmv", "addr", "baddbmm",
           "addbmm", "block_diag", "diag_embed", "diagflat", "vander", "renorm", "meshgrid",
           "broadcast_tensors",
           "cartesian_prod", "combinations", "atleast_1d", "atleast_2d", "atleast_3d", "tensor_split",
           "hsplit",
           "vsplit", "dsplit", "rot90", "ravel", "unfold"]


def _scaled_sum(input, product, beta, alpha):  # noqa: A002
    """``β·input + α·product``; with β = 0 the input is ignored (NaN in it does not spread)."""
    product = product if alpha == 1 else mul(product, alpha)
    if beta == 0:  # 0 · input, but 0 also where input is NaN or inf; its gradient is 0
        ignored = where(constant(namespace(input.array).ones(input.shape, dtype=bool)),
                        constant(namespace(input.array).zeros((), dtype=input.dtype)), input)
        return add(ignored, product)
    return add(input if beta == 1 else mul(input, beta), product)


def _broadcast(a, b):
    return tuple(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))


def tensordot(a, b, dims=2, out=None):
    """Contract the last ``dims`` axes of ``a`` with the first ``dims`` of ``b`` (or the axes
    listed in ``dims = (axes_a, axes_b)``): permute, reshape to matrices, one matmul."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise GlassnetValueError(f"tensordot: dims must be non-negative, got {dims}")
        axes_a, axes_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        axes_a, axes_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    axes_a = [d % max(a.ndim, 1) for d in axes_a]
    axes_b = [d % max(b.ndim, 1) for d in axes_b]
    if len(axes_a) != len(axes_b) or any(a.shape[i] != b.shape[j] for i, j in zip(axes_a, axes_b,
                                                                                  strict=True)):
        raise GlassnetValueError(f"tensordot: cannot contract axes {axes_a} of shape {tuple(a.shape)} "
                                 f"with axes "
                                 f"{axes_b} of shape {tuple(b.shape)}: sizes must match pairwise")
    keep_a = [i for i in range(a.ndim) if i not in axes_a]
    keep_b = [i for i in range(b.ndim) if i not in axes_b]
    size = int(np.prod([a.shape[i] for i in axes_a]))
    left = reshape(permute(a, keep_a + axes_a), (-1, size)) if a.ndim else reshape(a, (1, 1))
    right = reshape(permute(b, axes_b + keep_b), (size, -1)) if b.ndim else reshape(b, (1, 1))
    shape = tuple(a.shape[i] for i in keep_a) + tuple(b.shape[i] for i in keep_b)
    return reshape(matmul(left, right), shape)


def inner(input, other, *, out=None):  # noqa: A002  (PyTorch's names)
    """Σ over the last axis of both (a product when either is 0-d)."""
    if input.ndim == 0 or other.ndim == 0:
        return mul(input, other)
    return tensordot(input, other, ([-1], [-1]))


def vdot(input, other, *, out=None):  # noqa: A002
    """The dot product of two 1-D tensors (real tensors: as ``dot``)."""
    from glassnet.ops._linalg import dot

    return dot(input, other)


def ger(input, vec2, *, out=None):  # noqa: A002
    """PyTorch's older name of ``outer``: ``input ⊗ vec2``."""
    return outer(input, vec2)


def kron(input, other, *, out=None):  # noqa: A002
    """The Kronecker product: blocks ``input[i, j] · other``, shape the product of the shapes
    (the shorter one lifted with leading 1s)."""
    n = max(input.ndim, other.ndim)
    a = reshape(input, (1,) * (n - input.ndim) + tuple(input.shape))
    b = reshape(other, (1,) * (n - other.ndim) + tuple(other.shape))
    a_wide = reshape(a, tuple(s for d in a.shape for s in (d, 1)))
    b_wide = reshape(b, tuple(s for d in b.shape for s in (1, d)))
    return reshape(mul(a_wide, b_wide), tuple(p * q for p, q in zip(a.shape, b.shape, strict=True)))


def chain_matmul(*matrices, out=None):
    """``M₁ @ M₂ @ … @ Mₙ`` of 2-D matrices (PyTorch's older form of ``linalg.multi_dot``)."""
    if not matrices:
        raise GlassnetValueError("chain_matmul: give at least one matrix")
    result = matrices[0]
    for m in matrices[1:]:
        result = matmul(result, m)
    return result


def cdist(x1, x2, p=2.0, compute_mode=None):
    """The p-norm distance between every row of ``x1`` (…, P, M) and every row of ``x2``
    (…, R, M): shape (…, P, R)."""
    if x1.dtype.kind != "f" or x2.dtype.kind != "f":
        raise GlassnetTypeError(f"cdist: floating tensors only (as in PyTorch), got {x1.dtype} and "
                                f"{x2.dtype}")
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise GlassnetValueError(f"cdist: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} must be (…, P, M) "
                                 f"and "
                                 "(…, R, M) with the same M")
    gaps = sub(x1.unsqueeze(-2), x2.unsqueeze(-3))
    if p == 2:  # √(Σ d²) with a zero gradient at zero distance, as PyTorch
        squares = sum(mul(gaps, gaps), -1)
        zero = constant(squares.array == 0)
        from glassnet.ops._elementwise import sqrt

        safe = where(zero, constant(namespace(squares.array).ones((), dtype=squares.dtype)), squares)
        return where(zero, mul(squares, 0.0), sqrt(safe))
    return norm(gaps, p, -1)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):  # noqa: A002
    """``β·input + α·(mat @ vec)``."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):  # noqa: A002
    """``β·input + α·(vec1 ⊗ vec2)``."""
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):  # noqa: A002
    """``β·input + α·(batch1 @ batch2)`` per batch: (b, n, m) @ (b, m, p)."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):  # noqa: A002
    """``β·input + α·Σ_b batch1[b] @ batch2[b]``."""
    return _scaled_sum(input, sum(bmm(batch1, batch2), 0), beta, alpha)


def block_diag(*tensors):
    """The tensors (0-d as 1×1, 1-D as one row) as blocks down the diagonal of a zero matrix."""
    blocks = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    if any(b.ndim != 2 for b in blocks):
        raise GlassnetValueError(f"block_diag: inputs must have at most 2 dimensions, got "
                                 f"{[tuple(t.shape) for t in tensors]}")
    if not blocks:
        return Tensor._wrap(np.zeros((0, 0), dtype=np.float32), False, None)
    blocks = _common_dtype(blocks)
    width = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return cat(rows, 0)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):  # noqa: A002
    """Each last-axis vector of ``input`` on the ``offset`` diagonal of a square matrix placed
    on the axes ``dim1``, ``dim2`` of the result."""
    n = input.shape[-1] + abs(offset)
    lead = tuple(input.shape[:-1])
    xp = namespace(input.array)
    zeros = Tensor._wrap(xp.zeros(lead + (n, n), dtype=input.dtype), False, None)
    k = xp.arange(input.shape[-1])
    rows, cols = k + max(-offset, 0), k + max(offset, 0)
    full = setitem(zeros, (Ellipsis, rows, cols), input)
    ndim = full.ndim
    d1, d2 = normalize_dims(dim1, ndim, "diag_embed")[0], normalize_dims(dim2, ndim, "diag_embed")[0]
    if d1 == d2:
        raise GlassnetValueError(f"diag_embed: dim1 and dim2 must differ, got {dim1} and {dim2}")
    return movedim(full, (ndim - 2, ndim - 1), (d1, d2))


def diagflat(input, offset=0):  # noqa: A002
    """``input`` flattened onto the ``offset`` diagonal of a square matrix."""
    return diag(reshape(input, (-1,)), offset)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x``: columns ``x^(N-1), …, x, 1`` (``increasing``:
    the other way round)."""
    if x.ndim != 1:
        raise GlassnetValueError(f"vander: x must be 1-D, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else N
    if x.dtype.kind == "b":
        x = x.long()
    columns = [mul(x, 0) + 1 if k == 0 else (x if k == 1 else x**k) for k in range(n)]
    matrix = stack(columns, 1) if columns else reshape(x, (-1, 0)) * 1
    return matrix if increasing else flip(matrix, (1,))


def renorm(input, p, dim, maxnorm):  # noqa: A002
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to norm ``maxnorm``
    (by ``maxnorm / (norm + 1e-7)``, as PyTorch)."""
    axis = normalize_dims(dim, input.ndim, "renorm")[0]
    others = tuple(i for i in range(input.ndim) if i != axis)
    norms = norm(input, p, others, keepdim=True) if others else norm(input.unsqueeze(-1), p, -1)
    scale = where(constant(norms.array > maxnorm), div(maxnorm, add(norms, 1e-7)),
                  constant(namespace(norms.array).ones((), dtype=norms.dtype)))
    return mul(input, scale)


def _tensor_args(tensors, name):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if not all(isinstance(t, Tensor) for t in tensors):
        raise GlassnetTypeError(f"{name}: expected tensors, got {[type(t).__name__ for t in tensors]}")
    return tensors


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors: ``indexing="ij"`` (matrix, PyTorch's default) or
    ``"xy"`` (Cartesian: the first two axes swapped)."""
    tensors = _tensor_args(tensors, "meshgrid")
    if indexing not in ("ij", "xy"):
        raise GlassnetValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    vectors = [reshape(t, (-1,)) for t in tensors]
    shape = tuple(v.shape[0] for v in vectors)
    grids = []
    for i, v in enumerate(vectors):
        view = [1] * len(vectors)
        view[i] = -1
        grids.append(expand(reshape(v, tuple(view)), shape))
    if indexing == "xy" and len(grids) >= 2:  # the same grids with the first two axes swapped
        grids = [swapaxes(g, 0, 1) for g in grids]
    return tuple(grids)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape."""
    tensors = _tensor_args(tensors, "broadcast_tensors")
    shape = tuple(np.broadcast_shapes(*[tuple(t.shape) for t in tensors]))
    return tuple(t if tuple(t.shape) == shape else expand(t, shape) for t in tensors)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (1 tensor: itself)."""
    tensors = _tensor_args(tensors, "cartesian_prod")
    if len(tensors) == 1:
        return tensors[0]
    return stack([reshape(g, (-1,)) for g in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):  # noqa: A002
    """The length-``r`` combinations of the 1-D ``input``'s elements, as rows (in order)."""
    if input.ndim != 1:
        raise GlassnetValueError(f"combinations: input must be 1-D, got shape {tuple(input.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    if r == 0 or index.size == 0:
        return Tensor._wrap(namespace(input.array).zeros((0,) if r == 0 else (0, r), dtype=input.dtype),
                            False,
                            None)
    return getitem(input, index)


def _atleast(ndim, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return _at_least(tensors[0], ndim)
    return tuple(_at_least(t, ndim) for t in _tensor_args(tensors, f"atleast_{ndim}d"))


def atleast_1d(*tensors):
    """Each tensor with at least 1 dimension (0-d → (1,)); one tensor in, one out."""
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dimensions ((n,) → (1, n))."""
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dimensions ((n,) → (1, n, 1), (m, n) → (m, n, 1))."""
    return _atleast(3, tensors)


def tensor_split(input, indices_or_sections, dim=0):  # noqa: A002
    """Views of ``input`` along ``dim``: ``n`` near-equal parts (the first ``size % n`` one
    longer), or the pieces between the listed ``indices``."""
    axis = normalize_dims(dim, input.ndim, "tensor_split")[0]
    size = input.shape[axis]
    sections = indices_or_sections
    if isinstance(sections, Tensor):
        sections = sections.tolist()
    if isinstance(sections, int):
        if sections <= 0:
            raise GlassnetValueError(f"tensor_split: the number of sections must be positive, got {sections}")
        base, extra = divmod(size, sections)
        bounds = list(itertools.accumulate([base + 1] * extra + [base] * (sections - extra), initial=0))
    else:
        bounds = [0, *[min(max(int(i) if i >= 0 else size + int(i), 0), size) for i in sections], size]
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    return tuple(narrow(input, axis, start, max(end - start, 0)) for start, end in pairs)


def _named_split(input, sections, axis, name, min_ndim):  # noqa: A002
    if input.ndim < min_ndim:
        raise GlassnetValueError(f"{name}: needs at least {min_ndim} dimension(s), got shape "
                                 f"{tuple(input.shape)}")
    if isinstance(sections, int) and input.shape[axis] % sections:
        raise GlassnetValueError(f"{name}: dimension {axis} of size {input.shape[axis]} does not divide into "
                                 f"{sections} equal parts (tensor_split allows unequal ones)")
    return tensor_split(input, sections, axis)


def hsplit(input, indices_or_sections):  # noqa: A002
    """``tensor_split`` along dim 1 (dim 0 for a 1-D input), equal parts only."""
    return _named_split(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):  # noqa: A002
    """``tensor_split`` along dim 0, equal parts only (at least 2-D)."""
    return _named_split(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):  # noqa: A002
    """``tensor_split`` along dim 2, equal parts only (at least 3-D)."""
    return _named_split(input, indices_or_sections, 2, "dsplit", 3)


def rot90(input, k=1, dims=(0, 1)):  # noqa: A002
    """Rotate by 90° ``k`` times in the plane of ``dims``, from the first axis towards the second."""
    if len(dims) != 2 or input.ndim < 2:
        raise GlassnetValueError(f"rot90: needs two dims of a tensor with at least 2 dimensions, got "
                                 f"dims={dims} "
                                 f"for shape {tuple(input.shape)}")
    a, b = (normalize_dims(d, input.ndim, "rot90")[0] for d in dims)
    if a == b:
        raise GlassnetValueError(f"rot90: the two dims must differ, got {dims}")
    k %= 4
    if k == 0:
        return input * 1 if input.dtype.kind != "b" else getitem(input, Ellipsis)
    if k == 2:
        return flip(input, (a, b))
    if k == 1:
        return swapaxes(flip(input, (b,)), a, b)
    return flip(swapaxes(input, a, b), (b,))


def ravel(input):  # noqa: A002
    """``input`` as 1-D (``reshape(-1)``)."""
    return reshape(input, (-1,))


def unfold(input, dimension, size, step):  # noqa: A002
    """``Tensor.unfold``: the windows ``input[..., i·step : i·step + size, ...]`` along
    ``dimension``, which becomes the window count, with the window as a new last dimension
    (one indexing op: overlapping windows add their gradients)."""
    axis = normalize_dims(dimension, input.ndim, "unfold")[0] if input.ndim else 0
    length = input.shape[axis] if input.ndim else 1
    if size < 0 or size > length or step <= 0:
        raise GlassnetValueError(f"unfold: size {size} must lie in [0, {length}] (dimension {dimension} "
                                 f"of shape "
                                 f"{tuple(input.shape)}) and step {step} must be positive")
    x = reshape(input, (1,)) if input.ndim == 0 else input
    count = (length - size) // step + 1
    windows = np.arange(count)[:, None] * step + np.arange(size)[None, :]
    picked = getitem(x, (slice(None),) * axis + (windows,))  # (..., count, size, ...)
    return movedim(picked, axis + 1, -1)
