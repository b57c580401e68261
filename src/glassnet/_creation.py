"""Making tensors: from data, filled with constants, ranges, and random draws.

Every function takes PyTorch's keywords: ``dtype`` (default: float32 for floating data, as
PyTorch; ``gn.long``, ``gn.float64``, … or NumPy dtypes), ``device`` (``"cpu"``, or
``"cuda"`` with CuPy and a GPU; the default device when omitted), ``requires_grad`` and
``out`` (write into that tensor and return it). Random draws take ``generator`` (a
:class:`~glassnet.Generator`; glassnet's default generator when omitted).
"""

import numpy as np

from glassnet._backend import generator_or_default, get_default_dtype
from glassnet._device import CPU, get_default_device
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor, as_array
from glassnet.ops._convert import to_device, write_out

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange", "linspace",
           "logspace", "rand", "randn", "randint", "randperm", "zeros_like", "ones_like", "full_like",
           "empty_like", "rand_like", "randn_like", "randint_like"]


def _finish(array, requires_grad, device, out=None, name="tensor"):
    """Wrap ``array``, move it to ``device`` (the default device when None), set
    ``requires_grad``, or write it into ``out``."""
    t = Tensor._wrap(array, False, None)
    if out is not None:
        if requires_grad:
            raise GlassnetValueError(f"{name}: requires_grad=True and out= together are not supported; set "
                                     "requires_grad on the result instead")
        return write_out(t, out, name)
    target = get_default_device() if device is None else device
    if target is not CPU and str(target) != "cpu":
        t = to_device(t, target)
    if requires_grad:
        t.requires_grad = True
    return t


def _size(size, name):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 0:
            raise GlassnetValueError(f"{name}: sizes must be non-negative integers, got {size}")
    return tuple(int(s) for s in size)


def _sizes(args, size, name):
    """Sizes given as ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``."""
    return _size(args if size is None else (size,), name)


def _float_dtype(dtype):
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays).

    Python floats give float32 (the default dtype), Python ints give int64, NumPy arrays
    keep their dtype; an empty list holds no numbers to go by and gives the default dtype
    (as PyTorch). Ragged lists and non-numbers raise a clear error.

    Args:
        data: a number, a (nested) list or tuple of numbers, a NumPy array or a Tensor;
            always copied, so changing ``data`` later does not change the tensor.
        dtype: the dtype to convert to (e.g. ``gn.float64``); default: inferred as above.
        device: where the tensor lives (``"cpu"``, or ``"cuda"`` with CuPy installed);
            default: the default device.
        requires_grad: whether autograd records operations on it and fills ``.grad``.
        pin_memory: accepted for PyTorch compatibility; it changes nothing.

    Shape:
        output: the shape of ``data`` (``()`` for a single number).

    Example:
        >>> import glassnet as gn
        >>> gn.tensor([[1.0, 2.0], [3.0, 4.0]])
        tensor([[1., 2.],
                [3., 4.]])
        >>> gn.tensor([1, 2, 3]).dtype, gn.tensor(2.5).shape
        (dtype('int64'), ())
        >>> w = gn.tensor([2.0, 3.0], requires_grad=True)
        >>> (w * w).sum().backward()
        >>> w.grad
        tensor([4., 6.])
    """
    if dtype is None and isinstance(data, (list, tuple)) and not _holds_number(data):
        dtype = get_default_dtype()
    array = as_array(data, dtype)
    if array is data or (isinstance(data, Tensor) and array is data.array):
        array = array.copy()
    return _finish(array, requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory where it can: a tensor of the asked dtype and
    device is returned as is, a NumPy array of that dtype is wrapped without a copy."""
    if isinstance(data, Tensor):
        out = data if device is None else data.to(device)
        return out if dtype is None else out.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return _finish(as_array(data), False, device)
    return tensor(data, dtype=dtype, device=device)


def _holds_number(data):
    """True if nested lists hold anything but lists (``[]`` and ``[[], []]`` do not)."""
    if isinstance(data, (list, tuple)):
        return any(_holds_number(d) for d in data)
    return True


