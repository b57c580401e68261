"""Rearranging elements, composed from the movement primitives (indexing, reshape,
expand, concatenate, permute, where): flip, roll, tril/triu, split/chunk/unbind, narrow,
repeat/tile, diag/diagonal/trace, movedim, t.

None of these needs a backward of its own: each is a few primitives whose gradients
already move values back where they came from.
"""

import math

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import normalize_dims
from glassnet.ops._elementwise import where
from glassnet.ops._setitem import setitem
from glassnet.ops._shape import cat, expand, getitem, permute, reshape, swapaxes

__all__ = ["flip", "fliplr", "flipud", "roll", "tril", "triu", "split", "chunk", "unbind", "narrow", "select",
           "repeat", "tile", "repeat_interleave", "diag", "diagonal", "trace", "movedim", "t", "unflatten"]


def _axes(x, dims, name):
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return normalize_dims(dims, x.ndim, name) or ()


def flip(input, dims):  # noqa: A002  (PyTorch's names)
    """Reverse the order of elements along ``dims``."""
    axes = _axes(input, dims, "flip")
    reverse = slice(None, None, -1)
    return getitem(input, tuple(reverse if i in axes else slice(None) for i in range(input.ndim)))


def fliplr(input):  # noqa: A002
    """Reverse the columns (dim 1)."""
    return flip(input, 1)


def flipud(input):  # noqa: A002
    """Reverse the rows (dim 0)."""
    return flip(input, 0)


def roll(input, shifts, dims=None):  # noqa: A002
    """Shift elements along ``dims`` by ``shifts`` with wrap-around; without ``dims`` the
    flattened tensor is rolled and reshaped back."""
    if dims is None:
        if not isinstance(shifts, (int, np.integer)):
            (shifts,) = shifts
        return reshape(roll(reshape(input, -1), shifts, 0), input.shape)
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise GlassnetValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims; give one shift per dim")
    out = input
    for shift, dim in zip(shifts, dims, strict=True):
        (axis,) = _axes(input, dim, "roll")
        n = input.shape[axis]
        k = int(shift) % n if n else 0
        if k:
            lead = (slice(None),) * axis
            tail, head = getitem(out, (*lead, slice(n - k, None))), getitem(out, (*lead, slice(0, n - k)))
            out = cat([tail, head], axis)
    return out


def _triangle(input, diagonal, lower, name):
    if input.ndim < 2:
        raise ShapeError(f"{name}: needs a matrix (or a batch of them), got shape {tuple(input.shape)}")
    n, m = input.shape[-2:]
    xp = namespace(input.array)
    keep = xp.tri(n, m, diagonal, dtype=bool) if lower else ~xp.tri(n, m, diagonal - 1, dtype=bool)
    zero = Tensor._wrap(xp.zeros((), dtype=input.array.dtype), False, None)
    return where(keep, input, zero)


def tril(input, diagonal=0):  # noqa: A002
    """The lower triangle (elements with column - row ≤ ``diagonal``); the rest 0."""
    return _triangle(input, diagonal, True, "tril")


def triu(input, diagonal=0):  # noqa: A002
    """The upper triangle (elements with column - row ≥ ``diagonal``); the rest 0."""
    return _triangle(input, diagonal, False, "triu")


def _slices(input, axis, sizes):
    lead, start, parts = (slice(None),) * axis, 0, []
    for size in sizes:
        parts.append(getitem(input, (*lead, slice(start, start + size))))
        start += size
    return tuple(parts)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the
    given sizes (which must add up to the dimension)."""
    (axis,) = _axes(tensor, dim, "split")
    n = tensor.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise GlassnetValueError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise GlassnetValueError(f"split: sections {sizes} add up to {sum(sizes)}, but dimension {dim} "
                                     f"has size {n}")
    return _slices(tensor, axis, sizes)


def chunk(input, chunks, dim=0):  # noqa: A002
    """``chunks`` pieces along ``dim`` of ⌈n / chunks⌉ elements each (fewer pieces when the
    size does not allow that many, as in PyTorch)."""
    if chunks <= 0:
        raise GlassnetValueError(f"chunk: chunks must be positive, got {chunks}")
    (axis,) = _axes(input, dim, "chunk")
    size = -(-input.shape[axis] // chunks) or 1
    return split(input, size, axis)


def unbind(input, dim=0):  # noqa: A002
    """The slices along ``dim``, that dimension removed, as a tuple."""
    (axis,) = _axes(input, dim, "unbind")
    return tuple(getitem(input, (slice(None),) * axis + (i,)) for i in range(input.shape[axis]))


def narrow(input, dim, start, length):  # noqa: A002
    """``length`` elements from ``start`` along ``dim`` (a view in PyTorch; a slice here)."""
    (axis,) = _axes(input, dim, "narrow")
    start = int(start) % input.shape[axis] if int(start) < 0 else int(start)
    if start + length > input.shape[axis]:
        raise GlassnetValueError(f"narrow: start {start} + length {length} exceeds dimension {dim} of size "
                                 f"{input.shape[axis]}")
    return getitem(input, (slice(None),) * axis + (slice(start, start + length),))


def select(input, dim, index):  # noqa: A002
    """The slice at ``index`` along ``dim``, that dimension removed."""
    (axis,) = _axes(input, dim, "select")
    return getitem(input, (slice(None),) * axis + (int(index),))


def repeat(input, *sizes):  # noqa: A002
    """PyTorch's ``repeat``: tile the tensor ``sizes[i]`` times along each dimension (leading
    sizes add dimensions). Composed: reshape to (1, s₀, 1, s₁, …), expand, reshape."""
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    if len(sizes) < input.ndim:
        raise GlassnetValueError(f"repeat: {len(sizes)} repeat counts for a tensor of {input.ndim} "
                                 "dimensions; give at least one per dimension")
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    spread = reshape(input, tuple(n for s in shape for n in (1, s)))
    spread = expand(spread, tuple(n for r, s in zip(sizes, shape, strict=True) for n in (r, s)))
    return reshape(spread, tuple(r * s for r, s in zip(sizes, shape, strict=True)))


def tile(input, dims):  # noqa: A002
    """NumPy's ``tile``: :func:`repeat` with missing leading counts taken as 1."""
    dims = tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def repeat_interleave(input, repeats, dim=None):  # noqa: A002
    """Repeat each element ``repeats`` times (an int, or one count per element) along
    ``dim`` (the flattened tensor when None)."""
    if dim is None:
        input, dim = reshape(input, -1), 0
    (axis,) = _axes(input, dim, "repeat_interleave")
    counts = repeats.array if isinstance(repeats, Tensor) else repeats
    if isinstance(counts, (int, np.integer)) or np.ndim(counts) == 0:
        counts = np.full(input.shape[axis], int(counts))
    index = np.repeat(np.arange(input.shape[axis]), np.asarray(counts))
    return getitem(input, (slice(None),) * axis + (index,))


