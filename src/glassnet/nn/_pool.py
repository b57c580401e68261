"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool2d (PyTorch's defaults)."""

from glassnet._errors import ShapeError
from glassnet.nn import _functional_conv as FC
from glassnet.nn._module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveAvgPool2d"]

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def _check(module, x, d):
    if x.ndim != d + 2:
        hint = " — add the batch axis (x.unsqueeze(0))" if x.ndim == d + 1 else ""
        raise ShapeError(f"{type(module).__name__}: expected input {_LAYOUT[d]}, got "
                         f"{tuple(x.shape)}{hint}")


class _MaxPoolNd(Module):
    _d = 0

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x):
        _check(self, x, self._d)
        fn = {1: FC.max_pool1d, 2: FC.max_pool2d, 3: FC.max_pool3d}[self._d]
        return fn(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                  self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Largest value of each window: (N, C, L) → (N, C, L_out); stride defaults to kernel."""

    _d = 1


class MaxPool2d(_MaxPoolNd):
    """Largest value of each window: (N, C, H, W) → (N, C, H_out, W_out); stride defaults to
    the kernel size, so ``MaxPool2d(2)`` halves H and W.

    The gradient flows only to the position that held each window's maximum.

    Args:
        kernel_size: the window size ``k`` (an int, or a pair ``(kh, kw)``).
        stride: the step between windows ``s`` (default None: the kernel size).
        padding: ``p``, implicit −∞ padding on each side (at most half the kernel; default 0).
        dilation: ``d``, the spacing between a window's elements (default 1).
        return_indices: also return each maximum's flat position ``h·W + w`` in the
            input (int64, what ``MaxUnpool2d`` takes; default False).
        ceil_mode: round the output size up instead of down, so a last partial window
            counts (default False).

    Shape:
        input ``(N, C, H, W)`` → output ``(N, C, H_out, W_out)`` with
        ``H_out = ⌊(H + 2p − d·(k−1) − 1)/s⌋ + 1`` (⌈…⌉ with ceil_mode), W likewise.

    Example:
        >>> import glassnet as gn
        >>> x = gn.arange(16.0).reshape(1, 1, 4, 4)      # rows 0-3, 4-7, 8-11, 12-15
        >>> print(gn.nn.MaxPool2d(2)(x).numpy())
        [[[[ 5.  7.]
           [13. 15.]]]]
    """

    _d = 2


class MaxPool3d(_MaxPoolNd):
    """Largest value of each window: (N, C, D, H, W) → (N, C, D_out, H_out, W_out)."""

    _d = 3


class _AvgPoolNd(Module):
    _d = 0

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        _check(self, x, self._d)
        if self._d == 1:
            return FC.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                 self.count_include_pad)
        fn = FC.avg_pool2d if self._d == 2 else FC.avg_pool3d
        return fn(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                  self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean of each window: (N, C, L) → (N, C, L_out)."""

    _d = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Mean of each window: (N, C, H, W) → (N, C, H_out, W_out)."""

    _d = 2


class AvgPool3d(_AvgPoolNd):
    """Mean of each window: (N, C, D, H, W) → (N, C, D_out, H_out, W_out)."""

    _d = 3


class AdaptiveAvgPool2d(Module):
    """Average into a fixed ``output_size`` grid whatever the input size:
    (N, C, H, W) → (N, C, oh, ow), as ``A_h · X · A_wᵀ`` with averaging matrices.
    ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        _check(self, x, 2)
        return FC.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
