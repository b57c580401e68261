"""Turning operands into tensors, dtype and device moves, and non-differentiable tests."""

import builtins
import operator

import numpy as np

from glassnet._backend import device_of, get_default_dtype, namespace, to_numpy
from glassnet._device import DeviceUnavailableError, device, require_gpu
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._function import Function, broadcast_message
from glassnet.autograd._tensor import Tensor, as_array

__all__ = ["as_tensor_like", "pair", "promote", "result_type", "cast", "to_device", "compare", "any", "all",
           "normalize_dims", "floating", "write_out", "clone"]

_PY_SCALARS = (bool, int, float)


def as_tensor_like(value, like):
    """``value`` as a constant Tensor next to ``like``.

    A Python number takes ``like``'s dtype (``float32_tensor * 2.5`` stays float32, as in
    PyTorch); a float number next to an integer tensor takes the default float dtype.
    """
    if isinstance(value, Tensor):
        return value
    xp = namespace(like.array)
    if isinstance(value, _PY_SCALARS):
        dtype = like.array.dtype
        if isinstance(value, float) and dtype.kind != "f":
            dtype = get_default_dtype()
        elif dtype.kind == "b" and not isinstance(value, bool):
            dtype = np.dtype(np.int64) if isinstance(value, int) else get_default_dtype()
        return Tensor._wrap(xp.asarray(value, dtype=dtype), False, None)
    return Tensor._wrap(xp.asarray(as_array(value)), False, None)


def pair(a, b):
    """Both operands of a binary op as tensors of a common dtype (at least one must
    already be a tensor); mixed dtypes follow PyTorch (:func:`result_type`)."""
    if isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            b = as_tensor_like(b, a)
    elif isinstance(b, Tensor):
        a = as_tensor_like(a, b)
    else:
        a = Tensor._wrap(as_array(a), False, None)
        b = as_tensor_like(b, a)
    if a.array.dtype != b.array.dtype:
        return promote(a, b)
    return a, b


def promote(*tensors):
    """The tensors cast to their common :func:`result_type` (unchanged where they have it)."""
    dtype = result_type(*tensors)
    return tuple(cast(t, dtype) for t in tensors)


def result_type(*tensors):
    """PyTorch's dtype for an op mixing ``tensors``.

    Kinds rank bool < integer < floating. Tensors with dimensions decide first; a 0-d
    tensor (a Python number became one in :func:`as_tensor_like`) changes the result only
    when its kind ranks higher: ``float32 · 0-d float64 → float32``, ``int32 + 0-d int64 →
    int32``, but ``int64 + 0-d float64 → float64``. Within one group an integer meeting a
    floating dtype gives that floating dtype (``int64 + float16 → float16``); otherwise
    NumPy's promotion, which agrees with PyTorch's there (``uint8 + int8 → int16``).
    """
    dims = _group_type([t.array.dtype for t in tensors if t.ndim])
    zero = _group_type([t.array.dtype for t in tensors if not t.ndim])
    if dims is None or zero is None:
        return dims if zero is None else zero
    if (dims.kind == "f" and zero.kind != "c") or (_rank(zero) <= _rank(dims) and dims.kind != "b"):
        return dims
    return _promote_pair(dims, zero)


def _rank(dtype):
    return {"b": 0, "f": 2, "c": 3}.get(dtype.kind, 1)


def _promote_pair(a, b):
    if "c" in (a.kind, b.kind):  # complex: the wider of the floating parts, as complex
        parts = [np.dtype(d.char.lower()) if d.kind == "c" else d for d in (a, b) if d.kind in "fc"]
        return np.result_type(np.promote_types(parts[0], parts[-1]), np.complex64)
    if (a.kind == "f") != (b.kind == "f"):  # integer or bool with floating: the floating one
        return a if a.kind == "f" else b
    return np.promote_types(a, b)


def _group_type(dtypes):
    if not dtypes:
        return None
    out = dtypes[0]
    for d in dtypes[1:]:
        out = _promote_pair(out, d)
    return np.dtype(out)


def floating(x, name):
    """``x`` as a floating tensor: an integer or bool tensor converts to the default dtype
    (``gn.sin(int_tensor)`` is float32, as in PyTorch)."""
    if not isinstance(x, Tensor):
        raise GlassnetTypeError(f"{name}: expected a Tensor, got {type(x).__name__} "
                                "(wrap it: gn.tensor(...))")
    return x if x.array.dtype.kind == "f" else cast(x, get_default_dtype())


