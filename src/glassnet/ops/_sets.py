"""Sets, searches and index arithmetic, none differentiable (as in PyTorch): ``unique``,
``unique_consecutive``, ``isin``, ``searchsorted``, ``bucketize``, ``histc``,
``tril_indices``/``triu_indices``, ``unravel_index`` and ``broadcast_shapes``.

Each is a NumPy call on the array with PyTorch's argument names, result dtypes (indices and
counts int64) and result order.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import normalize_dims

__all__ = ["unique", "unique_consecutive", "isin", "searchsorted", "bucketize", "histc", "tril_indices",
           "triu_indices", "unravel_index", "broadcast_shapes"]


def _wrap(array):
    return Tensor._wrap(array, False, None)


def _array(x, name):
    if isinstance(x, Tensor):
        return x.array
    if isinstance(x, (int, float, bool)):
        return np.asarray(x)
    raise GlassnetTypeError(f"{name}: expected a Tensor or a number, got {type(x).__name__}")


def _results(values, inverse, counts, return_inverse, return_counts):
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap(inverse.astype(np.int64)))
    if return_counts:
        out.append(_wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct values of ``input`` (flattened, or the distinct slices along ``dim``), in
    ascending order; with ``return_inverse`` where each element went, with ``return_counts``
    how often each value appears. (PyTorch's CPU ``unique`` sorts even with ``sorted=False``.)"""
    x = _array(input, "unique")
    xp = namespace(x)
    if dim is None:
        values, inverse, counts = xp.unique(x.reshape(-1), return_inverse=True, return_counts=True)
        return _results(values, inverse.reshape(x.shape), counts, return_inverse, return_counts)
    _one_empty_side(x, dim, "unique")
    axis = normalize_dims(dim, x.ndim, "unique")[0]
    values, inverse, counts = xp.unique(x, return_inverse=True, return_counts=True, axis=axis)
    return _results(values, inverse.reshape(-1), counts, return_inverse, return_counts)


