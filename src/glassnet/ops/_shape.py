"""Movement and shape primitives: reshape, permute, expand, concatenate, stack, pad, index.

None of these does arithmetic; each backward moves the gradient back to where the input
values came from.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetIndexError, GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import normalize_dims, promote

__all__ = ["reshape", "flatten", "squeeze", "unsqueeze", "permute", "swapaxes", "transpose",
           "expand", "broadcast_to", "cat", "concatenate", "stack", "pad", "getitem"]


def _shape_arg(shape):
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class Reshape(Function):
    formula = "y = x laid out as a new shape (same values, same order)"
    grad_formulas = ("dx = dy reshaped back",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.in_shape)

    def shape_error(self, inputs, exc):
        (x,) = inputs
        return ShapeError(
            f"reshape: cannot view a tensor of shape {tuple(x.shape)} ({x.array.size} "
            f"elements) as {self.params['shape']}; the element counts must match "
            "(use -1 for one size to be inferred)"
        )


def reshape(x, *shape):
    """The same values in a new shape (one size may be -1)."""
    return Reshape.apply(x, shape=_shape_arg(shape))


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim..end_dim`` into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    merged = 1
    for size in x.shape[start : end + 1]:  # not -1: an empty batch (0, …) cannot infer it
        merged *= size
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1 :])


def squeeze(x, dim=None):
    """Drop axes of size 1 (only ``dim`` when given)."""
    dims = normalize_dims(dim, x.ndim, "squeeze")
    shape = tuple(s for i, s in enumerate(x.shape) if s != 1 or (dims is not None and i not in dims))
    return reshape(x, shape)


def unsqueeze(x, dim):
    """Insert an axis of size 1 at ``dim``."""
    ndim = x.ndim + 1
    if not -ndim <= dim < ndim:
        raise GlassnetValueError(
            f"unsqueeze: dim {dim} out of range for a result with {ndim} dimensions"
        )
    dim %= ndim
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


class Permute(Function):
    formula = "y = x with its axes reordered"
    grad_formulas = ("dx = dy with the inverse reordering",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, axes):
        return x.transpose(axes)

    def backward(self, g):
        return g.transpose(np.argsort(self.params["axes"]))


def permute(x, *dims):
    """Reorder the axes: ``permute(x, 2, 0, 1)``."""
    dims = _shape_arg(dims)
    axes = tuple(d + x.ndim if d < 0 else d for d in dims)  # out-of-range dims stay out
    if sorted(axes) != list(range(x.ndim)):
        raise GlassnetValueError(
            f"permute: {dims} is not a reordering of the {x.ndim} axes of shape {tuple(x.shape)}"
        )
    return Permute.apply(x, axes=axes)


def swapaxes(x, dim0, dim1):
    """Exchange two axes (``transpose`` in PyTorch's sense)."""
    axes = list(range(x.ndim))
    d0, d1 = normalize_dims(dim0, x.ndim, "swapaxes")[0], normalize_dims(dim1, x.ndim, "swapaxes")[0]
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Permute.apply(x, axes=tuple(axes))


transpose = swapaxes


class Expand(Function):
    """Broadcast to a larger shape without copying; the engine's unbroadcast sums back."""

    formula = "y = x repeated along broadcast axes"
    grad_formulas = ("dx = dy summed over the repeated axes",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, shape):
        return namespace(x).broadcast_to(x, shape)

    def backward(self, g):
        return g

    def shape_error(self, inputs, exc):
        return ShapeError(
            f"expand: cannot broadcast shape {tuple(inputs[0].shape)} to "
            f"{self.params['shape']}; each size must match or be 1"
        )


def expand(x, *shape):
    """View ``x`` broadcast to ``shape`` (-1 keeps a size)."""
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if -1 in shape[: max(lead, 0)]:
        raise ShapeError(
            f"expand: cannot expand shape {tuple(x.shape)} to {shape}; -1 keeps an existing "
            "size and is not allowed in a new leading dimension"
        )
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    return Expand.apply(x, shape=shape)


broadcast_to = expand


class Concatenate(Function):
    formula = "y = [x₁, x₂, …] joined along dim"
    grad_formulas = ("dxᵢ = the slice of dy that xᵢ filled",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, *xs, axis):
        self.sizes = [x.shape[axis] for x in xs]
        return namespace(xs[0]).concatenate(xs, axis=axis)

    def backward(self, g):
        xp = namespace(g)
        cuts = np.cumsum(self.sizes)[:-1].tolist()
        return tuple(xp.split(g, cuts, axis=self.params["axis"]))

    def shape_error(self, inputs, exc):
        return ShapeError(
            f"cat: shapes {[tuple(t.shape) for t in inputs]} must agree on every axis but "
            f"dim {self.params['axis']}"
        )


def cat(tensors, dim=0):
    """Join tensors along an existing axis ``dim``."""
    tensors = _tensor_list(tensors, "cat")
    if tensors[0].ndim == 0:
        raise ShapeError("cat: zero-dimensional tensors cannot be concatenated (use stack to "
                         "make a 1-D tensor of them)")
    (axis,) = normalize_dims(dim, tensors[0].ndim, "cat")
    return Concatenate.apply(*_common_dtype(tensors), axis=axis)


concatenate = cat


class Stack(Function):
    formula = "y = [x₁, x₂, …] stacked along a new dim"
    grad_formulas = ("dxᵢ = dy[…, i, …]",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, *xs, axis):
        return namespace(xs[0]).stack(xs, axis=axis)

    def backward(self, g):
        xp = namespace(g)
        return tuple(xp.moveaxis(g, self.params["axis"], 0))

    def shape_error(self, inputs, exc):
        return ShapeError(f"stack: all shapes must be equal, got {[tuple(t.shape) for t in inputs]}")


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new axis ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    ndim = tensors[0].ndim + 1
    if not -ndim <= dim < ndim:
        raise GlassnetValueError(
            f"stack: dim {dim} out of range for a result with {ndim} dimensions "
            f"(valid: {-ndim}..{ndim - 1})"
        )
    return Stack.apply(*_common_dtype(tensors), axis=dim % ndim)


def _common_dtype(tensors):
    """The tensors cast to PyTorch's common dtype (``cat([float32, int64])`` is float32)."""
    if len({t.array.dtype for t in tensors}) == 1:
        return tensors
    return promote(*tensors)


def _tensor_list(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise GlassnetValueError(f"{name}: needs at least one tensor")
    if not all(isinstance(t, Tensor) for t in tensors):
        kinds = sorted({type(t).__name__ for t in tensors})
        raise GlassnetTypeError(f"{name}: expected a sequence of Tensors, got {kinds}")
    return tensors


class Pad(Function):
    formula = "y = x surrounded by a constant border"
    grad_formulas = ("dx = dy with the border cut off",)

    def forward(self, x, widths, value):
        return namespace(x).pad(x, widths, mode="constant", constant_values=value)

    def backward(self, g):
        inner = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.params["widths"]))
        return g[inner]

    def differentiable_backward(self, g, out):
        widths = self.params["widths"]
        return getitem(g, tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(widths)))


