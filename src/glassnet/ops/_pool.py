"""Pooling primitives: max and average over sliding windows (1-D and 2-D alike).

Both read the windows from the same strided view as the convolution's im2col
(:func:`glassnet.ops._conv.windows`) and send gradients back with a loop over kernel
positions: each position's slice of the input receives its share of ``dy``.
Adaptive average pooling is composed from matmul (see ``nn.functional``), not here.
"""

import math

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet.autograd._function import Function
from glassnet.ops._conv import kernel_positions, output_size, pad_input, scratch, window_slice, windows

__all__ = ["MaxPool", "AvgPool", "max_pool", "avg_pool"]


def _crop(dxp, padding):
    inner = tuple(slice(lo, dxp.shape[2 + i] - hi) for i, (lo, hi) in enumerate(padding))
    return dxp[(slice(None), slice(None), *inner)]


class MaxPool(Function):
    """Largest value of each window; x (N, C, *spatial) → (N, C, *out).

    Padding counts as −∞ (never chosen). The gradient goes to the first maximum of each
    window in row-major order (PyTorch's choice on ties).

    Separable: the maximum over a 2-D window is the maximum over its rows of each row's
    maximum, so forward pools the last axis first (every input row), then the one before,
    keeping one index per stage: which kernel column won in each row, which row won in each
    window. Taking the first maximum at both stages is the first maximum in row-major
    order. A k₁×k₂ window then costs k₁ + k₂ comparisons instead of k₁·k₂."""

    formula = "y[n,c,i,j] = max over the window at (i,j) of x   (row maxima, then their maximum)"
    grad_formulas = ("dx[argmax of each window] += dy",)

    def forward(self, x, kernel, stride, padding, dilation):
        xp = namespace(x)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        best = pad_input(xp, x, padding, fill)
        self.stages = []  # (axis, shape entering the stage, index of the winner), last axis first
        for axis in reversed(range(2, x.ndim)):
            a = axis - 2
            entering = best.shape
            best, winner = _max_along(xp, best, axis, kernel[a], stride[a], dilation[a])
            self.stages.append((axis, entering, winner))
        self.out = best.shape[2:]
        # a kernel of 1 on every axis picks a view of x (or of its padding): the output owns its data
        return best.copy() if all(k == 1 for k in kernel) else best

    def backward(self, g):
        xp = namespace(g)
        p = self.params
        for axis, entering, winner in reversed(self.stages):
            a = axis - 2
            g = _route_along(xp, g, entering, winner, axis, p["kernel"][a], p["stride"][a], p["dilation"][a])
        return _crop(g, p["padding"])

    def shape_error(self, inputs, exc):
        return ShapeError(f"max_pool: input {tuple(inputs[0].shape)} rejected: {exc}")


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


class AvgPool(Function):
    """Mean of each window; x (N, C, *spatial) → (N, C, *out).

    With ``count_include_pad`` the divisor is the kernel size; otherwise the number of
    real (unpadded) inputs in the window. ``divisor_override`` replaces both."""

    formula = "y[n,c,i,j] = (1/|window|) · Σ over the window at (i,j) of x"
    grad_formulas = ("dx[each window position] += dy / |window|",)

    def forward(self, x, kernel, stride, padding, count_include_pad, divisor_override):
        xp = namespace(x)
        padded = pad_input(xp, x, padding)
        self.padded_shape = padded.shape
        view = windows(xp, padded, kernel, stride, (1,) * len(kernel))
        self.out = view.shape[2:2 + len(kernel)]
        self.divisor = self._divisor(xp, x, kernel, stride, padding, count_include_pad,
                                     divisor_override)
        total = view[(..., *(0,) * len(kernel))].copy()
        for pos in list(kernel_positions(kernel))[1:]:
            total += view[(..., *pos)]
        return total / self.divisor

    def _divisor(self, xp, x, kernel, stride, padding, count_include_pad, override):
        if override:
            return x.dtype.type(override)
        if count_include_pad or not any(lo or hi for lo, hi in padding):
            return x.dtype.type(math.prod(kernel))
        ones = xp.ones((1, 1, *x.shape[2:]), dtype=x.dtype)
        view = windows(xp, pad_input(xp, ones, padding), kernel, stride, (1,) * len(kernel))
        return view.sum(axis=tuple(range(-len(kernel), 0)))  # real inputs per window

    def backward(self, g):
        xp = namespace(g)
        p = self.params
        share = g / self.divisor
        dxp = xp.zeros(self.padded_shape, dtype=g.dtype)
        ones = (1,) * len(p["kernel"])
        for pos in kernel_positions(p["kernel"]):
            dxp[(slice(None), slice(None), *window_slice(pos, self.out, p["stride"], ones))] += share
        return _crop(dxp, p["padding"])

    def shape_error(self, inputs, exc):
        return ShapeError(f"avg_pool: input {tuple(inputs[0].shape)} rejected: {exc}")


def max_pool(x, kernel, stride, padding, dilation):
    """Max pooling with per-axis tuples; ``padding`` holds (lo, hi) pairs."""
    return MaxPool.apply(x, kernel=tuple(kernel), stride=tuple(stride), padding=tuple(padding),
                         dilation=tuple(dilation))


def avg_pool(x, kernel, stride, padding, count_include_pad=True, divisor_override=None):
    """Average pooling with per-axis tuples; ``padding`` holds (lo, hi) pairs."""
    return AvgPool.apply(x, kernel=tuple(kernel), stride=tuple(stride), padding=tuple(padding),
                         count_include_pad=bool(count_include_pad),
                         divisor_override=divisor_override)