def from_numpy(array):
    """A tensor sharing memory with the NumPy ``array`` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise GlassnetTypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(as_array(array), False, None)


def zeros(*size, out=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """A tensor of zeros."""
    shape = _sizes(size, kwargs.pop("size", None), "zeros")
    _no_other_keywords(kwargs, "zeros")
    return _finish(np.zeros(shape, _float_dtype(dtype)), requires_grad, device, out, "zeros")


def ones(*size, out=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """A tensor of ones."""
    shape = _sizes(size, kwargs.pop("size", None), "ones")
    _no_other_keywords(kwargs, "ones")
    return _finish(np.ones(shape, _float_dtype(dtype)), requires_grad, device, out, "ones")


def empty(*size, out=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """An uninitialised tensor (contents arbitrary)."""
    shape = _sizes(size, kwargs.pop("size", None), "empty")
    _no_other_keywords(kwargs, "empty")
    return _finish(np.empty(shape, _float_dtype(dtype)), requires_grad, device, out, "empty")


_IGNORED = {"layout", "pin_memory", "memory_format"}  # accepted: glassnet has one layout, host memory


def _no_other_keywords(kwargs, name):
    unknown = set(kwargs) - _IGNORED
    if unknown:
        raise GlassnetTypeError(f"{name}() got unexpected keyword argument(s) {sorted(unknown)}")


def full(size, fill_value, *, out=None, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (a float gives the default dtype, an
    int int64, a bool bool, as PyTorch)."""
    if dtype is None:
        dtype = get_default_dtype() if isinstance(fill_value, float) else None
    array = np.full(_size((size,), "full"), fill_value, dtype=dtype)
    return _finish(array, requires_grad, device, out, "full")


def eye(n, m=None, *, out=None, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n × m, ones on the diagonal)."""
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device, out, "eye")


def arange(start, end=None, step=1, *, out=None, dtype=None, device=None, requires_grad=False):
    """Evenly spaced values in ``[start, end)``; integers give int64, floats float32."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is None and any(isinstance(v, float) for v in (start, end, step)):
        dtype = get_default_dtype()
    array = np.arange(start, end, step, dtype=dtype)
    if dtype is None:
        array = array.astype(np.int64)
    return _finish(array, requires_grad, device, out, "arange")


def linspace(start, end, steps, *, out=None, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    array = np.linspace(start, end, steps, dtype=_float_dtype(dtype))
    return _finish(array, requires_grad, device, out, "linspace")


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, device=None, requires_grad=False):
    """``steps`` values ``base ** v`` for v evenly spaced from ``start`` to ``end``."""
    array = np.logspace(start, end, steps, base=base, dtype=_float_dtype(dtype))
    return _finish(array, requires_grad, device, out, "logspace")


def _random_float(size, dtype, draw):
    dtype = _float_dtype(dtype)
    if dtype.kind != "f":
        raise GlassnetTypeError(f"random floats need a floating dtype, got {dtype}")
    if dtype in (np.float32, np.float64):
        return draw(size, dtype=dtype)
    return draw(size).astype(dtype)


def rand(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """Uniform random numbers in ``[0, 1)`` from ``generator`` (glassnet's by default)."""
    shape = _sizes(size, kwargs.pop("size", None), "rand")
    _no_other_keywords(kwargs, "rand")
    array = _random_float(shape, dtype, generator_or_default(generator, "rand").random)
    return _finish(array, requires_grad, device, out, "rand")


def randn(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """Standard normal random numbers from ``generator`` (glassnet's by default)."""
    shape = _sizes(size, kwargs.pop("size", None), "randn")
    _no_other_keywords(kwargs, "randn")
    array = _random_float(shape, dtype, generator_or_default(generator, "randn").standard_normal)
    return _finish(array, requires_grad, device, out, "randn")


def randint(low, high=None, size=None, *, generator=None, out=None, dtype=None, device=None,
            requires_grad=False):
    """Random integers in ``[low, high)``: ``randint(high, size)`` or
    ``randint(low, high, size)`` as PyTorch (``[0, low)`` when ``high`` is omitted)."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    rng = generator_or_default(generator, "randint")
    array = rng.integers(low, high, size=_size((() if size is None else size,), "randint"),
                         dtype=np.dtype(dtype or np.int64))
    return _finish(array, requires_grad, device, out, "randint")


def randperm(n, *, generator=None, out=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype``)."""
    array = generator_or_default(generator, "randperm").permutation(n).astype(np.dtype(dtype or np.int64))
    return _finish(array, requires_grad, device, out, "randperm")


def _like(t, dtype, device):
    return dtype or t.dtype, t.device if device is None else device


def zeros_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype, device = _like(t, dtype, device)
    return zeros(t.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def ones_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype, device = _like(t, dtype, device)
    return ones(t.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def empty_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype, device = _like(t, dtype, device)
    return empty(t.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype, device = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dtype, requires_grad=requires_grad, device=device)


def rand_like(t, dtype=None, device=None, requires_grad=False, memory_format=None, generator=None):
    dtype, device = _like(t, dtype, device)
    return rand(t.shape, dtype=dtype, requires_grad=requires_grad, device=device, generator=generator)


def randn_like(t, dtype=None, device=None, requires_grad=False, memory_format=None, generator=None):
    dtype, device = _like(t, dtype, device)
    return randn(t.shape, dtype=dtype, requires_grad=requires_grad, device=device, generator=generator)


def randint_like(t, low=0, high=None, dtype=None, device=None, requires_grad=False, generator=None):
    dtype, device = _like(t, dtype, device)
    return randint(low, high, tuple(t.shape), dtype=dtype, device=device, requires_grad=requires_grad,
                   generator=generator)
