"""Convolution layers: Conv1d and Conv2d (PyTorch's names, layouts and initialisation)."""

import math

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn import _functional_conv as FC
from glassnet.nn import init
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["Conv1d", "Conv2d"]


class _ConvNd(Module):
    _d = 0
    _layout = ""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", dtype=None):
        super().__init__()
        name = type(self).__name__
        if padding_mode != "zeros":
            raise GlassnetValueError(f"{name}: only padding_mode='zeros' is supported, got "
                                     f"{padding_mode!r}")
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise GlassnetValueError(
                f"{name}: in_channels {in_channels} and out_channels {out_channels} must both "
                f"be divisible by groups {groups}")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), groups
        self.kernel_size = FC.tuple_arg(kernel_size, self._d, name, "kernel_size")
        self.stride = FC.tuple_arg(stride, self._d, name, "stride")
        self.dilation = FC.tuple_arg(dilation, self._d, name, "dilation")
        self.padding = padding if isinstance(padding, str) else FC.tuple_arg(padding, self._d, name,
                                                                             "padding")
        FC.conv_padding(self.padding, self._d, self.kernel_size, self.stride, self.dilation, name)
        dtype = np.dtype(dtype or get_default_dtype())
        shape = (self.out_channels, self.in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: ``W ~ kaiming_uniform(a=√5)`` (= U(±1/√fan_in)), ``b ~ U(±1/√fan_in)``
        with ``fan_in = in_channels/groups · ∏kernel``."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _check(self, x):
        if x.ndim != self._d + 2 or x.shape[1] != self.in_channels:
            want = self._layout.replace("C", str(self.in_channels))
            hint = ""
            if x.ndim == self._d + 1 and self.in_channels == 1:
                hint = " — add the channel axis (x.unsqueeze(1)) or, for one sample, the batch axis"
            elif x.ndim == self._d + 1:
                hint = " — add the batch axis (x.unsqueeze(0))"
            elif x.ndim == self._d + 2:
                hint = f" — the input has {x.shape[1]} channels, the layer was built for {self.in_channels}"
            raise ShapeError(f"{type(self).__name__}({self.in_channels}→{self.out_channels}): "
                             f"expected input {want}, got {tuple(x.shape)}{hint}")

    def extra_repr(self):
        parts = [f"{self.in_channels}, {self.out_channels}", f"kernel_size={self.kernel_size}",
                 f"stride={self.stride}"]
        if self.padding not in ("valid", (0,) * self._d):
            parts.append(f"padding={self.padding!r}" if isinstance(self.padding, str)
                         else f"padding={self.padding}")
        if self.dilation != (1,) * self._d:
            parts.append(f"dilation={self.dilation}")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) → (N, C_out, L_out) as im2col + one GEMM.

    weight (C_out, C_in/groups, k), bias (C_out,). ``L_out = ⌊(L + 2p − d·(k−1) − 1)/s⌋ + 1``;
    ``padding`` may be an int, ``"same"`` (stride 1) or ``"valid"``.
    """

    _d = 1
    _layout = "(N, C, L)"

    def forward(self, x):
        self._check(x)
        return FC.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                         self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) → (N, C_out, H_out, W_out) as im2col + one GEMM.

    weight (C_out, C_in/groups, kh, kw), bias (C_out,). Each output cell is the dot product
    of one filter with the patch under it; all of them at once are ``cols · W₂ᵀ`` with
    ``cols (N·H_out·W_out, C_in·kh·kw)`` and ``W₂ = weight.reshape(C_out, -1)``.

    Args:
        in_channels: channels of the input ``C_in``.
        out_channels: channels of the output ``C_out`` (the number of filters).
        kernel_size: the filter's size ``(kh, kw)``, or one int for both.
        stride: the step between patches (int or pair, default 1).
        padding: zeros added on each side (int, pair, ``"same"`` or ``"valid"``; default 0).
        dilation: spacing between the filter's taps (default 1).
        groups: split the channels into this many independent groups (default 1).
        bias: whether to add a learned bias per output channel (default True).
        padding_mode: ``"zeros"`` (or PyTorch's other modes where supported).
        dtype: the parameters' dtype (default: glassnet's default dtype).

    Shape:
        input ``(N, C_in, H, W)`` → output ``(N, C_out, H_out, W_out)`` with
        ``H_out = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1`` (W_out alike).

    Example:
        >>> import glassnet as gn
        >>> conv = gn.nn.Conv2d(1, 16, 3, padding=1)
        >>> conv.weight.shape
        (16, 1, 3, 3)
        >>> conv(gn.randn(8, 1, 28, 28)).shape
        (8, 16, 28, 28)
    """

    _d = 2
    _layout = "(N, C, H, W)"

    def forward(self, x):
        self._check(x)
        return FC.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                         self.groups)
