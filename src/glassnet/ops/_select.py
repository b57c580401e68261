"""Picking elements by index along a dimension: gather and scatter, sort, topk, and the
selections composed from indexing (index_select, masked_select, nonzero).

``index`` tensors are constants (integers), never differentiated. Along ``dim`` an
index tensor says *which* element; along every other axis position ``i`` of the index
means position ``i`` of the data (so an index may be smaller than the data there, as in
PyTorch). :func:`_grids` turns that into one NumPy fancy index.
"""

import warnings
from collections import namedtuple

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetIndexError, GlassnetTypeError, GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import as_tensor_like, normalize_dims, write_out
from glassnet.ops._shape import _add_at, expand, getitem

__all__ = ["gather", "scatter", "scatter_add", "sort", "argsort", "topk", "index_select", "masked_select",
           "nonzero", "take_along_dim"]

SortResult = namedtuple("SortResult", ["values", "indices"])
TopKResult = namedtuple("TopKResult", ["values", "indices"])


def _grids(xp, index, axis):
    """The fancy index ``(i₀, …, index, …, iₙ)``: open grids over ``index.shape`` with
    ``index`` itself on ``axis``."""
    grids = list(xp.ogrid[tuple(slice(n) for n in index.shape)]) if index.ndim else []
    if index.ndim:
        grids[axis] = index
        return tuple(grids)
    return (index,)


class Gather(Function):
    formula = "y[i, j] = x[i, index[i, j]]  (along dim = 1; likewise for any dim)"
    grad_formulas = ("dx = zeros with dy added at index (repeated indices add up)",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, index, axis):
        self.shape = x.shape
        return x[_grids(namespace(x), index, axis)]

    def backward(self, g):
        xp = namespace(g)
        dx = xp.zeros(self.shape, dtype=g.dtype)
        _add_at(xp, dx, _grids(xp, self.params["index"], self.params["axis"]), g)
        return dx


class Scatter(Function):
    """Where an index repeats, the value written last wins and, as in PyTorch, every
    source element written there still receives the gradient at that place."""

    formula = "y = x, then y[i, index[i, j]] = src[i, j]  (along dim = 1)"
    grad_formulas = ("dx = dy with the written places zeroed", "dsrc[i, j] = dy[i, index[i, j]]")

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, src, index, axis):
        xp = namespace(x)
        self.src_shape = src.shape
        y = x.copy()
        y[_grids(xp, index, axis)] = _crop(src, index.shape)
        return y

    def backward(self, g):
        xp, where = namespace(g), _grids(namespace(g), self.params["index"], self.params["axis"])
        dx = dsrc = None
        if self.needs_grad[0]:
            dx = g.copy()
            dx[where] = 0
        if self.needs_grad[1]:
            dsrc = _pad(xp, g[where], self.src_shape)
        return dx, dsrc


class ScatterAdd(Function):
    formula = "y = x, then y[i, index[i, j]] += src[i, j]  (along dim = 1)"
    grad_formulas = ("dx = dy", "dsrc[i, j] = dy[i, index[i, j]]")

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, src, index, axis):
        xp = namespace(x)
        self.src_shape = src.shape
        y = x.copy()
        _add_at(xp, y, _grids(xp, index, axis), _crop(src, index.shape))
        return y

    def backward(self, g):
        xp = namespace(g)
        dsrc = None
        if self.needs_grad[1]:
            dsrc = _pad(xp, g[_grids(xp, self.params["index"], self.params["axis"])], self.src_shape)
        return g, dsrc


def _crop(src, shape):
    """The leading ``shape`` block of ``src`` (PyTorch reads only that much of ``src``)."""
    return src[tuple(slice(n) for n in shape)]


def _pad(xp, block, shape):
    full = xp.zeros(shape, dtype=block.dtype)
    full[tuple(slice(n) for n in block.shape)] = block
    return full


