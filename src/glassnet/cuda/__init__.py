"""``gn.cuda``: PyTorch's questions about NVIDIA GPUs, answered truthfully.

glassnet computes on a GPU through CuPy. ``is_available()`` is True only when CuPy imports
*and* sees at least one GPU; CuPy is imported the first time one of these functions is
called, never by ``import glassnet``. On a machine without either, every answer says so
and tensors stay on the NumPy backend (``"cpu"``).

>>> import glassnet as gn
>>> device = gn.device("cuda" if gn.cuda.is_available() else "cpu")
"""

from glassnet._device import cupy_and_count, device
from glassnet._device import require_gpu as require
from glassnet.cuda import amp

__all__ = ["amp", "current_device", "device_count", "empty_cache", "get_device_name", "is_available",
           "is_bf16_supported", "manual_seed", "manual_seed_all", "synchronize"]


def is_available():
    """True when a GPU can be used: CuPy imports and sees at least one device."""
    return cupy_and_count()[1] > 0


def is_bf16_supported(including_emulation=True):
    """False: glassnet has no bfloat16 (NumPy has none), on a GPU or off it — so programs
    that pick ``bfloat16 if torch.cuda.is_bf16_supported() else float16`` take the branch
    that exists (PyTorch on a machine without a GPU answers False too)."""
    return False


def device_count():
    """How many GPUs CuPy sees (0 without CuPy or without a GPU)."""
    return cupy_and_count()[1]


def current_device():
    """The number of the GPU CuPy computes on."""
    return int(require("cuda.current_device").cuda.runtime.getDevice())


def get_device_name(index=None):
    """The GPU's name, e.g. ``'NVIDIA H100 80GB HBM3'``."""
    cupy = require("cuda.get_device_name")
    number = current_device() if index is None else device(index).index or 0
    name = cupy.cuda.runtime.getDeviceProperties(number)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(index=None):
    """Wait until the GPU has finished its queued work."""
    require("cuda.synchronize").cuda.Device().synchronize()


def empty_cache():
    """Hand CuPy's cached, unused GPU memory back to the driver (nothing to do without a GPU)."""
    if is_available():
        cupy_and_count()[0].get_default_memory_pool().free_all_blocks()


def manual_seed(seed):
    """Accepted for PyTorch programs; does nothing. glassnet draws every random number — for
    tensors on a GPU too — from the one host generator that ``gn.manual_seed`` seeds, so
    seeding that one makes GPU runs reproducible."""
    int(seed)


def manual_seed_all(seed):
    """As :func:`manual_seed` (glassnet has no per-GPU generators to seed)."""
    int(seed)
