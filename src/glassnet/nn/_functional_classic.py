"""Layers of classic CNNs, composed from existing ops (PyTorch's signatures):

- ``local_response_norm`` (AlexNet's LRN): ``y_c = x_c / (k + α/n · Σ_{c'} x_{c'}²)^β``, the
  sum over the ``n`` channels ``c − ⌊n/2⌋ … c + ⌊(n−1)/2⌋`` (missing channels count as 0);
- ``channel_shuffle`` (ShuffleNet): (N, g·m, *) → (N, m·g, *), channel ``i·m + j`` moved to
  ``j·g + i`` — a reshape, a transpose and a reshape;
- ``lp_pool1d/2d/3d``: ``(Σ_window x^p)^(1/p)``, as ``(k · avg_pool(x^p))^(1/p)`` with ``k``
  the window's size (PyTorch's formula: a negative windowed sum gives NaN, as there).
"""

import math

from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn._functional_conv import avg_pool1d, avg_pool2d, avg_pool3d, tuple_arg
from glassnet.ops import _shape

__all__ = ["channel_shuffle", "local_response_norm", "lp_pool1d", "lp_pool2d", "lp_pool3d"]


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):  # noqa: A002  (PyTorch's names)
    """``x / (k + α·mean_window(x²))^β`` over windows of ``size`` channels (axis 1) of an
    (N, C, *) input with at least one spatial axis; the mean divides by ``size``."""
    if input.ndim < 3:
        raise ShapeError(f"local_response_norm: expected an input (N, C, *spatial) with at least 3 "
                         f"dimensions, got {tuple(input.shape)}")
    channels = input.shape[1]
    widths = [(0, 0)] * input.ndim
    widths[1] = (size // 2, (size - 1) // 2)
    squares = _shape.pad(input * input, tuple(widths))
    total = squares[:, :channels]
    for shift in range(1, size):
        total = total + squares[:, shift:shift + channels]
    return input / (total * (alpha / size) + k) ** beta


def channel_shuffle(input, groups):  # noqa: A002
    """(N, g·m, *) → the same shape with the channels regrouped: ``y[:, j·g + i] = x[:, i·m + j]``."""
    if input.ndim < 3 or groups < 1 or input.shape[1] % groups:
        raise ShapeError(f"channel_shuffle: expected an input (N, C, *spatial) whose C is divisible by "
                         f"groups={groups}, got {tuple(input.shape)}")
    n, c, *rest = input.shape
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, d, pool, name):
    if not norm_type or norm_type != norm_type:
        raise GlassnetValueError(f"{name}: norm_type must be a nonzero number, got {norm_type}")
    kernel = tuple_arg(kernel_size, d, name, "kernel_size")
    out = pool(input ** norm_type, kernel, stride, 0, ceil_mode)
    return (out * math.prod(kernel)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """``(Σ_window x^p)^(1/p)`` over windows along L of (N, C, L) (p = ``norm_type``)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, avg_pool1d, "lp_pool1d")


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """``(Σ_window x^p)^(1/p)`` over (kh, kw) windows of (N, C, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, avg_pool2d, "lp_pool2d")


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """``(Σ_window x^p)^(1/p)`` over (kd, kh, kw) windows of (N, C, D, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, avg_pool3d, "lp_pool3d")
