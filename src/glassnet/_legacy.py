"""PyTorch's legacy tensor types: ``gn.FloatTensor([1, 2])``, ``gn.LongTensor(2, 3)``,
``isinstance(t, gn.FloatTensor)``, ``t.type(gn.DoubleTensor)``.

Each is a constructor that makes an ordinary :class:`~glassnet.Tensor` of one dtype; as in
PyTorch, ``isinstance`` asks whether a tensor has that dtype. Called with numbers only it
makes an uninitialised tensor of that size (``FloatTensor(2, 3)``); with a list, array or
tensor it copies the data.
"""

import numpy as np

from glassnet._creation import empty, tensor
from glassnet._dtypes import legacy_type_name
from glassnet.autograd._tensor import Tensor

__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
           "LongTensor", "ShortTensor"]


class _LegacyType(type):
    """The metaclass: ``isinstance(t, FloatTensor)`` is ``t.dtype == float32``."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class '{legacy_type_name(cls.dtype)}'>"


class _LegacyTensor(metaclass=_LegacyType):
    dtype = None

    def __new__(cls, *args, device=None):
        if not args:
            return empty(0, dtype=cls.dtype, device=device)
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return empty(*args, dtype=cls.dtype, device=device)
        (data,) = args
        return tensor(data, dtype=cls.dtype, device=device)


class FloatTensor(_LegacyTensor):
    """float32 (PyTorch's ``torch.FloatTensor``)."""

    dtype = np.dtype(np.float32)


class DoubleTensor(_LegacyTensor):
    """float64."""

    dtype = np.dtype(np.float64)


class HalfTensor(_LegacyTensor):
    """float16."""

    dtype = np.dtype(np.float16)


class LongTensor(_LegacyTensor):
    """int64."""

    dtype = np.dtype(np.int64)


class IntTensor(_LegacyTensor):
    """int32."""

    dtype = np.dtype(np.int32)


class ShortTensor(_LegacyTensor):
    """int16."""

    dtype = np.dtype(np.int16)


class CharTensor(_LegacyTensor):
    """int8."""

    dtype = np.dtype(np.int8)


class ByteTensor(_LegacyTensor):
    """uint8."""

    dtype = np.dtype(np.uint8)


class BoolTensor(_LegacyTensor):
    """bool."""

    dtype = np.dtype(np.bool_)
