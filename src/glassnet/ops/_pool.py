"""Pooling primitives: max and average over sliding windows (1-D and 2-D alike), the
reference tier.

Both read the windows from the same strided view as the convolution's im2col
(:func:`glassnet._windows.windows`) and send gradients back with a loop over kernel
positions: each position's slice of the input receives its share of ``dy``.
Adaptive average pooling is composed from matmul (see ``nn.functional``), not here.
The fast max pool (separable: row maxima, then their maximum) is a kernel in
:mod:`glassnet.kernels._pool`.
"""

import math

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet._windows import kernel_positions, pad_input, unpad, window_slice, windows
from glassnet.autograd._function import Function

__all__ = ["MaxPool", "AvgPool", "max_pool", "avg_pool"]


class MaxPool(Function):
    """Largest value of each window; x (N, C, *spatial) → (N, C, *out).

    Padding counts as −∞ (never chosen). Each window's values are stacked in the
    row-major order of the kernel positions (one array per position, so that the maximum
    is taken across arrays); ``argmax`` returns the first maximum (PyTorch's choice on
    ties), and the gradient goes there."""

    formula = "y[n,c,i,j] = max over the window at (i,j) of x   (argmax: its first maximum, row-major)"
    grad_formulas = ("dx[argmax of each window] += dy",)

    def forward(self, x, kernel, stride, padding, dilation):
        xp = namespace(x)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        padded = pad_input(xp, x, padding, fill)
        self.padded_shape = padded.shape
        view = windows(xp, padded, kernel, stride, dilation)  # (N, C, *out, *kernel)
        self.out = view.shape[2:2 + len(kernel)]
        values = xp.stack([view[(..., *pos)] for pos in kernel_positions(kernel)])  # (∏kernel, N, C, *out)
        self.argmax = values.argmax(axis=0)  # which kernel position holds the first maximum
        return values.max(axis=0)

    def backward(self, g):
        xp = namespace(g)
        p = self.params
        dxp = xp.zeros(self.padded_shape, dtype=g.dtype)
        for k, pos in enumerate(kernel_positions(p["kernel"])):
            touched = (slice(None), slice(None), *window_slice(pos, self.out, p["stride"], p["dilation"]))
            dxp[touched] += xp.where(self.argmax == k, g, 0)  # dy of the windows won at position k
        return unpad(dxp, p["padding"])

    def jvp(self, slot, v):
        """J·v: each window's value of ``v`` at the position that won the window in forward
        (the backward routes dy there; create_graph differentiates it through this)."""
        xp, p = namespace(v), self.params
        argmax = getattr(self, "argmax", None)
        if argmax is None:  # a kernel ran forward: find the winners as the reference does
            reference = MaxPool()
            reference.forward(self.inputs[0].array, **p)
            argmax = reference.argmax
        view = windows(xp, pad_input(xp, v, p["padding"], 0), p["kernel"], p["stride"], p["dilation"])
        values = xp.stack([view[(..., *pos)] for pos in kernel_positions(p["kernel"])])
        return xp.take_along_axis(values, argmax[None], axis=0)[0]

    def shape_error(self, inputs, exc):
        return ShapeError(f"max_pool: input {tuple(inputs[0].shape)} rejected: {exc}")


class AvgPool(Function):
    """Mean of each window; x (N, C, *spatial) → (N, C, *out).

    With ``count_include_pad`` the divisor is the kernel size; otherwise the number of
    real (unpadded) inputs in the window. ``divisor_override`` replaces both."""

    formula = "y[n,c,i,j] = (1/|window|) · Σ over the window at (i,j) of x"
    grad_formulas = ("dx[each window position] += dy / |window|",)
    linear = True  # create_graph: its backward is differentiated generically

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
        return unpad(dxp, p["padding"])

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
