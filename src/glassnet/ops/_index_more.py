"""Writing by index, out of place: ``index_add``, ``index_copy``, ``index_fill``,
``index_put``, ``select_scatter``, ``slice_scatter``, ``masked_scatter``, ``take``, ``put`` and
``scatter_reduce``.

All but the last are compositions: the ``index_*`` family is :func:`scatter` /
:func:`scatter_add` with the 1-D ``index`` spread over the other axes, the ``*_scatter`` family
is :func:`setitem` at a fixed place. ``index_put(accumulate=True)`` is one primitive
(:class:`IndexPutAdd`: repeated indices add up), and so is :class:`ScatterReduce`, whose
reductions (prod, mean, amax, amin) each have their own gradient.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetIndexError, GlassnetTypeError, GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import as_tensor_like, cast, normalize_dims
from glassnet.ops._elementwise import mul
from glassnet.ops._select import _grids, _index_array, scatter, scatter_add
from glassnet.ops._setitem import setitem
from glassnet.ops._shape import _add_at, _plain_index, getitem, reshape

__all__ = ["index_add", "index_copy", "index_fill", "index_put", "select_scatter", "slice_scatter",
           "masked_scatter", "take", "put", "scatter_reduce"]


def _axis(x, dim, name):
    return normalize_dims(dim, x.ndim, name)[0] if x.ndim else 0


def _vector_index(index, name):
    if not isinstance(index, Tensor) or index.array.dtype.kind not in "iu" or index.ndim > 1:
        raise GlassnetTypeError(f"{name}: index must be a 0-d or 1-D integer tensor (dtype=gn.long), got "
                                f"{getattr(index, 'dtype', type(index).__name__)} of shape "
                                f"{tuple(getattr(index, 'shape', ()))}")
    return index.array.reshape(-1)


def _spread(index, axis, shape):
    """The 1-D ``index`` as a full index tensor of ``shape`` (its length on ``axis``)."""
    view = [1] * max(len(shape), 1)
    view[axis] = -1
    xp = namespace(index)
    return Tensor._wrap(xp.broadcast_to(index.reshape(view), shape).copy(), False, None)


def _source_shape(x, axis, n, source, name):
    shape = list(x.shape) or [1]
    shape[axis] = n
    if tuple(source.shape) != tuple(shape) and not (x.ndim == 0 and source.numel() == n):
        raise GlassnetValueError(f"{name}: source has shape {tuple(source.shape)}, but an input of shape "
                                 f"{tuple(x.shape)} indexed by {n} entries on dim {axis} needs "
                                 f"{tuple(shape)}")
    return tuple(shape)


def _same_dtype(source, x):
    source = source if isinstance(source, Tensor) else as_tensor_like(source, x)
    return source if source.dtype == x.dtype else cast(source, x.dtype)


def index_add(input, dim, index, source, *, alpha=1):  # noqa: A002  (PyTorch's names)
    """``input`` with ``alpha · source[..., j, ...]`` added to slice ``index[j]`` along ``dim``
    (repeated indices add up): ``out[index[j]] += alpha · source[j]`` for ``dim = 0``."""
    axis, data = _axis(input, dim, "index_add"), _vector_index(index, "index_add")
    source = _same_dtype(source, input)
    shape = _source_shape(input, axis, data.size, source, "index_add")
    source = source if alpha == 1 else mul(source, alpha)
    return _flat_op(input, lambda x: scatter_add(x, axis, _spread(data, axis, shape), reshape(source, shape)))


def _flat_op(input, run):  # noqa: A002
    """``run`` on ``input`` (lifted to 1-D if 0-d, as the scatters need an axis)."""
    if input.ndim:
        return run(input)
    return reshape(run(reshape(input, (1,))), ())


def index_copy(input, dim, index, source):  # noqa: A002
    """``input`` with slice ``index[j]`` along ``dim`` replaced by ``source[..., j, ...]``."""
    axis, data = _axis(input, dim, "index_copy"), _vector_index(index, "index_copy")
    source = _same_dtype(source, input)
    shape = _source_shape(input, axis, data.size, source, "index_copy")
    return _flat_op(input, lambda x: scatter(x, axis, _spread(data, axis, shape), reshape(source, shape)))


def index_fill(input, dim, index, value):  # noqa: A002
    """``input`` with the slices ``index`` along ``dim`` set to ``value`` (a number or 0-d tensor)."""
    axis, data = _axis(input, dim, "index_fill"), _vector_index(index, "index_fill")
    if isinstance(value, Tensor) and value.ndim:
        raise GlassnetValueError(f"index_fill: value must be a number or a 0-d tensor, got shape "
                                 f"{tuple(value.shape)}")
    shape = list(input.shape) or [1]
    shape[axis] = data.size
    fill = _same_dtype(value, input)
    from glassnet.ops._shape import expand

    return _flat_op(input, lambda x: scatter(x, axis, _spread(data, axis, tuple(shape)),
                                             expand(reshape(fill, (1,) * len(shape)), tuple(shape))))


class IndexPutAdd(Function):
    """``index_put(accumulate=True)``: values at repeated indices add up."""

    formula = "y = x, then y[indices] += v"
    grad_formulas = ("dx = dy", "dv = dy[indices]  (summed over what v was broadcast to)")

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, v, index):
        y = x.copy()
        xp = namespace(x)
        _add_at(xp, y, index, xp.broadcast_to(v, y[index].shape))
        return y

    def backward(self, g):
        return g, (g[self.params["index"]] if self.needs_grad[1] else None)


def index_put(input, indices, values, accumulate=False):  # noqa: A002
    """``input`` with ``values`` written (``accumulate=True``: added) at ``input[indices]``;
    ``indices`` a tuple of integer or bool tensors, as PyTorch."""
    if not isinstance(indices, (tuple, list)):
        raise GlassnetTypeError(f"index_put: indices must be a tuple of tensors, got "
                                f"{type(indices).__name__}")
    values = _same_dtype(values, input)
    if not accumulate:
        return setitem(input, tuple(indices), values)
    index = tuple(_plain_index(i) for i in indices)
    try:
        return IndexPutAdd.apply(input, values, index=index)
    except IndexError as exc:
        raise GlassnetIndexError(f"index_put: {exc} (tensor shape {tuple(input.shape)})") from exc


def select_scatter(input, src, dim, index):  # noqa: A002
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    axis = _axis(input, dim, "select_scatter")
    return _embed(input, src, (slice(None),) * axis + (index,), "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):  # noqa: A002
    """``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``."""
    axis = _axis(input, dim, "slice_scatter")
    return _embed(input, src, (slice(None),) * axis + (slice(start, end, step),), "slice_scatter")


def _embed(input, src, index, name):  # noqa: A002
    block = input.array[index].shape
    if tuple(src.shape) != tuple(block):
        raise GlassnetValueError(f"{name}: src has shape {tuple(src.shape)}, but the place it goes in the "
                                 f"input "
                                 f"of shape {tuple(input.shape)} has shape {tuple(block)}")
    return setitem(input, index, _same_dtype(src, input))


def masked_scatter(input, mask, source):  # noqa: A002
    """``input`` with the places where ``mask`` is true filled, in row-major order, by the
    first elements of ``source``."""
    mask = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype.kind != "b":
        raise GlassnetTypeError(f"masked_scatter: mask must be a bool tensor, got dtype {mask.dtype}")
    full = namespace(mask).broadcast_to(mask, input.shape)
    count = int(full.sum())
    if source.numel() < count:
        raise GlassnetValueError(f"masked_scatter: the mask selects {count} places but source has only "
                                 f"{source.numel()} elements")
    picked = getitem(reshape(_same_dtype(source, input), (-1,)), slice(0, count))
    return setitem(input, full, picked)


def take(input, index):  # noqa: A002
    """The elements of ``input`` read as 1-D at ``index``; the result has ``index``'s shape."""
    data = _index_data(input, index, "take")
    return getitem(reshape(input, (-1,)), data)