def pad(x, pad, value=0.0):
    """Constant padding. ``pad`` is PyTorch's flat form ``(left, right, top, bottom, …)``
    starting from the last axis, or NumPy's ``((before, after), …)`` per axis. A negative
    width crops that many elements instead, as in PyTorch."""
    pad = tuple(pad)
    if pad and all(isinstance(p, (tuple, list)) for p in pad):
        widths = tuple((int(a), int(b)) for a, b in pad)
        if len(widths) != x.ndim:
            raise GlassnetValueError(f"pad: need {x.ndim} (before, after) pairs, got {len(widths)}")
    else:
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise GlassnetValueError(
                f"pad: flat padding needs an even number of sizes, at most 2 per axis "
                f"({2 * x.ndim} for shape {tuple(x.shape)}); got {pad}"
            )
        pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
        widths = tuple([(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1])
    if any(w < 0 for pair in widths for w in pair):
        x = _crop(x, widths, pad)
        widths = tuple((max(lo, 0), max(hi, 0)) for lo, hi in widths)
    return Pad.apply(x, widths=widths, value=value)


def _crop(x, widths, pad):
    """``x`` with ``-w`` elements cut off wherever a width ``w`` is negative."""
    cuts = []
    for size, (lo, hi) in zip(x.shape, widths, strict=True):
        start, stop = max(-lo, 0), size - max(-hi, 0)
        if stop < start:
            raise GlassnetValueError(
                f"pad: negative padding {pad} crops more than the {size} elements of an axis of "
                f"shape {tuple(x.shape)}"
            )
        cuts.append(slice(start, stop))
    return getitem(x, tuple(cuts))


class GetItem(Function):
    """Indexing. Repeated integer indices add their gradients (``add.at``); plain slices
    write the gradient back into place."""

    formula = "y = x[index]"
    grad_formulas = ("dx = zeros with dy added at index",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, index, scatter):
        self.in_shape = x.shape
        return x[index]

    def backward(self, g):
        xp = namespace(g)
        dx = xp.zeros(self.in_shape, dtype=g.dtype)
        index = self.params["index"]
        if self.params["scatter"]:
            _add_at(xp, dx, index, g)
        else:
            dx[index] = g
        return dx

    def shape_error(self, inputs, exc):
        return ShapeError(f"index: {exc} (tensor shape {tuple(inputs[0].shape)})")


def _add_at(xp, target, index, values):
    if xp is np:
        np.add.at(target, index, values)
    else:  # CuPy
        import cupyx

        cupyx.scatter_add(target, index, values)


def _plain_index(item):
    if isinstance(item, Tensor):
        return item.array
    if isinstance(item, list):
        array = np.asarray(item)
        return array.astype(np.int64) if array.size == 0 else array  # x[:, []] as PyTorch
    return item


def getitem(x, index):
    """``x[index]`` with ints, slices, None, Ellipsis, integer arrays and boolean masks.

    One rule differs from NumPy's, as in PyTorch: integers are applied first, so they
    never count as advanced indices. ``x[0, :, [0, 1, 2]]`` on shape (1, 2, 3) is
    ``x[0][:, [0, 1, 2]]``, shape (2, 3); NumPy would move the indexed axis first, (3, 2).
    """
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(_plain_index(i) for i in items)
    xp = namespace(x.array)
    scatter = advanced = False
    for item in items:
        if hasattr(item, "dtype") and getattr(item, "ndim", 0) > 0:
            if item.dtype.kind not in "iub":
                raise GlassnetTypeError(
                    f"index: arrays used as indices must be integer or boolean, got {item.dtype}"
                )
            scatter = scatter or item.dtype.kind != "b"
            advanced = True
    if xp is not np:
        items = tuple(xp.asarray(i) if isinstance(i, np.ndarray) else i for i in items)
    if advanced and any(_is_integer(i) for i in items):
        x = _index(x, _integers_only(items), False)
        items = tuple(i for i in items if not _is_integer(i))
    return _index(x, items if isinstance(index, tuple) else items[0], scatter)


def _index(x, index, scatter):
    try:
        return GetItem.apply(x, index=index, scatter=scatter)
    except IndexError as exc:
        raise GlassnetIndexError(f"index: {exc} (tensor shape {tuple(x.shape)})") from exc


def _is_integer(item):
    """A Python or NumPy integer, or a 0-d integer array (PyTorch reads it as an int)."""
    if isinstance(item, bool):
        return False
    if isinstance(item, (int, np.integer)):
        return True
    return getattr(item, "ndim", None) == 0 and item.dtype.kind in "iu"


def _integers_only(items):
    """The first of two indexing steps: the integers, a full slice for every axis that any
    other item consumes (a boolean mask consumes one per dimension), None dropped."""
    step = []
    for item in items:
        if _is_integer(item):
            step.append(item)
        elif item is Ellipsis:
            step.append(item)
        elif item is not None:
            width = item.ndim if getattr(item, "dtype", None) is not None and item.dtype.kind == "b" else 1
            step.extend([slice(None)] * width)
    return tuple(step)
