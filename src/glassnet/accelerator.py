"""``gn.accelerator``: PyTorch's device-agnostic questions (is there an accelerator, which).

glassnet's one accelerator is an NVIDIA GPU through CuPy (:mod:`glassnet.cuda`); on a
machine without one, ``is_available()`` is False and ``current_accelerator()`` None, so
``gn.accelerator.current_accelerator().type if gn.accelerator.is_available() else "cpu"``
picks ``"cpu"``.
"""

from glassnet import cuda
from glassnet._device import device

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available"]


def is_available():
    """True when a GPU is usable (see :func:`glassnet.cuda.is_available`)."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``device('cuda')`` when a GPU is usable, else None."""
    return device("cuda") if cuda.is_available() else None


def device_count():
    """How many accelerators there are (GPUs CuPy sees)."""
    return cuda.device_count()


def current_device_index():
    """The number of the GPU in use (-1 on a machine without one)."""
    return cuda.current_device() if cuda.is_available() else -1
