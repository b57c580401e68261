"""The array backend: which namespace computes, the default dtype, the seeded RNG.

Ops never import NumPy directly for computation; they ask :func:`namespace` for the
namespace of their input array, which is NumPy for host arrays and CuPy for arrays that
live on a GPU. CuPy is never imported unless it is already loaded or a GPU is asked for.
"""

import sys

import numpy as np

from glassnet._allocator import tune_if_requested
from glassnet._errors import GlassnetTypeError

__all__ = [
    "namespace",
    "device_of",
    "get_default_dtype",
    "set_default_dtype",
    "manual_seed",
    "default_generator",
    "to_numpy",
]

tune_if_requested()  # only when GLASSNET_HOST_ALLOCATOR=tuned asks (see glassnet._allocator)

_DEFAULT_DTYPE = np.dtype(np.float32)
_generator = np.random.default_rng()


def _cupy_ndarray():
    cupy = sys.modules.get("cupy")
    return None if cupy is None else cupy.ndarray


def namespace(array):
    """Return the array module (``numpy`` or ``cupy``) that owns ``array``."""
    if type(array) is np.ndarray or isinstance(array, np.generic):
        return np
    cp_nd = _cupy_ndarray()
    if cp_nd is not None and isinstance(array, cp_nd):
        return sys.modules["cupy"]
    return np


def device_of(array):
    """``'cpu'`` for NumPy arrays, ``'cuda:N'`` for CuPy arrays."""
    if namespace(array) is np:
        return "cpu"
    return f"cuda:{array.device.id}"


def to_numpy(array):
    """A host NumPy copy (or view) of ``array``, whatever its backend."""
    if namespace(array) is np:
        return np.asarray(array)
    return array.get()


def get_default_dtype():
    """The dtype of floating tensors made from Python numbers (float32 unless changed)."""
    return _DEFAULT_DTYPE


def set_default_dtype(dtype):
    """Set the dtype of new floating tensors: ``float32`` or ``float64``."""
    global _DEFAULT_DTYPE
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise GlassnetTypeError(
            f"set_default_dtype: got {dtype}; the default dtype must be floating "
            "(float32 or float64)"
        )
    _DEFAULT_DTYPE = dtype


def manual_seed(seed):
    """Seed glassnet's one random generator (used by rand, randn, init, dropout, shuffling).

    Returns the new ``numpy.random.Generator``.
    """
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator():
    """The ``numpy.random.Generator`` every glassnet random draw comes from."""
    return _generator
