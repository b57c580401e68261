"""Devices, PyTorch's way: ``gn.device("cpu")``, ``gn.device("cuda:0")``, the default device.

A :class:`device` is also the string it prints as (``"cpu"``, ``"cuda:0"``), so code that
compares ``t.device == "cpu"`` or passes ``"cuda"`` keeps working; ``.type`` and
``.index`` read as PyTorch's. NumPy arrays live on ``cpu``; CuPy arrays on ``cuda:N``.
CuPy is imported only when :func:`cupy_and_count` is first asked whether a GPU exists
(by :mod:`glassnet.cuda` or by a move to ``"cuda"``), never by ``import glassnet``.
"""

import functools
import importlib

from glassnet._errors import GlassnetError, GlassnetTypeError, GlassnetValueError

__all__ = ["DeviceUnavailableError", "device", "get_default_device", "set_default_device", "CPU",
           "cupy_and_count", "require_gpu"]

_KINDS = ("cpu", "cuda", "mps")
GPU_INSTALL_HINT = ('install CuPy with glassnet\'s GPU extra (pip install "glassnet[gpu]") on a machine with '
                    'an NVIDIA GPU, or stay on "cpu" (check gn.cuda.is_available() first)')


class DeviceUnavailableError(GlassnetError, RuntimeError):
    """A device was asked for that this machine cannot provide (PyTorch raises a
    RuntimeError there too)."""


class device(str):  # noqa: N801  (PyTorch's name)
    """Where a tensor's memory lives: ``device("cpu")``, ``device("cuda")``, ``device("cuda", 1)``.

    ``type`` is ``"cpu"``, ``"cuda"`` or ``"mps"``; ``index`` the GPU's number or None.
    As a context manager (``with gn.device("cpu"):``) it is the default device inside.
    """

    def __new__(cls, type, index=None):  # noqa: A002  (PyTorch's argument name)
        if isinstance(type, device) and index is None:
            return type
        if isinstance(type, int) and not isinstance(type, bool):  # device(0) is cuda:0, as PyTorch
            type, index = "cuda", type
        if not isinstance(type, str):
            raise GlassnetTypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {type!r}")
        kind, colon, number = type.partition(":")
        if kind not in _KINDS:
            raise GlassnetValueError(f"device: unknown device type {kind!r} in {type!r}; glassnet knows "
                                     "'cpu' and 'cuda' (a GPU through CuPy); 'mps' is never available")
        if colon:
            if index is not None or not number.isdigit():
                raise GlassnetValueError(f"device: {type!r} is not a device string; write 'cuda' or 'cuda:0'")
            index = int(number)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise GlassnetValueError(f"device: the index must be a non-negative int, got {index!r}")
        self = super().__new__(cls, kind if index is None else f"{kind}:{index}")
        self._kind, self._index, self._outer = kind, index, []
        return self

    @property
    def type(self):
        """``"cpu"``, ``"cuda"`` or ``"mps"``."""
        return self._kind

    @property
    def index(self):
        """The GPU's number (``cuda:1`` → 1), or None when not given."""
        return self._index

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._kind}')"
        return f"device(type='{self._kind}', index={self._index})"

    def __reduce__(self):
        return (device, (self._kind, self._index))

    def __enter__(self):
        self._outer.append(get_default_device())
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        set_default_device(self._outer.pop())


CPU = device("cpu")
_default = [CPU]


def get_default_device():
    """The device new tensors are made on when no ``device=`` is given (``cpu`` unless set)."""
    return _default[0]


def set_default_device(target):
    """Make new tensors on ``target`` by default (None → ``cpu``). A GPU that is not there
    fails when the first tensor is made, as in PyTorch."""
    _default[0] = CPU if target is None else device(target)


@functools.cache
def cupy_and_count():
    """(the cupy module or None, the number of GPUs it sees, why there is none)."""
    try:
        cupy = importlib.import_module("cupy")
    except ImportError:
        return None, 0, "CuPy is not installed"
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # noqa: BLE001 - any CUDA runtime failure (no driver, no device) means none
        return cupy, 0, f"CuPy is installed but finds no usable GPU ({type(exc).__name__}: {exc})"
    return cupy, count, None if count else "CuPy is installed but finds no GPU"


def require_gpu(who):
    """The cupy module, or the error PyTorch raises on a machine without a GPU (saying why
    and how to get one)."""
    cupy, count, why = cupy_and_count()
    if not count:
        raise DeviceUnavailableError(f"{who}: no CUDA GPU is available to glassnet: {why}; "
                                     f"{GPU_INSTALL_HINT}")
    return cupy
