"""The lazy layers: Linear, Conv, ConvTranspose, BatchNorm and InstanceNorm whose input size
(``in_features`` / ``in_channels`` / ``num_features``) comes from their first input. Each is
``LazyModuleMixin`` before its eager class and becomes that class at the first forward."""

from glassnet._errors import GlassnetValueError
from glassnet.nn._batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from glassnet.nn._conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from glassnet.nn._lazy import LazyModuleMixin
from glassnet.nn._linear import Linear
from glassnet.nn._normalization import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LazyLinear"]

_NORM_STATE = ("weight", "bias", "running_mean", "running_var")


class LazyLinear(LazyModuleMixin, Linear):
    """A :class:`Linear` whose ``in_features`` is the last size of its first input.

    Until then ``in_features`` is 0 and weight and bias are :class:`UninitializedParameter`
    placeholders; the first call makes weight (out_features, in_features), initializes both as
    ``Linear`` does and turns the module into a ``Linear``.

    Example:
        >>> import glassnet as gn
        >>> layer = gn.nn.LazyLinear(4)
        >>> layer.in_features, layer.has_uninitialized_params()
        (0, True)
        >>> layer(gn.ones(2, 7)).shape, layer.weight.shape, type(layer).__name__
        ((2, 4), (4, 7), 'Linear')
    """

    cls_to_become = Linear
    _lazy_in_attr = "in_features"

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, out_features, bias, device=device, dtype=dtype)
        self._make_lazy(("weight", "bias"))

    def _lazy_in_size(self, input):  # noqa: A002
        return int(input.shape[-1])

    def _lazy_shapes(self):
        return {"weight": (self.out_features, self.in_features), "bias": (self.out_features,)}


class _LazyConvMixin(LazyModuleMixin):
    """``in_channels`` from the input's channel axis (axis 0 when unbatched); weight
    (C_out, C_in/groups, *k), or (C_in, C_out/groups, *k) when transposed; bias (C_out,)."""

    _lazy_in_attr = "in_channels"

    def __init__(self, out_channels, kernel_size, *args, device=None, **kwargs):
        super().__init__(0, out_channels, kernel_size, *args, **kwargs)
        self._make_lazy(("weight", "bias"))
        if device is not None:
            self.to(str(device))

    def _lazy_in_size(self, input):  # noqa: A002
        channels = int(input.shape[0] if input.ndim == self._d + 1 else input.shape[1])
        if channels % self.groups:
            raise GlassnetValueError(f"{type(self).__name__}: the input {tuple(input.shape)} has {channels} "
                                     f"channels, which groups={self.groups} does not divide")
        return channels

    def _lazy_shapes(self):
        c_in, c_out, g = self.in_channels, self.out_channels, self.groups
        weight = (c_in, c_out // g) if self._transposed else (c_out, c_in // g)
        return {"weight": (*weight, *self.kernel_size), "bias": (c_out,)}


class LazyConv1d(_LazyConvMixin, Conv1d):
    """:class:`Conv1d` with ``in_channels`` from the first input; becomes a ``Conv1d``."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvMixin, Conv2d):
    """:class:`Conv2d` with ``in_channels`` from the first input; becomes a ``Conv2d``.

    Example:
        >>> import glassnet as gn
        >>> conv = gn.nn.LazyConv2d(6, kernel_size=5, padding=2)
        >>> conv(gn.ones(1, 3, 8, 8)).shape, conv.weight.shape, type(conv).__name__
        ((1, 6, 8, 8), (6, 3, 5, 5), 'Conv2d')
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvMixin, Conv3d):
    """:class:`Conv3d` with ``in_channels`` from the first input; becomes a ``Conv3d``."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """:class:`ConvTranspose1d` with ``in_channels`` from the first input; becomes one."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """:class:`ConvTranspose2d` with ``in_channels`` from the first input; becomes one."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvMixin, ConvTranspose3d):
    """:class:`ConvTranspose3d` with ``in_channels`` from the first input; becomes one."""

    cls_to_become = ConvTranspose3d


class _LazyNormMixin(LazyModuleMixin):
    """``num_features`` from the input's channel axis; γ = 1, β = 0, running mean 0 and
    variance 1 of that size. PyTorch's lazy instance norms default to ``affine=True,
    track_running_stats=True`` (unlike the eager ones); these do too."""

    _lazy_in_attr = "num_features"

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None):
        super().__init__(0, eps, momentum, affine, track_running_stats, dtype=dtype)
        self._make_lazy(_NORM_STATE)
        if device is not None:
            self.to(str(device))

    def _lazy_in_size(self, input):  # noqa: A002
        unbatched = input.ndim == getattr(self, "_d", -1) + 1  # instance norm's (C, *positions)
        return int(input.shape[0] if unbatched else input.shape[1])

    def _lazy_shapes(self):
        return dict.fromkeys(_NORM_STATE, (self.num_features,))

    def reset_parameters(self):
        """γ ← 1, β ← 0 and the running statistics reset (once materialized)."""
        if self.has_uninitialized_params() or self.num_features == 0:
            return
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.array[...] = 1
            self.bias.array[...] = 0


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """:class:`BatchNorm1d` with ``num_features`` from the first input; becomes one."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """:class:`BatchNorm2d` with ``num_features`` from the first input; becomes one.

    Example:
        >>> import glassnet as gn
        >>> bn = gn.nn.LazyBatchNorm2d()
        >>> bn(gn.ones(2, 3, 4, 4)).shape, bn.running_mean.shape, type(bn).__name__
        ((2, 3, 4, 4), (3,), 'BatchNorm2d')
    """

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """:class:`BatchNorm3d` with ``num_features`` from the first input; becomes one."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormMixin, InstanceNorm1d):
    """:class:`InstanceNorm1d` with ``num_features`` from the first input; becomes one."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormMixin, InstanceNorm2d):
    """:class:`InstanceNorm2d` with ``num_features`` from the first input; becomes one."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormMixin, InstanceNorm3d):
    """:class:`InstanceNorm3d` with ``num_features`` from the first input; becomes one."""

    cls_to_become = InstanceNorm3d