def write_out(result, out, name):
    """``result``, or — when ``out`` is a tensor — ``result`` written into ``out`` and ``out``
    returned (PyTorch's ``out=``). As in PyTorch, ``out=`` does not record gradients: it
    refuses a result that requires grad. An empty ``out`` takes the result's shape."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise GlassnetTypeError(f"{name}: out= must be a Tensor, got {type(out).__name__}")
    if result._requires_grad or out._requires_grad:
        raise GlassnetValueError(
            f"{name}(..., out=...): out= arguments do not record gradients and this result requires grad "
            f"(PyTorch refuses it too); write y = gn.{name}(...) instead, or compute under gn.no_grad()")
    if out.shape != result.shape:
        if out.array.size:
            raise ShapeError(f"{name}: out= has shape {tuple(out.shape)} but the result has shape "
                             f"{tuple(result.shape)}; pass an out tensor of that shape (or an empty one)")
        out.array = namespace(out.array).empty(result.shape, dtype=out.array.dtype)
    return out.copy_(result)


def normalize_dims(dim, ndim, op_name):
    """``dim`` (None, int or sequence) as None or a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim) if isinstance(
        dim, (tuple, list)) else None
    if dims is None or not builtins.all(isinstance(d, (int, np.integer)) for d in dims):
        raise GlassnetTypeError(f"{op_name}: dim must be an int or a tuple of ints, got {dim!r}")
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise GlassnetValueError(
                f"{op_name}: dim {d} is out of range for a tensor with {ndim} dimension(s) "
                f"(valid: {-max(ndim, 1)}..{max(ndim, 1) - 1})"
            )
        out.append(d % ndim if ndim else 0)
    return tuple(sorted(set(out)))


class Cast(Function):
    """Change dtype. The gradient is cast back to the input's dtype by the engine."""

    formula = "y = x (as another dtype)"
    grad_formulas = ("dx = dy",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, g):
        return g


def cast(x, dtype):
    """``x`` converted to ``dtype``; differentiable between floating dtypes."""
    dtype = np.dtype(dtype)
    if dtype == x.dtype:
        return x
    if dtype.kind != "f":
        return Tensor._wrap(x.array.astype(dtype), False, None)
    return Cast.apply(x, dtype=dtype)


class Clone(Function):
    formula = "y = x (a copy in memory of its own)"
    grad_formulas = ("dx = dy",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


def clone(x, *, memory_format=None):
    """A copy of ``x`` that changes independently of it; gradients flow through."""
    return Clone.apply(x)


class ToDevice(Function):
    """Move data between host (NumPy) and GPU (CuPy) memory."""

    formula = "y = x (on another device)"
    grad_formulas = ("dx = dy (moved back)",)

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, device):
        self.source = device_of(x)
        return _move(x, device)

    def backward(self, g):
        return _move(g, self.source)


def _move(array, target):
    if target.type == "cpu":
        return to_numpy(array)
    if target.type == "cuda":
        cupy = require_gpu(f"to('{target}')")
        if target.index is None:
            return cupy.asarray(array)
        with cupy.cuda.Device(target.index):
            return cupy.asarray(array)
    raise DeviceUnavailableError(f"to('{target}'): glassnet computes on 'cpu' (NumPy) or 'cuda' (CuPy); "
                                 f"{target.type!r} is never available "
                                 "(gn.backends.mps.is_available() is False)")


def to_device(x, target):
    """``x`` on ``target`` (``'cpu'``, ``'cuda'``, ``'cuda:1'`` or a :class:`~glassnet.device`);
    differentiable. ``'cuda'`` on a machine without a usable GPU raises, as in PyTorch."""
    target = device(target)
    here = x.device
    if here == target or (target.index is None and here.type == target.type):
        return x
    return ToDevice.apply(x, device=target)


_COMPARISONS = {
    "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge, "eq": operator.eq, "ne": operator.ne,
}


def compare(a, b, how):
    """Elementwise comparison (``lt``, ``le``, ``gt``, ``ge``, ``eq``, ``ne``): a bool
    tensor that never requires grad."""
    a, b = pair(a, b)
    try:
        result = _COMPARISONS[how](a.array, b.array)
    except ValueError as exc:
        raise ShapeError(broadcast_message(how, [a.shape, b.shape])) from exc
    return Tensor._wrap(result, False, None)


def _reduce_bool(x, dim, keepdim, reducer, name):
    if not isinstance(x, Tensor):
        raise GlassnetTypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    dims = normalize_dims(dim, x.ndim, name)
    if x.ndim == 0:  # dim 0 or -1 names a 0-d tensor's one element (PyTorch); NumPy has no axis there
        dims = None
    xp = namespace(x.array)
    return Tensor._wrap(xp.asarray(reducer(x.array, axis=dims, keepdims=keepdim)), False, None)


def any(x, dim=None, keepdim=False):  # noqa: A001
    """True where any element along ``dim`` is nonzero (not differentiable)."""
    return _reduce_bool(x, dim, keepdim, namespace(x.array).any, "any")


def all(x, dim=None, keepdim=False):  # noqa: A001
    """True where every element along ``dim`` is nonzero (not differentiable)."""
    return _reduce_bool(x, dim, keepdim, namespace(x.array).all, "all")
