"""Conversions between dtypes and devices, PyTorch's way (mixed into
:class:`~glassnet.autograd.Tensor`): ``to``, ``type``, ``float``/``double``/``long``/…,
``cpu`` and ``cuda``. Each calls ``glassnet.ops`` (``cast``, ``to_device``, ``clone``),
installed here when ops loads."""

import numpy as np

from glassnet._device import device
from glassnet._dtypes import DTYPES, dtype_named, legacy_type_name
from glassnet._errors import GlassnetValueError

__all__ = ["ConversionMethods"]

ops = None  # glassnet.ops, installed with it (see glassnet.autograd._tensor.install_ops)


class ConversionMethods:
    """``to``, ``type`` and the dtype and device shorthands."""

    __slots__ = ()

    def astype(self, dtype):
        """A copy in ``dtype``; differentiable between floating dtypes."""
        return ops.cast(self, np.dtype(dtype))

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
        """PyTorch's ``to``: ``t.to(gn.float64)``, ``t.to("cpu")``, ``t.to(gn.device("cuda"))``,
        ``t.to(device, dtype)``, ``t.to(other)`` (other's device and dtype), or keywords.
        Returns self when nothing changes (a copy with ``copy=True``)."""
        for arg in args:
            if hasattr(arg, "_ctx"):  # another tensor: its device and dtype
                device, dtype = arg.device, arg.dtype
            elif _names_device(arg):
                device = arg
            else:
                dtype = _as_dtype(arg)
        out = self if device is None else ops.to_device(self, device)
        out = out if dtype is None else out.astype(dtype)
        return ops.clone(out) if copy and out is self else out

    def type(self, dtype=None, non_blocking=False):
        """Without an argument, PyTorch's legacy type name (``'torch.FloatTensor'``, which
        programs compare against); with a dtype, a legacy type or its name, the converted tensor."""
        if dtype is None:
            return legacy_type_name(self.dtype)
        if isinstance(dtype, str) and dtype not in DTYPES:
            dtype = dtype_named(dtype)
        return self.astype(getattr(dtype, "dtype", dtype))

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def half(self):
        return self.astype(np.float16)

    def long(self):
        return self.astype(np.int64)

    def int(self):
        return self.astype(np.int32)

    def short(self):
        return self.astype(np.int16)

    def char(self):
        return self.astype(np.int8)

    def byte(self):
        return self.astype(np.uint8)

    def bool(self):
        return self.astype(np.bool_)

    def cpu(self):
        return ops.to_device(self, "cpu")

    def cuda(self, device=None, non_blocking=False):
        return ops.to_device(self, "cuda" if device is None else _cuda_device(device))


def _names_device(arg):
    """True for what ``to`` reads as a device: a device, an int (a GPU), or a string naming one."""
    if isinstance(arg, (device, int)) and not isinstance(arg, bool):
        return True
    return isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps")


def _as_dtype(arg):
    if isinstance(arg, str) and arg not in DTYPES:
        try:
            return np.dtype(arg)
        except TypeError:
            raise GlassnetValueError(f"to: unknown device {arg!r}; use 'cpu' or 'cuda' (or a dtype such as "
                                     "gn.float64)") from None
    return arg


def _cuda_device(target):
    return device("cuda", target) if isinstance(target, int) else device(target)
