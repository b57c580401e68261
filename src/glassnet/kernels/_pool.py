"""The fast max pool: separable, one axis at a time, with special cases for small kernels.

The reference :class:`~glassnet.ops._pool.MaxPool` copies every window out as a row of
∏kernel values and takes its argmax. This kernel gives the same numbers (and sends the
gradient to the same first maximum) with less work:

- **separable**: the maximum over a 2-D window is the maximum over its rows of each row's
  maximum, so forward pools the last axis first (every input row), then the one before,
  keeping one index per stage: which kernel column won in each row, which row won in
  each window. Taking the first maximum at both stages is the first maximum in row-major
  order. A k₁×k₂ window then costs k₁ + k₂ comparisons instead of k₁·k₂ (2×2 pool
  forward+backward 6.0 → 4.7 ms at batch 64×32×26×26, 1 thread).
- a kernel of 1 along an axis compares nothing and keeps no index; a kernel of 2 is one
  comparison and one maximum, and when its windows do not overlap its backward is one
  multiply and one subtract;
- windows that tile an axis exactly write every gradient element (no zero fill first);
  temporaries come from the kernels' scratch pool.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._windows import output_size, pad_input, unpad
from glassnet.kernels._memory import scratch
from glassnet.kernels._registry import Kernel, register

__all__ = ["MaxPoolSeparable"]


class MaxPoolSeparable(Kernel):
    """Max pooling one axis at a time (row maxima, then their maximum)."""

    primitive = "MaxPool"
    name = "max_pool_separable"
    summary = "separable max pool: each row's maximum over the last axis, then the maximum of those rows"

    def applies(self, x, kernel, stride, padding, dilation):
        return isinstance(x, namespace(x).ndarray)

    def forward(self, op, x, kernel, stride, padding, dilation):
        xp = namespace(x)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        best = pad_input(xp, x, padding, fill)
        op.stages = []  # (axis, shape entering the stage, index of the winner), last axis first
        for axis in reversed(range(2, x.ndim)):
            a = axis - 2
            entering = best.shape
            best, winner = _max_along(xp, best, axis, kernel[a], stride[a], dilation[a])
            op.stages.append((axis, entering, winner))
        op.out = best.shape[2:]
        # a kernel of 1 on every axis picks a view of x (or of its padding): the output owns its data
        return best.copy() if all(k == 1 for k in kernel) else best

    def backward(self, op, g):
        xp = namespace(g)
        p = op.params
        for axis, entering, winner in reversed(op.stages):
            a = axis - 2
            g = _route_along(xp, g, entering, winner, axis, p["kernel"][a], p["stride"][a], p["dilation"][a])
        return unpad(g, p["padding"])


def _along(axis, ndim, position, count, stride, dilation):
    """The index that picks kernel ``position`` of every window along ``axis``."""
    start = position * dilation
    return (slice(None),) * axis + (slice(start, start + stride * (count - 1) + 1, stride),) + \
        (slice(None),) * (ndim - axis - 1)


def _max_along(xp, x, axis, kernel, stride, dilation):
    """Max over windows along one axis: (best, index of the first maximum in each window).

    A kernel of 2 needs one comparison and one maximum; longer kernels keep a running
    maximum and raise the index where a later position is strictly greater."""
    count = output_size(x.shape[axis], kernel, stride, 0, 0, dilation)
    candidate = [x[_along(axis, x.ndim, k, count, stride, dilation)] for k in range(kernel)]
    if kernel == 1:  # every window is one value: nothing to compare
        return candidate[0], None
    if kernel == 2:
        return xp.maximum(candidate[0], candidate[1]), xp.greater(candidate[1], candidate[0]).view(np.uint8)
    best = candidate[0].copy()
    winner = xp.zeros(best.shape, dtype=np.uint8 if kernel <= 255 else np.int32)
    greater = scratch(xp, "max_pool.greater", best.shape, bool)
    step = scratch(xp, "max_pool.step", best.shape, winner.dtype)
    for k in range(1, kernel):
        xp.greater(candidate[k], best, out=greater)  # strict: the first maximum wins
        # positions come in increasing order, so "winner = k where greater" is a maximum
        xp.maximum(winner, xp.multiply(greater, winner.dtype.type(k), out=step), out=winner)
        xp.maximum(best, candidate[k], out=best)
    return best, winner


def _route_along(xp, g, entering, winner, axis, kernel, stride, dilation):
    """The gradient of one :func:`_max_along` stage: each window's ``g`` goes to the
    position that won; an array shaped like the stage's input."""
    count = g.shape[axis]
    span = dilation * (kernel - 1) + 1
    disjoint = stride >= span
    # windows that tile the axis exactly write every element (dilation 1: no gaps inside)
    tiled = dilation == 1 and stride == kernel and count * stride == entering[axis]
    dx = (xp.empty if tiled else xp.zeros)(entering, dtype=g.dtype)
    where = [_along(axis, g.ndim, k, count, stride, dilation) for k in range(kernel)]
    if kernel == 1:
        dx[where[0]] = g
        return dx
    if kernel == 2 and disjoint:  # winner is 0/1: dx₁ = g·w, dx₀ = g − dx₁ (exactly g or 0)
        xp.multiply(g, winner, out=dx[where[1]], dtype=g.dtype)
        xp.subtract(g, dx[where[1]], out=dx[where[0]])
        return dx
    chosen = scratch(xp, "max_pool.chosen", g.shape, bool)
    share = None if disjoint else scratch(xp, "max_pool.share", g.shape, g.dtype)
    for k in range(kernel):
        xp.equal(winner, k, out=chosen)
        if disjoint:  # windows do not overlap: write dy·[chosen] straight into its slice
            xp.multiply(g, chosen, out=dx[where[k]])
        else:
            dx[where[k]] += xp.multiply(g, chosen, out=share)
    return dx


register(MaxPoolSeparable())