def _one_empty_side(x, dim, name):
    """PyTorch's rule for ``dim=``: a dimension of size 0 is allowed only as ``dim`` itself."""
    if dim is None or 0 not in x.shape:
        return
    axis = normalize_dims(dim, x.ndim, name)[0]
    if any(n == 0 for i, n in enumerate(x.shape) if i != axis):
        raise GlassnetValueError(f"{name}: with dim={dim}, only that dimension may have size 0 (as in "
                                 f"PyTorch); "
                                 f"got shape {tuple(x.shape)}")


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """Each run of equal consecutive values (or slices along ``dim``) kept once, in order."""
    x = _array(input, "unique_consecutive")
    xp = namespace(x)
    _one_empty_side(x, dim, "unique_consecutive")
    axis = 0 if dim is None else normalize_dims(dim, x.ndim, "unique_consecutive")[0]
    flat = x.reshape(-1) if dim is None else xp.moveaxis(x, axis, 0)
    n = flat.shape[0]
    changed = xp.ones(n, dtype=bool)
    if n > 1:
        differs = flat[1:] != flat[:-1]
        changed[1:] = differs.reshape(n - 1, -1).any(axis=1) if differs.ndim > 1 else differs
    starts = xp.flatnonzero(changed)
    values = flat[starts] if dim is None else xp.moveaxis(flat[starts], 0, axis)
    inverse = xp.cumsum(changed) - 1
    counts = xp.diff(xp.append(starts, n))
    return _results(values, inverse.reshape(x.shape) if dim is None else inverse, counts,
                    return_inverse, return_counts)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` is among ``test_elements`` (``invert``: is not)."""
    a, b = _array(elements, "isin"), _array(test_elements, "isin")
    if a.dtype.kind == "b" or b.dtype.kind == "b":
        raise GlassnetTypeError("isin: bool tensors are not supported (as in PyTorch); compare with == "
                                "instead")
    return _wrap(namespace(a).isin(a, b, invert=invert))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):  # noqa: A002
    """Where each value of ``input`` would go in the ascending last dimension of
    ``sorted_sequence`` to keep it sorted: the first such place (``right=True``: the last)."""
    seq, values = _array(sorted_sequence, "searchsorted"), _array(input, "searchsorted")
    side = side or ("right" if right else "left")
    xp = namespace(seq)
    if sorter is not None:
        seq = xp.take_along_axis(seq, _array(sorter, "searchsorted"), axis=-1)
    dtype = np.int32 if out_int32 else np.int64
    if seq.ndim <= 1:
        return _wrap(xp.searchsorted(seq, values, side=side).astype(dtype))
    if seq.shape[:-1] != values.shape[:-1]:
        raise GlassnetValueError(f"searchsorted: the leading dimensions of sorted_sequence "
                                 f"{tuple(seq.shape)} and "
                                 f"input {tuple(values.shape)} must match")
    if values.size == 0 or seq.shape[-1] == 0:
        return _wrap(xp.zeros(values.shape, dtype=dtype))
    rows = [xp.searchsorted(s, v, side=side) for s, v in zip(seq.reshape(-1, seq.shape[-1]),
                                                              values.reshape(-1,
                                                                             values.shape[-1]), strict=True)]
    return _wrap(xp.stack(rows).reshape(values.shape).astype(dtype))


def bucketize(input, boundaries, *, out_int32=False, right=False):  # noqa: A002
    """The bucket of each value of ``input`` among the ascending 1-D ``boundaries``:
    ``i`` with ``boundaries[i-1] < x ≤ boundaries[i]`` (``right=True``: ``≤ x <``)."""
    b = _array(boundaries, "bucketize")
    if b.ndim != 1:
        raise GlassnetValueError(f"bucketize: boundaries must be 1-D, got shape {tuple(b.shape)}")
    x = _array(input, "bucketize")
    side = "right" if right else "left"
    return _wrap(namespace(b).searchsorted(b, x, side=side).astype(np.int32 if out_int32 else np.int64))


def histc(input, bins=100, min=0, max=0):  # noqa: A002
    """Counts of ``input`` in ``bins`` equal bins over ``[min, max]`` (both 0: the data's own
    range); values outside are ignored, a value equal to ``max`` counts in the last bin."""
    x = _array(input, "histc")
    if x.dtype.kind != "f":
        raise GlassnetTypeError(f"histc: floating tensors only, got dtype {x.dtype} (as in PyTorch)")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise GlassnetValueError(f"histc: max ({hi}) must be larger than min ({lo})")
    xp = namespace(x)
    low, high = x.dtype.type(lo), x.dtype.type(hi)
    inside = x[(x >= low) & (x <= high)]
    # PyTorch's bin, in the input's dtype: ⌊(x − min)·bins / (max − min)⌋, the value max in the last bin
    index = xp.minimum(((inside - low) * x.dtype.type(bins) / (high - low)).astype(np.int64), bins - 1)
    return _wrap(xp.bincount(index, minlength=bins).astype(x.dtype))


def _triangle_indices(row, col, offset, lower, dtype):
    rows, cols = np.indices((row, col))
    keep = cols - rows <= offset if lower else cols - rows >= offset
    return _wrap(np.stack([rows[keep], cols[keep]]).astype(dtype or np.int64))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, n) coordinates of the lower triangle of a row × col matrix, row by row."""
    return _triangle_indices(row, col, offset, True, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, n) coordinates of the upper triangle of a row × col matrix, row by row."""
    return _triangle_indices(row, col, offset, False, dtype)


def unravel_index(indices, shape):
    """Flat ``indices`` as one coordinate tensor per dimension of ``shape`` (int64)."""
    data = _array(indices, "unravel_index")
    if data.dtype.kind not in "iu":
        raise GlassnetTypeError(f"unravel_index: indices must be integers, got dtype {data.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    size = int(np.prod(shape))
    if data.size and (int(data.min()) < -size or int(data.max()) >= size):
        raise GlassnetValueError(f"unravel_index: indices must lie in [-{size}, {size}) for shape {shape}")
    coords = np.unravel_index(data % size if size else data, shape)
    return tuple(_wrap(np.asarray(c, dtype=np.int64)) for c in coords)


def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` broadcast to (a tuple)."""
    try:
        return tuple(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))
    except ValueError as exc:
        raise GlassnetValueError(f"broadcast_shapes: shapes {shapes} do not broadcast: {exc}") from exc

