"""Dense layers and shape helpers: Linear, Identity, Flatten."""

import math

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import ShapeError
from glassnet.nn import init
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter
from glassnet.ops import flatten
from glassnet.ops._linear import LinearOp, check_dtypes

__all__ = ["Linear", "Identity", "Flatten", "Unflatten"]


class Linear(Module):
    """``y = x · Wᵀ + b`` — the column view ``z = W·x + b`` applied to every row of x.

    weight (out_features, in_features), bias (out_features,); input (..., in_features)
    of the weight's dtype → output (..., out_features). Initialised like PyTorch: ``W, b ~ U(-1/√in, 1/√in)``.

    Args:
        in_features: the size of each input sample (the weight's columns).
        out_features: the size of each output sample (the weight's rows).
        bias: whether to add a learned bias ``b`` (default True).
        dtype: the parameters' dtype (default: glassnet's default dtype, float32).

    Shape:
        input ``(*, in_features)`` → output ``(*, out_features)``; ``*`` is any number of
        leading dimensions (a batch of N samples: ``(N, in_features)``).

    Example:
        >>> import glassnet as gn
        >>> layer = gn.nn.Linear(3, 4)
        >>> layer.weight.shape, layer.bias.shape
        ((4, 3), (4,))
        >>> layer(gn.ones(2, 3)).shape
        (2, 4)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:  # PyTorch's positional order: (in, out, bias, device, dtype)
            self.to(str(device))

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ShapeError(
                f"Linear({self.in_features}→{self.out_features}): expected input "
                f"(..., {self.in_features}), got {tuple(x.shape)} — the last dimension must "
                f"equal in_features (did the previous layer output {x.shape[-1] if x.ndim else 1} "
                "features, or does the input need flattening?)"
            )
        weight = self.weight  # read once: a parametrized weight (spectral_norm) is recomputed per read
        if x.dtype != weight.dtype:
            check_dtypes(x, weight, f"Linear({self.in_features}→{self.out_features})")
        bias = self.bias
        if bias is None:
            return LinearOp.apply(x, weight)
        return LinearOp.apply(x, weight, bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` (default: all but the batch axis)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``: (N, C·H·W) → (N, C, H, W) with
    ``Unflatten(1, (C, H, W))`` — the inverse of :class:`Flatten`."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        dim = self.dim % x.ndim
        return x.reshape(*x.shape[:dim], *self.unflattened_size, *x.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
