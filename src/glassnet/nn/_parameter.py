"""Parameter: a Tensor that a Module registers as learnable."""

from glassnet.autograd._tensor import Tensor

__all__ = ["Parameter"]


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
