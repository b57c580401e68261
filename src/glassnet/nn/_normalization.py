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
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn import _functional_norm as FN
from glassnet.nn._batchnorm import RunningStats
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LayerNorm", "RMSNorm"]


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


class _InstanceNorm(RunningStats, _AffineNorm):
    """Instance normalisation: each channel of each sample normalised over its positions,
    ``y = (x − mean) / √(var + eps) · γ + β`` (PyTorch's defaults: no γ, β — ``affine=False``
    — and no running statistics). With ``track_running_stats`` the buffers
    ``running_mean``, ``running_var``, ``num_batches_tracked`` are kept in training and used
    in evaluation, as PyTorch."""

    _d = 0

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._init_affine(self.num_features, affine, True, dtype, device)
        dtype = np.dtype(dtype or get_default_dtype())
        self._init_running_stats(self.num_features, dtype, track_running_stats)

    def forward(self, input):
        name = type(self).__name__
        if input.ndim not in (self._d + 1, self._d + 2):
            raise ShapeError(f"{name}: expected input (N, C, *{self._d} positions) or (C, *positions), got "
                             f"{tuple(input.shape)}")
        unbatched = input.ndim == self._d + 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and self.affine:
            raise ShapeError(f"{name}({self.num_features}): the input {tuple(input.shape)} has {x.shape[1]} "
                             f"channels")
        # num_batches_tracked stays 0, as PyTorch's instance norm leaves it
        use_input_stats = self.training or not self.track_running_stats
        y = FN.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                             use_input_stats, self.momentum, self.eps)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) (or (C, L)): each (sample, channel) over its L positions."""

    _d = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) (or (C, H, W)): each (sample, channel) over its H·W
    pixels — the normalisation of style-transfer networks.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([[[[1.0, 3.0]], [[0.0, 10.0]]]])       # (1, 2, 1, 2)
        >>> print(gn.nn.InstanceNorm2d(2)(x).numpy().round(3))
        [[[[-1.  1.]]
        <BLANKLINE>
          [[-1.  1.]]]]
    """

    _d = 2



class InstanceNorm3d(_InstanceNorm):
    """Instance norm of (N, C, D, H, W) (or (C, D, H, W)): each (sample, channel) over its
    D·H·W voxels — the normalisation of 3-D segmentation networks."""

    _d = 3
