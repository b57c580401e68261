"""PyTorch's top-level forms of Tensor methods: ``torch.detach(x)``, ``torch.is_signed(x)``,
``torch.fill``, ``torch.zero_``, ``torch.scalar_tensor``, ``torch.range`` … Each calls the
method that glassnet already has (one place for each)."""

import math
import warnings

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetTypeError, GlassnetWarning
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import clone

__all__ = ["detach", "fill", "zero_", "is_same_size", "is_signed", "is_inference", "get_device", "typename",
           "scalar_tensor", "range", "asarray", "empty_strided", "set_flush_denormal",
           "set_default_tensor_type"]


def _tensor(x, name):
    if not isinstance(x, Tensor):
        raise GlassnetTypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    return x


def detach(input):  # noqa: A002  (PyTorch's names)
    """``input.detach()``: the same memory, cut from the graph."""
    return _tensor(input, "detach").detach()


def fill(input, value):  # noqa: A002
    """A copy of ``input`` with every element ``value`` (``torch.fill``, out of place)."""
    return clone(_tensor(input, "fill")).detach().fill_(value)


def zero_(input):  # noqa: A002
    """``input.zero_()``."""
    return _tensor(input, "zero_").zero_()


def is_same_size(input, other):  # noqa: A002
    """True if both have the same shape."""
    return tuple(_tensor(input, "is_same_size").shape) == tuple(_tensor(other, "is_same_size").shape)


def is_signed(input):  # noqa: A002
    return _tensor(input, "is_signed").is_signed()


def is_inference(input):  # noqa: A002
    return _tensor(input, "is_inference").is_inference()


def get_device(input):  # noqa: A002
    return _tensor(input, "get_device").get_device()


def typename(obj):
    """PyTorch's type name of a tensor (``"torch.FloatTensor"``), else the object's class name."""
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor holding the number ``s`` (the default float dtype unless given)."""
    t = Tensor(np.asarray(s, dtype=np.dtype(dtype or get_default_dtype())))
    return (t if device is None else t.to(device)).requires_grad_(requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):  # noqa: A001
    """PyTorch's deprecated ``range``: ``start, start + step, …`` up to and including ``end``
    (the default float dtype); it warns as PyTorch does — ``arange`` excludes ``end``."""
    warnings.warn("torch.range is deprecated (its end is included, unlike Python's range); use arange, "
                  "which stops before end", GlassnetWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    count = int(math.floor((end - start) / step)) + 1
    values = start + step * np.arange(max(count, 0), dtype=np.float64)
    t = Tensor(values.astype(np.dtype(dtype or get_default_dtype())))
    return (t if device is None else t.to(device)).requires_grad_(requires_grad)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """PyTorch's ``asarray``: ``obj`` as a tensor, sharing memory where it can (as
    :func:`glassnet.as_tensor`) unless ``copy=True``; ``copy=False`` refuses a needed copy."""
    from glassnet._creation import as_tensor

    t = as_tensor(obj, dtype=dtype, device=device)
    shares = isinstance(obj, Tensor) and t.array is obj.array or (
        isinstance(obj, np.ndarray) and np.shares_memory(t.array, obj))
    if copy is False and not shares:
        raise GlassnetTypeError("asarray: copy=False, but this input needs a copy (another dtype, device "
                                "or a "
                                "Python sequence)")
    if copy and shares:
        t = clone(t).detach()
    return t.requires_grad_(requires_grad) if requires_grad else t


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, **_):
    """An uninitialised tensor of ``size`` (laid out contiguously; ``stride`` is accepted as the
    values are uninitialised either way)."""
    t = Tensor(np.empty(tuple(size), dtype=np.dtype(dtype or get_default_dtype())))
    return (t if device is None else t.to(device)).requires_grad_(requires_grad)


def set_flush_denormal(mode):
    """False: glassnet cannot switch the CPU's denormal flushing (PyTorch returns False where it
    is not supported too); nothing changes."""
    return False


def set_default_tensor_type(t):
    """PyTorch's legacy switch: ``torch.FloatTensor`` / ``'torch.DoubleTensor'`` set the default
    float dtype; a CUDA type raises without a GPU, as PyTorch does."""
    from glassnet._backend import set_default_dtype
    from glassnet._dtypes import dtype_named

    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    if "cuda" in name:
        from glassnet._device import require_gpu

        require_gpu("set_default_tensor_type")
    dtype = dtype_named(name.replace("cuda.", ""))
    if np.dtype(dtype).kind != "f":
        raise GlassnetTypeError(f"set_default_tensor_type: only floating types can be the default, got "
                                f"{name}")
    set_default_dtype(dtype)
