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
from glassnet.ops._conv import kernel_positions, pad_input, scratch, window_slice, windows

__all__ = ["MaxPool", "AvgPool", "max_pool", "avg_pool"]


def _crop(dxp, padding):
    inner = tuple(slice(lo, dxp.shape[2 + i] - hi) for i, (lo, hi) in enumerate(padding))
    return dxp[(slice(None), slice(None), *inner)]


class MaxPool(Function):
    """Largest value of each window; x (N, C, *spatial) → (N, C, *out).

    Padding counts as −∞ (never chosen). The gradient goes to the first maximum of each
    window (PyTorch's choice on ties)."""

    formula = "y[n,c,i,j] = max over the window at (i,j) of x"
    grad_formulas = ("dx[argmax of each window] += dy",)

    def forward(self, x, kernel, stride, padding, dilation):
        xp = namespace(x)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        padded = pad_input(xp, x, padding, fill)
        self.padded_shape = padded.shape
        view = windows(xp, padded, kernel, stride, dilation)
        self.out = view.shape[2:2 + len(kernel)]
        positions = list(kernel_positions(kernel))
        best = view[(..., *positions[0])].copy()  # running maximum, one kernel position at a time
        self.idx = xp.zeros(best.shape, dtype=np.uint8 if len(positions) <= 255 else np.int32)
        greater = scratch(xp, "max_pool.greater", best.shape, bool)
        step = scratch(xp, "max_pool.step", best.shape, self.idx.dtype)
        for flat_pos, pos in enumerate(positions[1:], start=1):
            candidate = view[(..., *pos)]
            xp.greater(candidate, best, out=greater)  # strict: the first maximum wins
            # positions come in increasing order, so "idx = flat_pos where greater" is a max
            xp.maximum(self.idx, xp.multiply(greater, self.idx.dtype.type(flat_pos), out=step), out=self.idx)
            xp.maximum(best, candidate, out=best)
        return best

    def backward(self, g):
        xp = namespace(g)
        p = self.params
        spans = [dl * (k - 1) + 1 for k, dl in zip(p["kernel"], p["dilation"], strict=True)]
        disjoint = all(s >= span for s, span in zip(p["stride"], spans, strict=True))
        # windows that tile the input exactly (stride = kernel, dilation 1) write every element
        tiled = all(s == k == span and n * s == size for s, k, span, n, size
                    in zip(p["stride"], p["kernel"], spans, self.out, self.padded_shape[2:], strict=True))
        dxp = (xp.empty if tiled else xp.zeros)(self.padded_shape, dtype=g.dtype)
        chosen = scratch(xp, "max_pool.chosen", g.shape, bool)
        share = None if disjoint else scratch(xp, "max_pool.share", g.shape, g.dtype)
        for flat_pos, pos in enumerate(kernel_positions(p["kernel"])):
            where = (slice(None), slice(None), *window_slice(pos, self.out, p["stride"], p["dilation"]))
            xp.equal(self.idx, flat_pos, out=chosen)
            if disjoint:  # windows do not overlap: write dy·[chosen] straight into its slice
                xp.multiply(g, chosen, out=dxp[where])
            else:
                dxp[where] += xp.multiply(g, chosen, out=share)
        return _crop(dxp, p["padding"])

    def shape_error(self, inputs, exc):
        return ShapeError(f"max_pool: input {tuple(inputs[0].shape)} rejected: {exc}")


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
