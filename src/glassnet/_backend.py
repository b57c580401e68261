"""The array backend: which namespace computes, the default dtype, the seeded RNG.

Ops never import NumPy directly for computation; they ask :func:`namespace` for the
namespace of their input array, which is NumPy for host arrays and CuPy for arrays that
live on a GPU. CuPy is never imported unless it is already loaded or a GPU is asked for.
"""

import sys

import numpy as np

from glassnet._allocator import tune_if_requested
from glassnet._device import CPU, device
from glassnet._errors import GlassnetTypeError, GlassnetValueError

__all__ = [
    "namespace",
    "device_of",
    "get_default_dtype",
    "set_default_dtype",
    "manual_seed",
    "default_generator",
    "Generator",
    "generator_or_default",
    "to_numpy",
]

tune_if_requested()  # only when GLASSNET_HOST_ALLOCATOR=tuned asks (see glassnet._allocator)

_DEFAULT_DTYPE = np.dtype(np.float32)


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
    """The :class:`~glassnet.device` of ``array``: ``cpu`` for NumPy arrays, ``cuda:N`` for
    CuPy arrays (a device compares equal to its string, ``'cpu'``)."""
    if namespace(array) is np:
        return CPU
    return device("cuda", array.device.id)


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


class Generator(np.random.Generator):
    """PyTorch's ``torch.Generator``, on NumPy's PCG64: a NumPy generator that can be reseeded.

    ``g = gn.Generator().manual_seed(0)`` then ``gn.rand(3, generator=g)``; anything that
    takes a ``numpy.random.Generator`` takes it too. The numbers differ from PyTorch's (another
    algorithm); the same seed gives the same numbers in glassnet.
    """

    def __init__(self, device="cpu"):
        super().__init__(np.random.PCG64())
        self.device = CPU if device is None else _host_device(device)
        self._initial_seed = None

    def manual_seed(self, seed):
        """Restart the stream from ``seed`` (a non-negative int); returns self."""
        seed = int(seed)
        if seed < 0:
            raise GlassnetValueError(f"manual_seed: the seed must be a non-negative int, got {seed}")
        self.bit_generator.state = np.random.PCG64(seed).state
        self._initial_seed = seed
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed last given to :meth:`manual_seed` (None if never seeded)."""
        return self._initial_seed

    def get_state(self):
        """The generator's position (a dict, NumPy's format), for :meth:`set_state`."""
        return self.bit_generator.state

    def set_state(self, state):
        self.bit_generator.state = state
        return self


def _host_device(target):
    target = device(target)
    if target.type != "cpu":
        raise GlassnetValueError(f"Generator: glassnet draws every random number on the host (device 'cpu'), "
                                 f"also for tensors on a GPU; got device={target!r}: write gn.Generator()")
    return target


_generator = Generator()


def manual_seed(seed):
    """Seed glassnet's one random generator (used by rand, randn, init, dropout, shuffling,
    and for tensors on every device). Returns that generator (a :class:`Generator`).

    The same seed gives the same draws on every run, so the same initial weights and
    the same batches.

    Args:
        seed: a non-negative int; the stream restarts from it (PCG64).

    Returns:
        The default ``gn.Generator``, now seeded (``initial_seed()`` gives ``seed`` back).

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> a = gn.rand(3)
        >>> _ = gn.manual_seed(0)
        >>> b = gn.rand(3)
        >>> gn.equal(a, b), a.shape
        (True, (3,))
        >>> _ = gn.manual_seed(42)
        >>> first = gn.nn.Linear(2, 2).weight        # the same seed, the same initial weights
        >>> _ = gn.manual_seed(42)
        >>> gn.equal(gn.nn.Linear(2, 2).weight, first)
        True
    """
    return _generator.manual_seed(seed)


def default_generator():
    """The :class:`Generator` every glassnet random draw comes from unless one is given."""
    return _generator


def generator_or_default(generator, who):
    """``generator`` (a :class:`Generator` or any ``numpy.random.Generator``), or the
    default one when None."""
    if generator is None:
        return _generator
    if not isinstance(generator, np.random.Generator):
        raise GlassnetTypeError(f"{who}: generator must be a gn.Generator (or a numpy.random.Generator), "
                                f"got {type(generator).__name__}")
    return generator
