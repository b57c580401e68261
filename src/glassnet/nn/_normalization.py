"""LayerNorm, GroupNorm and RMSNorm: per-sample normalisation (no running statistics).

Unlike batch norm these normalise each sample on its own, so they behave the same in
training and evaluation and at any batch size. Formulas (composed from primitives, see
:mod:`glassnet.nn._functional_norm`)::

    LayerNorm:  y = (x − E[x]) / √(Var[x] + eps) · γ + β   over the last len(D) axes
    GroupNorm:  the same over each group of C/G channels (and all positions), per sample
    RMSNorm:    y = x / √(E[x²] + eps) · γ                 over the last len(D) axes

Parameter names and shapes are PyTorch's, so state dicts load as-is.
"""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.nn import _functional_norm as FN
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["GroupNorm", "LayerNorm", "RMSNorm"]


class _AffineNorm(Module):
    """What the three share: an optional γ (``weight``, ones) and β (``bias``, zeros) of
    one shape, and ``reset_parameters``."""

    def _init_affine(self, shape, weight, bias, dtype, device):
        """Register γ when ``weight``, β when ``weight and bias`` (None in their slots
        otherwise; ``bias=None`` makes no β slot at all); then move to ``device``."""
        dtype = np.dtype(dtype or get_default_dtype())
        self.register_parameter("weight", Parameter(np.ones(shape, dtype=dtype)) if weight else None)
        if bias is not None:
            beta = Parameter(np.zeros(shape, dtype=dtype)) if weight and bias else None
            self.register_parameter("bias", beta)
        if device is not None:
            self.to(str(device))

    def reset_parameters(self):
        """γ ← 1, β ← 0."""
        if self.weight is not None:
            self.weight.array[...] = 1
        if getattr(self, "bias", None) is not None:
            self.bias.array[...] = 0


class LayerNorm(_AffineNorm):
    """Layer normalisation over the trailing ``normalized_shape`` axes D.

    Input (*, *D) → output of the same shape. ``weight`` (γ, ones) and ``bias`` (β,
    zeros) have shape D when ``elementwise_affine`` (``bias=False`` drops β).
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = FN.as_shape(normalized_shape, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self._init_affine(self.normalized_shape, elementwise_affine, bias, dtype, device)

    def forward(self, input):
        return FN.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(_AffineNorm):
    """Group normalisation: the C channels of input (N, C, *) split into ``num_groups``
    groups, each normalised per sample over its channels and positions.

    Output: the input's shape. ``weight`` (γ, ones) and ``bias`` (β, zeros) have shape
    (C,) when ``affine`` (``bias=False`` drops β). ``GroupNorm(1, C)`` normalises each
    whole sample (like LayerNorm over (C, *) with per-channel γ, β); ``GroupNorm(C, C)``
    is instance norm.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise GlassnetValueError(
                f"GroupNorm: num_channels must be divisible by num_groups, got "
                f"num_channels={num_channels}, num_groups={num_groups}")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = eps, affine
        self._init_affine(self.num_channels, affine, bias, dtype, device)

    def forward(self, input):
        return FN.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(_AffineNorm):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` axes D
    (PyTorch ≥ 2.4): ``y = x / √(mean(x²) + eps) · γ``, no centring and no β.

    Input (*, *D) → output of the same shape; ``weight`` (γ, ones) of shape D when
    ``elementwise_affine``. ``eps=None`` uses the machine epsilon of the input's dtype.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = FN.as_shape(normalized_shape, "RMSNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self._init_affine(self.normalized_shape, elementwise_affine, None, dtype, device)

    def forward(self, input):
        return FN.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
