"""Parameter: a Tensor that a Module registers as learnable; the lazy modules' placeholders."""

import numpy as np

from glassnet._backend import get_default_dtype, namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor

__all__ = ["Parameter", "UninitializedBuffer", "UninitializedParameter"]


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that modules collect.

    ``Parameter(tensor_or_array)`` shares the data of what it wraps.
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        array = data.array if isinstance(data, Tensor) else data
        super().__init__(array, requires_grad=requires_grad)
        if isinstance(data, Tensor):
            self.array = data.array

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class _PlaceholderArray(np.ndarray):
    """The placeholder's empty array: NumPy refuses to compute with it, so an op given an
    uninitialized parameter raises instead of quietly returning an empty result."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise _use_error(ufunc.__name__)

    def __array_function__(self, func, types, args, kwargs):
        raise _use_error(func.__name__)


def _use_error(operation):
    return GlassnetValueError(
        f"{operation}: got an uninitialized parameter or buffer (a lazy module's placeholder); call the "
        "lazy module's forward with a dummy batch to materialize it before computing with it")


def _placeholder(dtype):
    return np.empty((0,), dtype=np.dtype(dtype or get_default_dtype())).view(_PlaceholderArray)


class _Uninitialized:
    """A placeholder without a shape yet (PyTorch's ``UninitializedTensorMixin``): it keeps its
    dtype (``.double()`` and ``.to`` apply to it), its object identity (an optimizer built
    from it keeps working) and becomes a plain tensor of ``shape`` at :meth:`materialize`."""

    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Allocate an (uninitialised) array of ``shape`` and become ``cls_to_become``."""
        xp = namespace(np.asarray(self.array))
        self.array = xp.empty(tuple(int(s) for s in shape), dtype=dtype or self.array.dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise GlassnetValueError(
            f"{type(self).__name__}: can't access the shape of an uninitialized parameter or buffer; "
            "call the lazy module's forward with a dummy batch (or load a state dict) to materialize it")

    def detach(self):
        return type(self)(requires_grad=False, dtype=self.array.dtype)

    def __repr__(self):
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """The weight of a lazy module before its first forward (PyTorch's name); a
    :class:`Parameter` after :meth:`materialize`."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(_placeholder(dtype), requires_grad)
        self.array = _placeholder(dtype)  # Tensor() would copy it into a plain array


class UninitializedBuffer(_Uninitialized, Tensor):
    """A running statistic of a lazy module before its first forward (PyTorch's name); a
    plain :class:`Tensor` after :meth:`materialize`."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        super().__init__(_placeholder(dtype), requires_grad=requires_grad)
        self.array = _placeholder(dtype)
