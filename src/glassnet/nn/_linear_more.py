"""More dense layers: Bilinear (``y = x1ᵀ·A·x2 + b``) and LazyLinear (in_features from the
first input)."""

import math

import numpy as np

from glassnet._backend import get_default_dtype, namespace
from glassnet.nn import init
from glassnet.nn._functional_bilinear import bilinear
from glassnet.nn._linear import Linear
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["Bilinear", "LazyLinear"]


class Bilinear(Module):
    """``y_o = x1ᵀ·A_o·x2 + b_o``: one bilinear form per output feature.

    weight A (out_features, in1_features, in2_features), bias (out_features,), both
    ``U(−1/√in1, 1/√in1)`` as PyTorch.

    Args:
        in1_features: the size of each first input sample.
        in2_features: the size of each second input sample.
        out_features: the size of each output sample.
        bias: whether to add a learned bias (default True).
        dtype: the parameters' dtype (default: glassnet's default dtype).

    Shape:
        ``(*, in1)``, ``(*, in2)`` → ``(*, out)``.

    Example:
        >>> import glassnet as gn
        >>> layer = gn.nn.Bilinear(3, 4, 2)
        >>> layer.weight.shape, layer(gn.ones(5, 3), gn.ones(5, 4)).shape
        ((2, 3, 4), (5, 2))
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.empty((self.out_features, self.in1_features, self.in2_features), dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class LazyLinear(Linear):
    """A :class:`Linear` whose ``in_features`` is the last size of its first input.

    Until that first call ``in_features`` is 0 and the weight an empty
    (out_features, 0) placeholder (``.double()`` and ``.to`` already apply to it); the call
    allocates (out_features, in_features) and initialises weight and bias as ``Linear``
    does. Build the optimizer after that first call (a dummy batch will do), as with
    PyTorch's lazy modules.

    Args:
        out_features: the size of each output sample.
        bias: whether to add a learned bias (default True).
        dtype: the parameters' dtype (default: glassnet's default dtype).

    Example:
        >>> import glassnet as gn
        >>> layer = gn.nn.LazyLinear(4)
        >>> layer.in_features
        0
        >>> layer(gn.ones(2, 7)).shape, layer.weight.shape
        ((2, 4), (4, 7))
    """

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, out_features, bias, dtype=dtype)

    def reset_parameters(self):
        if self.in_features:
            super().reset_parameters()

    def has_uninitialized_params(self):
        """True until the first call has fixed ``in_features``."""
        return self.in_features == 0

    def initialize_parameters(self, input):  # noqa: A002  (PyTorch's name)
        """Allocate and initialise the weight for ``input``'s last size (the first call does)."""
        if not self.has_uninitialized_params():
            return
        self.in_features = int(input.shape[-1])
        xp = namespace(self.weight.array)
        self.weight.array = xp.empty((self.out_features, self.in_features), dtype=self.weight.dtype)
        self.reset_parameters()

    def forward(self, x):
        if self.has_uninitialized_params():
            self.initialize_parameters(x)
        return super().forward(x)