def _index_data(input, index, name):  # noqa: A002
    if not isinstance(index, Tensor) or index.array.dtype.kind not in "iu":
        raise GlassnetTypeError(f"{name}: index must be an integer tensor (dtype=gn.long)")
    n = input.numel()
    data = index.array
    if data.size and (int(data.min()) < -n or int(data.max()) >= n):
        raise GlassnetIndexError(f"{name}: index values must lie in [-{n}, {n}) for an input of {n} "
                                 f"elements; "
                                 f"got {int(data.min())}..{int(data.max())}")
    return data


def put(input, index, source, accumulate=False):  # noqa: A002
    """``input`` with ``source`` written (``accumulate=True``: added) at the flat positions ``index``."""
    data = _index_data(input, index, "put")
    if tuple(source.shape) != tuple(data.shape) and source.numel() != data.size:
        raise GlassnetValueError(f"put: source has {source.numel()} elements, index {data.size}")
    flat = index_put(reshape(input, (-1,)), (Tensor._wrap(data.reshape(-1), False, None),),
                     reshape(source, (-1,)), accumulate)
    return reshape(flat, tuple(input.shape))


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


class ScatterReduce(Function):
    """Each place ``index`` points at is reduced over the ``src`` elements sent there (and
    ``x``'s own value when ``include_self``); places no index points at keep ``x``."""

    formula = "y[i, index[i, j]] = reduce(x[i, index[i, j]]?, src[i, j] for all such j)  (dim = 1)"
    grad_formulas = ("sum: dx = dy (0 at reduced places without self), dsrc = dy[index]",
                     "prod: dx = dy · (product of the others), dsrc = dy[index] · (product of the others)",
                     "mean: dx = dy / count, dsrc = dy[index] / count[index]",
                     "amax, amin: dy split evenly among the elements equal to y there")

    def forward(self, x, src, index, axis, reduce, include_self):
        xp = namespace(x)
        where = _grids(xp, index, axis)
        src = src[tuple(slice(n) for n in index.shape)]
        hit = xp.zeros(x.shape, dtype=bool)
        hit[where] = True
        count = xp.zeros(x.shape, dtype=np.int64)
        _add_at(xp, count, where, xp.ones(index.shape, dtype=np.int64))
        self.x, self.src, self.hit, self.where = x, src, hit, where
        y = self._reduced(x, src)
        if reduce == "mean":
            total = count + (1 if include_self else 0)
            y = xp.where(hit, y / xp.maximum(total, 1), y) if y.dtype.kind == "f" else xp.where(
                hit, xp.floor_divide(y, xp.maximum(total, 1)), y)
            self.count = xp.where(hit, total, 1)
        self.y = y
        return y.astype(x.dtype, copy=False)

    def _reduced(self, x, src):
        """``x`` with ``src`` reduced into the places hit (the sum, for the mean)."""
        reduce = self.params["reduce"]
        start = {"sum": 0, "mean": 0, "prod": 1}.get(reduce)
        y = x.copy()
        if not self.params["include_self"]:
            y[self.hit] = start if start is not None else _identity(namespace(x), x.dtype, reduce)
        ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}
        ufunc[reduce].at(y, self.where, src)
        return y

    def backward(self, g):
        reduce, include_self = self.params["reduce"], self.params["include_self"]
        xp = namespace(g)
        own = xp.ones_like(g) if include_self else (~self.hit).astype(g.dtype)
        if reduce in ("sum", "mean"):
            share = g / self.count if reduce == "mean" else g
            dx, dsrc = share * xp.where(self.hit, own, 1), share[self.where]
        elif reduce == "prod":
            dx, dsrc = self._prod_grads(xp, g, own)
        else:
            chosen = self.y[self.where] == self.src
            ties = xp.where(self.hit, (self.x == self.y) * own, 1).astype(g.dtype)
            _add_at(xp, ties, self.where, chosen.astype(g.dtype))
            dx = xp.where(self.hit, g * (self.x == self.y) * own / ties, g)
            dsrc = (g / ties)[self.where] * chosen
        return dx, _pad_to(xp, dsrc, self.inputs[1].shape)

    def _prod_grads(self, xp, g, own):
        """Each factor's gradient is the product of the others: ``y / factor`` where the
        factor is nonzero, else the product recomputed with that zero (if it is the only
        one sent there) set to 1 — PyTorch's numbers, exact with zeros."""
        x, src = self.x, self.src
        safe_x = xp.where(x == 0, 1, x)
        dx = xp.where(self.hit, g * self._reduced(safe_x, src) / safe_x * own, g)
        zero = src == 0
        zeros_there = xp.zeros(x.shape, dtype=np.int64)
        _add_at(xp, zeros_there, self.where, zero.astype(np.int64))
        single = zero & (zeros_there[self.where] == 1)
        without = self._reduced(x, xp.where(single, 1, src))
        dsrc = xp.where(single, (g * without)[self.where], (g * self.y)[self.where] / xp.where(zero, 1, src))
        return dx, dsrc


def _identity(xp, dtype, reduce):
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:
        return reduce == "amin"
    return info.min if reduce == "amax" else info.max


def _pad_to(xp, block, shape):
    if tuple(block.shape) == tuple(shape):
        return block
    full = xp.zeros(shape, dtype=block.dtype)
    full[tuple(slice(n) for n in block.shape)] = block
    return full


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):  # noqa: A002
    """``input`` with ``src`` reduced into the places ``index`` points at along ``dim``:
    ``reduce`` is ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``; with
    ``include_self=False`` the input's own values there take no part."""
    if reduce not in _REDUCTIONS:
        raise GlassnetValueError(f"scatter_reduce: reduce must be one of {', '.join(_REDUCTIONS)}, got "
                                 f"{reduce!r}")
    axis = _axis(input, dim, "scatter_reduce")
    src = _same_dtype(src, input)
    data = _index_array(input, index, axis, "scatter_reduce", src)
    return ScatterReduce.apply(input, src, index=data, axis=axis, reduce=reduce, include_self=include_self)
