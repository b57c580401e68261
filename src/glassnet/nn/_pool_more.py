"""More pooling layers: AdaptiveAvgPool1d/3d, AdaptiveMaxPool1d/2d/3d, MaxUnpool1d/2d."""

from glassnet.nn import _functional_conv as FC
from glassnet.nn import _functional_pool_more as FP
from glassnet.nn._module import Module

__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
           "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool2d"]


class AdaptiveAvgPool1d(Module):
    """Average into ``output_size`` bins whatever the length: (N, C, L) → (N, C, out),
    as ``x · Aᵀ`` with the (out, L) averaging matrix."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return FC.adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool3d(Module):
    """Average into an ``output_size`` grid of adaptive bins whatever the input size:
    (N, C, D, H, W) → (N, C, od, oh, ow); ``AdaptiveAvgPool3d(1)`` is global average pooling."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return FP.adaptive_avg_pool3d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _AdaptiveMaxPoolNd(Module):
    _d = 0

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        fn = {1: FP.adaptive_max_pool1d, 2: FP.adaptive_max_pool2d, 3: FP.adaptive_max_pool3d}[self._d]
        return fn(x, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Largest value of each of ``output_size`` adaptive bins: (N, C, L) → (N, C, out)."""

    _d = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Largest value of each cell of an ``output_size`` grid of adaptive bins:
    (N, C, H, W) → (N, C, oh, ow); ``AdaptiveMaxPool2d(1)`` is global max pooling."""

    _d = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Largest value of each cell of an ``output_size`` grid of adaptive bins:
    (N, C, D, H, W) → (N, C, od, oh, ow)."""

    _d = 3


class _MaxUnpoolNd(Module):
    _d = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding

    def forward(self, input, indices, output_size=None):  # noqa: A002
        fn = FP.max_unpool1d if self._d == 1 else FP.max_unpool2d
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The pooled values put back where ``MaxPool1d(return_indices=True)`` found them, zeros
    elsewhere: (N, C, L_in), indices → (N, C, L_out)."""

    _d = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The pooled values put back where ``MaxPool2d(return_indices=True)`` found them, zeros
    elsewhere: (N, C, H_in, W_in), indices → (N, C, H_out, W_out), ``H_out = (H_in − 1)·s − 2p + k``.

    Args:
        kernel_size: the max pool's kernel size.
        stride: the max pool's stride (default None: the kernel size).
        padding: the max pool's padding (default 0).

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([[[[1.0, 2.0], [4.0, 3.0]]]])
        >>> pooled, where = gn.nn.MaxPool2d(2, return_indices=True)(x)
        >>> print(gn.nn.MaxUnpool2d(2)(pooled, where).numpy())
        [[[[0. 0.]
           [4. 0.]]]]
    """

    _d = 2
