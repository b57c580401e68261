"""Making tensors: from data, filled with constants, ranges, and random draws.

Every function takes ``dtype`` (default: float32 for floating data, as PyTorch),
``requires_grad`` and ``device`` (``'cpu'``; ``'cuda'`` with CuPy installed).
"""

import numpy as np

from glassnet._backend import default_generator, get_default_dtype
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor, as_array
from glassnet.ops._convert import to_device

__all__ = ["tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange",
           "linspace", "rand", "randn", "randint", "randperm", "zeros_like", "ones_like",
           "full_like", "rand_like", "randn_like"]


def _finish(array, requires_grad, device):
    t = Tensor._wrap(array, False, None)
    if device is not None and str(device) != "cpu":
        t = to_device(t, device)
    if requires_grad:
        t.requires_grad = True
    return t


def _size(size, name):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise GlassnetValueError(f"{name}: sizes must be non-negative integers, got {size}")
    return tuple(int(s) for s in size)


def _float_dtype(dtype):
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays).

    Python floats give float32 (the default dtype), Python ints give int64, NumPy arrays
    keep their dtype; an empty list holds no numbers to go by and gives the default dtype
    (as PyTorch). Ragged lists and non-numbers raise a clear error.
    """
    if dtype is None and isinstance(data, (list, tuple)) and not _holds_number(data):
        dtype = get_default_dtype()
    array = as_array(data, dtype)
    if array is data or (isinstance(data, Tensor) and array is data.data):
        array = array.copy()
    return _finish(array, requires_grad, device)


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


def zeros(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of zeros."""
    return _finish(np.zeros(_size(size, "zeros"), _float_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of ones."""
    return _finish(np.ones(_size(size, "ones"), _float_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    """An uninitialised tensor (contents arbitrary)."""
    return _finish(np.empty(_size(size, "empty"), _float_dtype(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    """A tensor of ``size`` filled with ``fill_value``."""
    if dtype is None:
        dtype = get_default_dtype() if isinstance(fill_value, float) else None
    array = np.full(_size((size,), "full"), fill_value, dtype=dtype)
    return _finish(array, requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """The identity matrix (n × m, ones on the diagonal)."""
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Evenly spaced values in ``[start, end)``; integers give int64, floats float32."""
    if end is None:
        start, end = 0, start
    if dtype is None and any(isinstance(v, float) for v in (start, end, step)):
        dtype = get_default_dtype()
    array = np.arange(start, end, step, dtype=dtype)
    if dtype is None:
        array = array.astype(np.int64)
    return _finish(array, requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _finish(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad, device)


def _random_float(size, dtype, draw):
    dtype = _float_dtype(dtype)
    if dtype.kind != "f":
        raise GlassnetTypeError(f"random floats need a floating dtype, got {dtype}")
    if dtype in (np.float32, np.float64):
        return draw(size, dtype=dtype)
    return draw(size).astype(dtype)


def rand(*size, dtype=None, requires_grad=False, device=None):
    """Uniform random numbers in ``[0, 1)`` from glassnet's seeded generator."""
    gen = default_generator()
    array = _random_float(_size(size, "rand"), dtype, gen.random)
    return _finish(array, requires_grad, device)


def randn(*size, dtype=None, requires_grad=False, device=None):
    """Standard normal random numbers from glassnet's seeded generator."""
    gen = default_generator()
    array = _random_float(_size(size, "randn"), dtype, gen.standard_normal)
    return _finish(array, requires_grad, device)


def randint(low, high=None, size=(), dtype=np.int64, device=None):
    """Random integers in ``[low, high)`` (``[0, low)`` when ``high`` is omitted)."""
    if high is None:
        low, high = 0, low
    array = default_generator().integers(low, high, size=_size((size,), "randint"), dtype=dtype)
    return _finish(array, False, device)


def randperm(n, device=None):
    """A random permutation of ``0 .. n-1`` (int64)."""
    return _finish(default_generator().permutation(n).astype(np.int64), False, device)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad,
                device=t.device)


def rand_like(t, dtype=None, requires_grad=False):
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)


def randn_like(t, dtype=None, requires_grad=False):
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)
