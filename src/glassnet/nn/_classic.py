"""Modules for :mod:`glassnet.nn._functional_classic`: LocalResponseNorm, ChannelShuffle and
LPPool1d/2d/3d (PyTorch's arguments and reprs)."""

from glassnet.nn import _functional_classic as FL
from glassnet.nn._module import Module

__all__ = ["ChannelShuffle", "LPPool1d", "LPPool2d", "LPPool3d", "LocalResponseNorm"]


class LocalResponseNorm(Module):
    """AlexNet's local response normalisation across ``size`` neighbouring channels
    (:func:`glassnet.nn.functional.local_response_norm`)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):  # noqa: A002
        return FL.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class ChannelShuffle(Module):
    """ShuffleNet's channel shuffle of ``groups`` groups (:func:`glassnet.nn.functional.channel_shuffle`)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):  # noqa: A002
        return FL.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class _LPPoolNd(Module):
    _pool = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):  # noqa: A002
        return self._pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(Σ_window x^p)^(1/p)`` along L of (N, C, L)."""

    _pool = staticmethod(FL.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling ``(Σ_window x^p)^(1/p)`` over (kh, kw) windows of (N, C, H, W)."""

    _pool = staticmethod(FL.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling ``(Σ_window x^p)^(1/p)`` over 3-D windows of (N, C, D, H, W)."""

    _pool = staticmethod(FL.lp_pool3d)
