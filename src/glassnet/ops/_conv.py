"""Convolution as matrix multiplication: im2col + one GEMM (the reference tier).

A convolution slides a kernel over the input and, at each output position, takes the dot
product of the kernel with the patch under it. Written as matrices:

- **im2col**: every patch (one receptive field of ``C·∏kernel`` values) becomes one row of
  a matrix ``cols`` of shape ``(N·∏out, C·∏kernel)``. The patches are read from a strided
  *view* of the (padded) input (``sliding_window_view``, no copy); the one copy is laying
  them out as rows.
- **one GEMM**: the weight ``(out_c, C, *kernel)`` reshaped to ``W₂ (out_c, C·∏kernel)``
  gives ``Y₂ = cols · W₂ᵀ`` of shape ``(N·∏out, out_c)``: row ``r``, column ``o`` is patch
  ``r`` · filter ``o``. Reshaped, it is the output ``(N, out_c, *out)``.
- **backward**: ``dW₂ = dY₂ᵀ · cols`` (one GEMM) and ``dcols = dY₂ · W₂`` (one GEMM);
  ``col2im`` adds each kernel position's columns back onto the input positions they came
  from: a loop over the ``∏kernel`` kernel positions, never over pixels.

With ``groups = G`` the channels split into G independent convolutions: group g's columns
of ``cols`` (its C/G channels) meet only group g's rows of ``W₂`` (its out_c/G filters),
one GEMM per group. The same code serves 1-D (N, C, L) and 2-D (N, C, H, W) inputs.
Faster layouts of the same matrices (no layout copies, reused buffers, a fused bias) are
kernels in :mod:`glassnet.kernels._conv`.
"""

import math

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet._windows import kernel_positions, output_size, pad_input, unpad, window_slice, windows
from glassnet.autograd._function import Function

__all__ = ["Conv", "conv", "im2col_bytes"]


class Conv(Function):
    """N-d convolution (cross-correlation, as PyTorch) of x (N, C, *spatial) with
    w (out_c, C/groups, *kernel) → (N, out_c, *out), plus an optional bias (out_c,).

    Row r of ``cols`` is the patch of output position r = (n, *out index), its columns in
    the order of ``W[o]``'s values: channel, then kernel position."""

    formula = ("Y₂ = cols · W₂ᵀ + b   (cols = im2col(X): one row per output position, its patch of "
               "C·∏k values; W₂ = W as (out_c, C·∏k); one GEMM per group)")
    grad_formulas = ("dX = col2im(dY₂ · W₂)  (each kernel position's columns added back onto the inputs "
                     "it read)",
                     "dW₂ = dY₂ᵀ · cols",
                     "db = Σ over the rows of dY₂  (each channel summed over batch and positions)")
    multilinear = 2  # linear in x and in w; the bias is added (create_graph differentiates generically)

    def forward(self, x, w, *bias, stride, padding, dilation, groups):
        xp = namespace(x)
        n, d = x.shape[0], x.ndim - 2
        self.x_shape, self.w_shape = x.shape, w.shape
        view = windows(xp, pad_input(xp, x, padding), w.shape[2:], stride, dilation)  # (N, C, *out, *k)
        self.out = view.shape[2:2 + d]
        patches = view.transpose(0, *range(2, 2 + d), 1, *range(2 + d, 2 + 2 * d))  # (N, *out, C, *k)
        cols = patches.reshape(n * math.prod(self.out), -1)  # im2col: (N·∏out, C·∏k), a copy
        self.cols = xp.split(cols, groups, axis=1)  # per group: (N·∏out, C/G·∏k)
        self.w2 = xp.split(w.reshape(w.shape[0], -1), groups)  # per group: W₂ (out_c/G, C/G·∏k)
        y2 = _join(xp, [cols_g @ w2_g.T for cols_g, w2_g in zip(self.cols, self.w2, strict=True)], axis=1)
        if bias:
            y2 = y2 + bias[0]  # (N·∏out, out_c) + (out_c,)
        return xp.ascontiguousarray(xp.moveaxis(y2.reshape(n, *self.out, -1), -1, 1))  # (N, out_c, *out)

    def backward(self, g):
        xp = namespace(g)
        g2 = xp.moveaxis(g, 1, -1).reshape(-1, g.shape[1])  # dY₂ (N·∏out, out_c)
        g2s = xp.split(g2, self.params["groups"], axis=1)  # per group: (N·∏out, out_c/G)
        dx = dw = db = None
        if self.needs_grad[0]:
            dcols = _join(xp, [g2_g @ w2_g for g2_g, w2_g in zip(g2s, self.w2, strict=True)], axis=1)
            dx = self._col2im(xp, dcols)
        if self.needs_grad[1]:
            dw2 = _join(xp, [g2_g.T @ cols_g for g2_g, cols_g in zip(g2s, self.cols, strict=True)], axis=0)
            dw = dw2.reshape(self.w_shape)
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            db = g2.sum(axis=0)
        return (dx, dw, db)[:len(self.needs_grad)]

    def _col2im(self, xp, dcols):
        """dX: each kernel position's columns of ``dcols`` (N·∏out, C·∏k) added onto the
        input positions that kernel position read (padding cropped at the end)."""
        p = self.params
        n, c, *spatial = self.x_shape
        kernel = self.w_shape[2:]
        blocks = dcols.reshape(n, *self.out, c, *kernel)
        padded = [s + lo + hi for s, (lo, hi) in zip(spatial, p["padding"], strict=True)]
        dxp = xp.zeros((n, c, *padded), dtype=dcols.dtype)
        for pos in kernel_positions(kernel):
            block = xp.moveaxis(blocks[(..., *pos)], -1, 1)  # (N, C, *out)
            dxp[(slice(None), slice(None), *window_slice(pos, self.out, p["stride"], p["dilation"]))] += block
        return unpad(dxp, p["padding"])

    def shape_error(self, inputs, exc):
        x, w, *b = (tuple(t.shape) for t in inputs)
        bias = f" and bias {b[0]}" if b else ""
        return ShapeError(f"conv: input {x}, weight {w}{bias} do not fit: {exc}")


def _join(xp, blocks, axis):
    """The groups' blocks side by side along ``axis`` (the one block itself when G = 1)."""
    return blocks[0] if len(blocks) == 1 else xp.concatenate(blocks, axis=axis)


def im2col_bytes(x_shape, weight_shape, stride, padding, dilation, itemsize=4):
    """Size in bytes of the im2col matrix ``(N·∏out, C·∏kernel)`` a convolution builds."""
    n, c, *spatial = x_shape
    kernel = weight_shape[2:]
    out = [output_size(s, k, st, lo, hi, dl)
           for s, k, st, (lo, hi), dl in zip(spatial, kernel, stride, padding, dilation, strict=True)]
    return n * math.prod(out) * c * math.prod(kernel) * itemsize


def conv(x, weight, stride, padding, dilation, groups=1, bias=None):
    """Convolution of x (N, C, *spatial) with weight (out_c, C/groups, *kernel), plus
    ``bias`` (out_c,) when given.

    ``stride`` and ``dilation`` are tuples (one per spatial axis), ``padding`` a tuple of
    (lo, hi) pairs. Argument checking and PyTorch's forms (``"same"``, ints) live in
    :func:`glassnet.nn.functional.conv2d` and friends.
    """
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv.apply(*inputs, stride=tuple(stride), padding=tuple(padding),
                      dilation=tuple(dilation), groups=int(groups))
