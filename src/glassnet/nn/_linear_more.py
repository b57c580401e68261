"""More dense layers: Bilinear (``y = x1ᵀ·A·x2 + b``); LazyLinear is in ``_lazy_layers``."""

import math

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet.nn import init
from glassnet.nn._functional_bilinear import bilinear
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["Bilinear"]


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