def _index_array(x, index, axis, name, src=None):
    """Check ``index`` against ``x`` (and ``src``) as PyTorch does; return its array."""
    if not isinstance(index, Tensor) or index.array.dtype.kind not in "iu":
        raise GlassnetTypeError(f"{name}: index must be an integer tensor (dtype=gn.long), got "
                                f"{getattr(index, 'dtype', type(index).__name__)}")
    if index.ndim != x.ndim and index.array.size:
        raise GlassnetValueError(f"{name}: index has {index.ndim} dimensions but the input has {x.ndim}; "
                                 "they must match (unsqueeze the index)")
    for d, (n, limit) in enumerate(zip(index.shape, x.shape, strict=False)):
        if d != axis and n > limit:
            raise GlassnetValueError(f"{name}: index shape {tuple(index.shape)} is larger than the input "
                                     f"shape {tuple(x.shape)} at dimension {d} (only dim {axis} may differ)")
    if src is not None and any(n > m for n, m in zip(index.shape, src.shape, strict=False)):
        raise GlassnetValueError(f"{name}: index shape {tuple(index.shape)} is larger than src shape "
                                 f"{tuple(src.shape)}")
    data = index.array
    if data.size and (int(data.min()) < 0 or int(data.max()) >= x.shape[axis]):
        raise GlassnetIndexError(f"{name}: index values must lie in [0, {x.shape[axis]}) for dim {axis} of "
                                 f"shape {tuple(x.shape)}; got {int(data.min())}..{int(data.max())}")
    return data


def _axis(x, dim, name):
    return normalize_dims(dim, x.ndim, name)[0] if x.ndim else 0


def gather(input, dim, index, *, out=None):  # noqa: A002  (PyTorch's names)
    """``out[i][j] = input[i][index[i][j]]`` for ``dim = 1`` (any dim likewise)."""
    axis = _axis(input, dim, "gather")
    data = _index_array(input, index, axis, "gather")
    return write_out(Gather.apply(input, index=data, axis=axis), out, "gather")


def _source(src, value, x, name, shape=None):
    """``src`` in ``x``'s dtype, or the number ``value`` filled into ``shape`` (default ``x``'s)."""
    if src is None and value is None:
        raise GlassnetTypeError(f"{name}: give src (a tensor) or value (a number)")
    if src is None or not isinstance(src, Tensor):
        value = src if src is not None else value
        if isinstance(value, Tensor):
            return as_tensor_like(value, x)
        filled = namespace(x.array).full(x.shape if shape is None else shape, value, dtype=x.array.dtype)
        return Tensor._wrap(filled, False, None)
    return src if src.array.dtype == x.array.dtype else src.astype(x.dtype)


class ScatterWithReduce(Function):
    """PyTorch's deprecated ``scatter(..., reduce=)``: values only. Its backward raises, as
    PyTorch's does; :func:`scatter_add` and ``scatter_reduce`` are the differentiable forms."""

    formula = "y = x, then y[i, index[i, j]] += src[i, j] ('add') or *= src[i, j] ('multiply')  (dim = 1)"
    grad_formulas = ("none: backward raises, as in PyTorch",)

    def forward(self, x, src, index, axis, reduce):
        xp = namespace(x)
        y = x.copy()
        where, src = _grids(xp, index, axis), _crop(src, index.shape)
        if reduce == "add":
            _add_at(xp, y, where, src)
        else:
            np.multiply.at(y, where, src)
        return y

    def backward(self, g):
        reduce = self.params["reduce"]
        instead = ("scatter_add(dim, index, src)" if reduce == "add"
                   else "scatter_reduce(dim, index, src, 'prod')")
        raise GlassnetValueError(
            f"scatter(..., reduce={reduce!r}): no gradient is defined, as in PyTorch (its backward raises "
            f"too: the reduce= form is deprecated); for a gradient write {instead}, or detach the inputs")


def scatter(input, dim, index, src=None, *, value=None, reduce=None):  # noqa: A002
    """A copy of ``input`` with ``src`` (a tensor, or a number ``value``) written at
    ``index`` along ``dim``: ``out[i][index[i][j]] = src[i][j]`` for ``dim = 1``.
    ``reduce="add"`` adds there instead (``+=``), ``reduce="multiply"`` multiplies (``*=``);
    repeated indices apply each element. As in PyTorch the ``reduce=`` form has no gradient
    (backward raises): :func:`scatter_add` and ``scatter_reduce`` have."""
    if reduce not in (None, "add", "multiply"):
        raise GlassnetValueError(f"scatter: reduce must be 'add' or 'multiply' (or None), got {reduce!r}; "
                                 "scatter_reduce offers 'sum', 'prod', 'mean', 'amax' and 'amin'")
    if reduce is not None and isinstance(src, Tensor):
        warnings.warn("The reduce argument of scatter with a Tensor src is deprecated (in PyTorch too); use "
                      "scatter_reduce for more reductions and a gradient", UserWarning, stacklevel=2)
    axis = _axis(input, dim, "scatter")
    given = src if isinstance(src, Tensor) else None  # a number fills the index's shape: no size limit
    data = _index_array(input, index, axis, "scatter", given)
    src = _source(src, value, input, "scatter", data.shape)
    if reduce is not None:
        return ScatterWithReduce.apply(input, src, index=data, axis=axis, reduce=reduce)
    return Scatter.apply(input, src, index=data, axis=axis)