def diagonal(input, offset=0, dim1=0, dim2=1):  # noqa: A002
    """The diagonal of the matrices spanned by ``dim1`` and ``dim2`` (offset > 0 above),
    as the last dimension of the result."""
    return _diagonal_of(input, offset, dim1, dim2)


def _diagonal_of(input, offset, dim1, dim2):  # noqa: A002
    a1, a2 = _axes(input, dim1, "diagonal")[0], _axes(input, dim2, "diagonal")[0]
    rest = [i for i in range(input.ndim) if i not in (a1, a2)]
    moved = permute(input, (*rest, a1, a2))
    n, m = moved.shape[-2:]
    length = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    rows = np.arange(length) + max(-offset, 0)
    return getitem(moved, (Ellipsis, rows, rows + offset))


def diag(input, diagonal=0):  # noqa: A002
    """A 1-D tensor → the square matrix with it on the ``diagonal``; a matrix → its diagonal."""
    if input.ndim == 2:
        return _diagonal_of(input, diagonal, 0, 1)
    if input.ndim != 1:
        raise ShapeError(f"diag: expects a 1-D or 2-D tensor, got shape {tuple(input.shape)}")
    n = input.shape[0] + abs(diagonal)
    rows = np.arange(input.shape[0]) + max(-diagonal, 0)
    zeros = Tensor._wrap(namespace(input.array).zeros((n, n), dtype=input.array.dtype), False, None)
    return setitem(zeros, (rows, rows + diagonal), input)


def trace(input):  # noqa: A002
    """The sum of a matrix's diagonal."""
    if input.ndim != 2:
        raise ShapeError(f"trace: expects a matrix, got shape {tuple(input.shape)}")
    return _diagonal_of(input, 0, 0, 1).sum()


def movedim(input, source, destination):  # noqa: A002
    """Move dimension(s) ``source`` to position(s) ``destination``, keeping the others' order."""
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    src = [d % input.ndim for d in src]
    dst = [d % input.ndim for d in dst]
    order = [i for i in range(input.ndim) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return permute(input, tuple(order))


def t(input):  # noqa: A002
    """The transpose of a matrix; a 0-D or 1-D tensor is returned as is (PyTorch's ``t``)."""
    if input.ndim > 2:
        raise ShapeError(f"t: expects a tensor of at most 2 dimensions, got shape {tuple(input.shape)}; use "
                         "x.transpose(dim0, dim1) or x.mT for batches of matrices")
    return input if input.ndim < 2 else swapaxes(input, 0, 1)


def unflatten(input, dim, sizes):  # noqa: A002
    """Split dimension ``dim`` into ``sizes`` (one may be -1)."""
    (axis,) = _axes(input, dim, "unflatten")
    if not isinstance(sizes, (tuple, list)):
        raise GlassnetTypeError(f"unflatten: sizes must be a tuple of ints, got {sizes!r}")
    if -1 not in sizes and math.prod(sizes) != input.shape[axis]:  # reshape alone passes (0,) -> (2, 0)
        raise ShapeError(f"unflatten: sizes {tuple(sizes)} multiply to {math.prod(sizes)}, but dim {dim} of "
                         f"shape {tuple(input.shape)} has {input.shape[axis]} elements; give sizes whose "
                         "product is that, or one -1")
    return reshape(input, (*input.shape[:axis], *sizes, *input.shape[axis + 1:]))
