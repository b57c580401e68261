"""Where each max-pooling window's maximum sits: PyTorch's ``return_indices``.

The values come from the max-pool primitive (:mod:`glassnet.ops._pool`); this reads the
same windows (:func:`glassnet._windows.windows`) and names, for each one, the input
element that won — the first maximum in row-major kernel order, as the primitive's
argmax and PyTorch's — as a flat index into the (unpadded) spatial axes:
``i`` for (N, C, L), ``h·W + w`` for (N, C, H, W). These indices are what
``max_unpool`` scatters back by.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._windows import pad_input, windows
from glassnet.autograd._tensor import Tensor

__all__ = ["max_positions"]


def max_positions(x, kernel, stride, padding, dilation):
    """int64 tensor (N, C, *out): the flat spatial index of each window's first maximum.

    ``x`` (N, C, *spatial); ``padding`` (lo, hi) per axis, padded with −∞ (never chosen)."""
    xp = namespace(x.array)
    a = x.array
    fill = -np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).min
    view = windows(xp, pad_input(xp, a, padding, fill), kernel, stride, dilation)  # (N, C, *out, *kernel)
    d = len(kernel)
    out = view.shape[2:2 + d]
    winner = view.reshape(*view.shape[:2 + d], -1).argmax(axis=-1)  # row-major kernel position
    taps = np.unravel_index(winner, kernel) if d > 1 else (winner,)
    flat = xp.zeros(winner.shape, dtype=np.int64)
    for axis in range(d):
        start = xp.arange(out[axis]) * stride[axis] - padding[axis][0]
        start = start.reshape((out[axis],) + (1,) * (d - 1 - axis))
        flat = flat * a.shape[2 + axis] + start + taps[axis] * dilation[axis]
    return Tensor._wrap(flat, False, None)
