"""Adaptive max pooling, 3-D adaptive average pooling, max pooling with indices and max
unpooling (PyTorch's signatures).

Composed, no new primitive:

- ``adaptive_avg_pool3d``: an averaging matrix per spatial axis (PyTorch's adaptive bins),
  applied by matmul along D, H and W, as ``adaptive_avg_pool1d/2d`` do;
- ``adaptive_max_pool``: PyTorch's adaptive bins (bin i spans ``⌊i·L/out⌋ … ⌈(i+1)·L/out⌉ − 1``
  per axis, as adaptive average pooling); each bin's first maximum is found on the arrays
  and read back with ``gather``, so the gradient goes to that one element.
- ``max_unpool``: ``scatter`` of the pooled values into zeros at the indices a max pool
  returned (elsewhere zero); its gradient is the gather at those indices.
"""

import math

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet.nn._functional_conv import _averaging_matrix, max_pool1d, max_pool2d, tuple_arg
from glassnet.nn._functional_fold import constant
from glassnet.ops import gather, scatter

__all__ = ["adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d",
           "adaptive_max_pool3d_with_indices",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "max_unpool1d", "max_unpool2d"]

_LAYOUT = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)", 3: "(N, C, D, H, W) or (C, D, H, W)"}


def _batched(x, d, name):
    if x.ndim not in (d + 1, d + 2):
        raise ShapeError(f"{name}: expected input {_LAYOUT[d]}, got {tuple(x.shape)}")
    return x if x.ndim == d + 2 else x.unsqueeze(0)


def _bins(size, out):
    """(out, longest bin) positions of PyTorch's adaptive bins; a shorter bin repeats its
    last position (a repeat never changes a maximum or where the first one sits)."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    longest = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(longest)[None, :], end[:, None] - 1)


def _output_size(output_size, sizes, d, input, name):
    """The bins per spatial axis (None in ``output_size`` keeps that axis's size)."""
    wanted = (output_size,) * d if output_size is None or isinstance(output_size, int) else output_size
    if len(tuple(wanted)) != d:
        raise ShapeError(f"{name}: output_size must be one number or {d} of them, got {output_size!r}")
    out = tuple(s if o is None else int(o) for s, o in zip(sizes, tuple(wanted), strict=True))
    if min(out) < 1 or min(sizes) < 1:
        raise ShapeError(f"{name}: output_size {out} and input {tuple(input.shape)} must be positive")
    return out


def adaptive_avg_pool3d(input, output_size):  # noqa: A002  (PyTorch's names)
    """Average into an ``output_size`` grid of adaptive bins: (N, C, D, H, W) or (C, D, H, W)
    → (…, od, oh, ow) (None keeps that axis), as averaging matrices applied along D, H, W."""
    x = _batched(input, 3, "adaptive_avg_pool3d")
    out = _output_size(output_size, x.shape[2:], 3, input, "adaptive_avg_pool3d")
    xp = namespace(x.array)
    a_d, a_h, a_w = (_averaging_matrix(xp, n, o, x.dtype) for n, o in zip(x.shape[2:], out, strict=True))
    x = (a_h @ (x @ a_w.T)).movedim(2, -1) @ a_d.T
    x = x.movedim(-1, 2)
    return x if input.ndim == 5 else x[0]


def _adaptive_max_pool(input, output_size, return_indices, d, name):
    x = _batched(input, d, name)
    sizes = x.shape[2:]
    out = _output_size(output_size, sizes, d, input, name)
    index = np.zeros((1, 1), dtype=np.int64)  # (bins so far, positions per bin), flat row-major
    for size, o in zip(sizes, out, strict=True):
        b = _bins(size, o)
        index = (index[:, None, :, None] * size + b[None, :, None, :]).reshape(index.shape[0] * o, -1)
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    winner = flat.array[..., index].argmax(axis=-1)  # (N, C, ∏out): first maximum of each bin
    positions = constant(x, index[np.arange(index.shape[0]), winner])
    values = gather(flat, 2, positions).reshape(n, c, *out)
    positions = positions.reshape(n, c, *out)
    if input.ndim == d + 1:
        values, positions = values[0], positions[0]
    return (values, positions) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Largest value of each of ``output_size`` adaptive bins: (N, C, L) → (N, C, out);
    with ``return_indices`` also each maximum's position along L."""
    return _adaptive_max_pool(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Largest value of each cell of an ``output_size`` grid of adaptive bins:
    (N, C, H, W) → (N, C, oh, ow) (None in output_size keeps that axis); with
    ``return_indices`` also each maximum's flat position ``h·W + w``."""
    return _adaptive_max_pool(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input, output_size, return_indices=False):  # noqa: A002
    """Largest value of each cell of an ``output_size`` grid of adaptive bins:
    (N, C, D, H, W) → (N, C, od, oh, ow) (None keeps that axis); with ``return_indices``
    also each maximum's flat position ``(d·H + h)·W + w``."""
    return _adaptive_max_pool(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    """``adaptive_max_pool3d(..., return_indices=True)``: (values, flat positions)."""
    return adaptive_max_pool3d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    """``adaptive_max_pool1d(..., return_indices=True)``: (values, positions along L)."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    """``adaptive_max_pool2d(..., return_indices=True)``: (values, flat positions ``h·W + w``)."""
    return adaptive_max_pool2d(input, output_size, True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """``max_pool1d(..., return_indices=True)``: (values, positions along L)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """``max_pool2d(..., return_indices=True)``: (values, flat positions ``h·W + w``)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, d, name):
    x = _batched(input, d, name)
    kernel = tuple_arg(kernel_size, d, name, "kernel_size")
    stride = kernel if stride is None else tuple_arg(stride, d, name, "stride")
    pads = tuple_arg(padding, d, name, "padding")
    if output_size is None:
        size = tuple((s - 1) * st - 2 * p + k
                     for s, st, p, k in zip(x.shape[2:], stride, pads, kernel, strict=True))
    else:
        size = tuple(int(s) for s in tuple(output_size)[-d:])
    if tuple(indices.shape) != tuple(input.shape):
        raise ShapeError(f"{name}: indices {tuple(indices.shape)} must have the input's shape "
                         f"{tuple(input.shape)} (the indices its max pool returned)")
    n, c = x.shape[:2]
    flat_index = indices.array.reshape(n, c, -1)
    if flat_index.size and (flat_index.min() < 0 or flat_index.max() >= math.prod(size)):
        raise ShapeError(f"{name}: an index ({int(flat_index.min())} … {int(flat_index.max())}) is outside "
                         f"the output {size} (its {math.prod(size)} positions); pass output_size=")
    zeros = constant(x, np.zeros((n, c, math.prod(size)), dtype=x.dtype))
    out = scatter(zeros, 2, constant(x, flat_index), x.reshape(n, c, -1)).reshape(n, c, *size)
    return out if input.ndim == d + 2 else out[0]


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each pooled value back at its index (the rest zero): (N, C, L_in) →
    (N, C, L_out), ``L_out = (L_in − 1)·s − 2p + k`` unless ``output_size`` is given."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each pooled value back at its flat index ``h·W + w`` (the rest zero):
    (N, C, H_in, W_in) → (N, C, H_out, W_out), ``H_out = (H_in − 1)·s − 2p + kh`` (W likewise)
    unless ``output_size`` is given."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")