def scatter_add(input, dim, index, src):  # noqa: A002
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    axis = _axis(input, dim, "scatter_add")
    src = _source(src, None, input, "scatter_add")
    data = _index_array(input, index, axis, "scatter_add", src)
    return ScatterAdd.apply(input, src, index=data, axis=axis)


def _order(x, axis, descending, stable=True):
    """The int64 indices that sort ``x`` along ``axis`` (ties keep their order)."""
    data = x.array
    if descending:
        data = -data.astype(np.int64) if data.dtype.kind in "bu" else -data
    return namespace(data).argsort(data, axis=axis, kind="stable" if stable else None).astype(np.int64)


def argsort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    """The indices that sort ``input`` along ``dim`` (int64, not differentiable)."""
    if input.ndim == 0:
        return Tensor._wrap(namespace(input.array).zeros((), np.int64), False, None)
    return Tensor._wrap(_order(input, _axis(input, dim, "argsort"), descending, stable), False, None)


def sort(input, dim=-1, descending=False, stable=False, *, out=None):  # noqa: A002
    """``(values, indices)`` sorted along ``dim``; values are differentiable (a gather)."""
    if input.ndim == 0:
        return SortResult(input * 1, argsort(input))
    axis = _axis(input, dim, "sort")
    indices = Tensor._wrap(_order(input, axis, descending, stable=True), False, None)
    result = SortResult(Gather.apply(input, index=indices.array, axis=axis), indices)
    if out is None:
        return result
    return SortResult(*(write_out(r, o, "sort") for r, o in zip(result, out, strict=True)))


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their
    indices, largest first; values are differentiable (a gather)."""
    axis = _axis(input, dim, "topk")
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise GlassnetValueError(f"topk: k={k} is out of range for dimension {dim} of size {size}")
    if input.ndim == 0:
        return TopKResult(input * 1, argsort(input))
    order = _order(input, axis, descending=largest)
    indices = namespace(order).take(order, range(k), axis=axis)
    return TopKResult(Gather.apply(input, index=indices, axis=axis), Tensor._wrap(indices, False, None))


def index_select(input, dim, index):  # noqa: A002
    """The slices ``index`` (a 1-D integer tensor) of ``input`` along ``dim``."""
    axis = _axis(input, dim, "index_select")
    if not isinstance(index, Tensor) or index.ndim > 1 or index.array.dtype.kind not in "iu":
        raise GlassnetTypeError("index_select: index must be a 1-D integer tensor (dtype=gn.long)")
    return getitem(input, (slice(None),) * axis + (index.array.reshape(-1),))


def masked_select(input, mask):  # noqa: A002
    """The elements of ``input`` where ``mask`` is true, as a 1-D tensor (both broadcast)."""
    mask = mask if isinstance(mask, Tensor) else Tensor(mask)
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    x = input if tuple(input.shape) == shape else expand(input, shape)
    return getitem(x, namespace(mask.array).broadcast_to(mask.array.astype(bool), shape))


def nonzero(input, *, as_tuple=False):  # noqa: A002
    """Where ``input`` is nonzero: an (n, ndim) int64 tensor of coordinates, or with
    ``as_tuple=True`` one 1-D tensor per dimension (what ``x[...]`` takes)."""
    data = input.array if isinstance(input, Tensor) else np.asarray(input)
    xp = namespace(data)
    if as_tuple:
        hits = xp.nonzero(data) if data.ndim else xp.nonzero(data.reshape(1))
        return tuple(Tensor._wrap(h.astype(np.int64), False, None) for h in hits)
    return Tensor._wrap(xp.argwhere(data).astype(np.int64), False, None)


def take_along_dim(input, indices, dim=None):  # noqa: A002
    """``gather`` with an index that broadcasts; ``dim=None`` reads the flattened input."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    axis = _axis(input, dim, "take_along_dim")
    shape = list(np.broadcast_shapes(tuple(input.shape), tuple(indices.shape)))
    shape[axis] = indices.shape[axis]
    wide = list(shape)
    wide[axis] = input.shape[axis]
    x = input if tuple(input.shape) == tuple(wide) else expand(input, tuple(wide))
    index = Tensor._wrap(namespace(indices.array).broadcast_to(indices.array, tuple(shape)), False, None)
    return gather(x, axis, index)
