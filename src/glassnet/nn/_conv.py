"""Convolution layers: Conv1d and Conv2d (PyTorch's names, layouts and initialisation)."""

import math

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn import _functional_conv as FC
from glassnet.nn import _functional_resample as FC_T
from glassnet.nn import init
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


class _ConvNd(Module):
    _d = 0
    _layout = ""
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", dtype=None):
        super().__init__()
        name = type(self).__name__
        modes = ("zeros",) if self._transposed else ("zeros", "reflect", "replicate", "circular")
        if padding_mode not in modes:
            raise GlassnetValueError(f"{name}: padding_mode must be one of {modes}, got {padding_mode!r}"
                                     + (" (PyTorch's transposed convolutions pad with zeros only)"
                                        if self._transposed else ""))
        self.padding_mode = padding_mode
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
        if self._transposed:  # (C_in, C_out/groups, *k), PyTorch's layout for transposed convolutions
            shape = (self.in_channels, self.out_channels // groups, *self.kernel_size)
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

    def _padded(self, x):
        """``(input, padding)`` for the convolution: with ``padding_mode`` other than zeros the
        input is padded here by :func:`~glassnet.nn.functional.pad` in that mode (PyTorch's
        order) and the convolution itself pads nothing."""
        if self.padding_mode == "zeros":
            return x, self.padding
        pads = FC.conv_padding(self.padding, self._d, self.kernel_size, self.stride, self.dilation,
                               type(self).__name__)
        flat = tuple(w for lo_hi in reversed(pads) for w in lo_hi)  # (left, right, top, bottom)
        return FC_T.pad(x, flat, mode=self.padding_mode), 0

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
        if self.padding_mode != "zeros":
            parts.append(f"padding_mode={self.padding_mode!r}")
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
        x, padding = self._padded(x)
        return FC.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


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
        x, padding = self._padded(x)
        return FC.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv3d(_ConvNd):
    """3-D convolution over (N, C_in, D, H, W) → (N, C_out, D_out, H_out, W_out) — video
    and volume models — as im2col + one GEMM; weight (C_out, C_in/groups, kd, kh, kw),
    bias (C_out,); sizes and arguments as :class:`Conv2d` on three axes."""

    _d = 3
    _layout = "(N, C, D, H, W)"

    def forward(self, x):
        self._check(x)
        x, padding = self._padded(x)
        return FC.conv3d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: ``output_padding`` and the
    ``output_size`` argument of ``forward`` (which picks the output_padding that gives it)."""

    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        name = type(self).__name__
        if isinstance(padding, str):
            raise GlassnetValueError(f"{name}: padding must be an int or a tuple of ints, got {padding!r} "
                                     "('same' and 'valid' are for Conv layers)")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype)
        self.output_padding = FC.tuple_arg(output_padding, self._d, name, "output_padding")
        if device is not None:
            self.to(str(device))

    def _output_padding(self, x, output_size):
        if output_size is None:
            return self.output_padding
        wanted = tuple(int(s) for s in output_size)[-self._d:]
        least = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(
            x.shape[2:], self.stride, self.padding, self.dilation, self.kernel_size, strict=True)]
        extra = tuple(w - m for w, m in zip(wanted, least, strict=True))
        limits = [max(s, d) for s, d in zip(self.stride, self.dilation, strict=True)]
        if len(wanted) != self._d or any(not 0 <= e < lim for e, lim in zip(extra, limits, strict=True)):
            most = tuple(m + lim - 1 for m, lim in zip(least, limits, strict=True))
            raise ShapeError(f"{type(self).__name__}: output_size {tuple(output_size)} is not reachable from "
                             f"input {tuple(x.shape)}: the sizes run from {tuple(least)} to {most}")
        return extra

    def extra_repr(self):
        text = super().extra_repr()
        if self.output_padding != (0,) * self._d:
            text += f", output_padding={self.output_padding}"
        return text


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (N, C_in, L) → (N, C_out, L_out),
    ``L_out = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1``; weight (C_in, C_out/groups, k),
    bias (C_out,). See :func:`glassnet.nn.functional.conv_transpose1d`."""

    _d = 1
    _layout = "(N, C, L)"

    def forward(self, input, output_size=None):
        self._check(input)
        return FC_T.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                     self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (N, C_in, H, W) → (N, C_out, H_out, W_out) — the
    upsampling layer of DCGAN generators and decoders; each input pixel adds ``x·W[c]``
    onto a kh×kw patch of the output, patches ``stride`` apart.

    weight (C_in, C_out/groups, kh, kw), bias (C_out,);
    ``H_out = (H − 1)·s − 2p + d·(kh − 1) + output_padding + 1`` (W alike). ``forward(x,
    output_size)`` chooses the output_padding that gives ``output_size``.

    Example:
        >>> import glassnet as gn
        >>> up = gn.nn.ConvTranspose2d(4, 2, kernel_size=4, stride=2, padding=1)
        >>> up.weight.shape
        (4, 2, 4, 4)
        >>> up(gn.zeros(1, 4, 5, 5)).shape
        (1, 2, 10, 10)
    """

    _d = 2
    _layout = "(N, C, H, W)"

    def forward(self, input, output_size=None):
        self._check(input)
        return FC_T.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                     self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (N, C_in, D, H, W) → (N, C_out, D_out, H_out, W_out), the
    upsampling layer of 3-D U-Nets; weight (C_in, C_out/groups, kd, kh, kw), bias (C_out,);
    sizes as :class:`ConvTranspose2d` on three axes. See
    :func:`glassnet.nn.functional.conv_transpose3d`."""

    _d = 3
    _layout = "(N, C, D, H, W)"

    def forward(self, input, output_size=None):
        self._check(input)
        return FC_T.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                     self._output_padding(input, output_size), self.groups, self.dilation)
