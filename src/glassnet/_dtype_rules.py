"""PyTorch's dtype questions (``torch.promote_types``, ``result_type``, ``can_cast``) answered
with the rules glassnet's ops follow (:func:`glassnet.ops._convert.result_type`), and the
float32 matmul precision setting, which glassnet records but does not need: NumPy's float32
products are always computed in full float32 ("highest")."""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import _group_type
from glassnet.ops._convert import result_type as _tensors_result_type

__all__ = ["can_cast", "get_float32_matmul_precision", "promote_types", "result_type",
           "set_float32_matmul_precision"]

_PRECISIONS = ("highest", "high", "medium")
_precision = ["highest"]


def promote_types(type1, type2):
    """The dtype two dtypes promote to under PyTorch's rules: an integer or bool meeting a
    floating dtype gives that floating dtype (``int32, float32 → float32``, where NumPy
    says float64); otherwise NumPy's promotion (``uint8, int8 → int16``).

    Example:
        >>> gn.promote_types(gn.int32, gn.float32)
        dtype('float32')
    """
    return _group_type([np.dtype(type1), np.dtype(type2)])


def _as_operand(value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, bool):
        return Tensor._wrap(np.asarray(value), False, None)
    if isinstance(value, int):
        return Tensor._wrap(np.asarray(value, dtype=np.int64), False, None)
    if isinstance(value, float):
        return Tensor._wrap(np.asarray(value, dtype=get_default_dtype()), False, None)
    if isinstance(value, complex):
        return Tensor._wrap(np.asarray(value, dtype=np.complex64), False, None)
    raise GlassnetValueError(f"result_type: expected tensors or Python numbers, got {type(value).__name__}")


def result_type(tensor1, tensor2):
    """The dtype an op on ``tensor1`` and ``tensor2`` (tensors or Python numbers) gives:
    tensors with dimensions decide first, 0-d tensors and numbers only when their kind
    ranks higher (``float32 tensor, 2.0 → float32``; ``int64 tensor, 2.5 → float32``).

    Example:
        >>> gn.result_type(gn.tensor([1, 2]), 2.5)
        dtype('float32')
    """
    return _tensors_result_type(_as_operand(tensor1), _as_operand(tensor2))


_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow ``from_`` → ``to`` in an op with ``out=`` or in
    place: never to a lower kind (floating → integer, complex → floating, anything → bool).

    Example:
        >>> gn.can_cast(gn.float64, gn.int32), gn.can_cast(gn.int32, gn.float16)
        (False, True)
    """
    return _RANK[np.dtype(from_).kind] <= _RANK[np.dtype(to).kind]


def set_float32_matmul_precision(precision):
    """Record PyTorch's float32 matmul precision ("highest", "high" or "medium"). glassnet
    computes float32 products in full float32 whatever the setting (NumPy has no TF32 or
    bfloat16 paths), which is what "highest" asks for — so the numbers never change."""
    if precision not in _PRECISIONS:
        raise GlassnetValueError(f"set_float32_matmul_precision: precision must be one of {_PRECISIONS}, "
                                 f"got {precision!r}")
    _precision[0] = precision


def get_float32_matmul_precision():
    """The precision last set (default "highest"); see :func:`set_float32_matmul_precision`."""
    return _precision[0]
