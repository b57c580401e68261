"""Convolution as matrix multiplication: im2col + one GEMM.

A convolution slides a kernel over the input and, at each output position, takes the dot
product of the kernel with the patch under it. Written as matrices:

- **im2col**: every patch (one receptive field of ``C·k₁·k₂`` values) becomes one row of a
  matrix ``cols`` of shape ``(N·H_out·W_out, C·k₁·k₂)``. The patches are read from a
  strided *view* of the (padded) input (``sliding_window_view``, no copy); the one copy
  is laying them out as rows.
- **one GEMM**: the weight ``(out_c, C, k₁, k₂)`` reshaped to ``W₂ (out_c, C·k₁·k₂)``
  gives ``Y₂ = cols · W₂ᵀ`` of shape ``(N·H_out·W_out, out_c)``: row ``r``, column ``o`` is
  patch ``r`` · filter ``o``. Reshaped, it is the output ``(N, out_c, H_out, W_out)``.
- **backward**: ``dW₂ = dY₂ᵀ · cols`` (one GEMM) and ``dcols = dY₂ · W₂`` (one GEMM);
  ``col2im`` adds each kernel position's column block back onto the input positions it
  came from: a loop over the ``k₁·k₂`` kernel positions, never over pixels.

**Two layouts, one matrix.** Long patches (C/G·∏kernel > ``PER_SAMPLE_MAX_COLS``) use
the rows above, built from a channels-last copy so the whole batch is one GEMM. Short
patches (first layers, few channels) use the same im2col transposed per sample: ``cols[n]`` is
``(C·∏kernel, ∏out)`` and ``Y[n] = W₂ · cols[n]`` is already ``(out_c, ∏out)``, channels
first, so neither the input, the output nor the gradient needs a layout copy.

With ``groups = G`` the channels split into G independent convolutions: one GEMM per
group (a batched matmul). The same code serves 1-D (N, C, L) and 2-D (N, C, H, W) inputs.
"""

import itertools
import math

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet.autograd._function import Function
from glassnet.kernels._memory import owned_buffer, scratch

__all__ = ["PER_SAMPLE_MAX_COLS", "Conv", "conv", "output_size", "windows", "pad_input", "kernel_positions",
           "window_slice", "im2col_bytes", "scratch", "owned_buffer"]

PER_SAMPLE_MAX_COLS = 96
"""Convolutions whose patches hold at most this many values (C/G·∏kernel: first layers,
thin layers) take the per-sample layout: the im2col matrix per sample is
(C·∏kernel, ∏out), read from the channels-first input, and the GEMM writes channels-first
output directly. There the layout copies of the rows layout (input, output, gradient; each
as large as the data) cost more than the thin GEMMs. Longer patches make the GEMMs the
bulk of the work, and one GEMM on rows of the whole batch is faster (measured, 1 thread:
3 channels 3×3 per-sample 3.8× faster; 32 channels 3×3 even; 64 channels 3×3 rows 2×)."""


def output_size(size, kernel, stride, pad_lo, pad_hi, dilation):
    """``⌊(size + pad_lo + pad_hi − dilation·(kernel − 1) − 1) / stride⌋ + 1``."""
    return (size + pad_lo + pad_hi - dilation * (kernel - 1) - 1) // stride + 1


def pad_input(xp, x, padding, value=0.0):
    """``x`` (N, C, *spatial) with ``padding`` ((lo, hi) per spatial axis) added; no copy
    when there is no padding."""
    if not any(lo or hi for lo, hi in padding):
        return x
    widths = ((0, 0), (0, 0), *padding)
    return xp.pad(x, widths, mode="constant", constant_values=value)


def windows(xp, x, kernel, stride, dilation):
    """A strided view of every window of ``x`` (N, C, *spatial, already padded):
    shape ``(N, C, *out, *kernel)``, where ``[..., i, j]`` is the input value under kernel
    position (i, j). No copy is made."""
    d = len(kernel)
    span = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation, strict=True))
    view = xp.lib.stride_tricks.sliding_window_view(x, span, axis=tuple(range(2, 2 + d)))
    steps = tuple(slice(None, None, s) for s in stride) + tuple(slice(None, None, dl) for dl in dilation)
    return view[(slice(None), slice(None), *steps)]


def kernel_positions(kernel):
    """Every kernel position as a tuple of indices, in row-major (C) order."""
    return itertools.product(*(range(k) for k in kernel))


def window_slice(position, out, stride, dilation):
    """The spatial slices of the padded input that kernel ``position`` touches: for each
    axis, ``i·dilation, i·dilation + stride, …`` (``out`` values)."""
    return tuple(slice(i * dl, i * dl + s * (n - 1) + 1, s)
                 for i, n, s, dl in zip(position, out, stride, dilation, strict=True))


def im2col_bytes(x_shape, weight_shape, stride, padding, dilation, itemsize=4):
    """Size in bytes of the im2col matrix ``(N·∏out, C·∏kernel)`` a convolution builds."""
    n, c, *spatial = x_shape
    kernel = weight_shape[2:]
    out = [output_size(s, k, st, lo, hi, dl)
           for s, k, st, (lo, hi), dl in zip(spatial, kernel, stride, padding, dilation, strict=True)]
    return n * math.prod(out) * c * math.prod(kernel) * itemsize


def _channels_last(d):
    """Axis order that moves the channel axis of (N, C, *spatial) to the end."""
    return (0, *range(2, 2 + d), 1)


def _channels_first(d):
    """The inverse of :func:`_channels_last`."""
    return (0, d + 1, *range(1, d + 1))


def _padded_channels_last(xp, x, padding):
    """x (N, C, *spatial) copied once into a zero-padded channels-last buffer
    (N, *padded, C): every window then reads runs of C contiguous values."""
    d = x.ndim - 2
    n, c, *spatial = x.shape
    padded = [s + lo + hi for s, (lo, hi) in zip(spatial, padding, strict=True)]
    buf = scratch(xp, "conv.x_last", (n, *padded, c), x.dtype)  # a temporary of forward
    if any(lo or hi for lo, hi in padding):
        buf.fill(0)
    buf[(slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(spatial, padding, strict=True)))] = \
        x.transpose(_channels_last(d))
    return buf


def _weight_rows(w):
    """W₂: the weight (out_c, C/G, *kernel) as rows (out_c, ∏kernel·C/G), columns in the
    im2col order (kernel position, then channel)."""
    return namespace(w).ascontiguousarray(w.reshape(*w.shape[:2], -1).transpose(0, 2, 1)).reshape(
        w.shape[0], -1)


class Conv(Function):
    """N-d convolution (cross-correlation, as PyTorch) of x (N, C, *spatial) with
    w (out_c, C/groups, *kernel) → (N, out_c, *out), plus an optional bias (out_c,) added
    to every output position while the output is laid out (no separate pass).

    im2col row r holds the patch of output position r (n, i, j) as (group, kernel
    position, channel-in-group): with a channels-last copy of x, each kernel position
    contributes a contiguous run of channels."""

    formula = "Y₂ = im2col(X) · W₂ᵀ + b   (rows: patches of C·k values; W₂ = W as (out_c, C·k))"
    grad_formulas = ("dX = col2im(dY₂ · W₂)  (each kernel position's block added back)",
                     "dW₂ = dY₂ᵀ · im2col(X)",
                     "db = dY₂ᵀ · 1  (each channel summed over batch and positions)")

    def forward(self, x, w, *bias, stride, padding, dilation, groups):
        xp = namespace(x)
        b = bias[0] if bias else None
        self.x_shape, self.w_shape = x.shape, w.shape
        self.out = tuple(output_size(s, k, st, lo, hi, dl) for s, k, st, (lo, hi), dl
                         in zip(x.shape[2:], w.shape[2:], stride, padding, dilation, strict=True))
        self.per_sample = w.shape[1] * math.prod(w.shape[2:]) <= PER_SAMPLE_MAX_COLS
        if self.per_sample:
            y = self._forward_per_sample(xp, x, w)
            if b is None:
                return y
            if xp.result_type(y, b) != y.dtype:  # a wider bias widens the output (as y + b)
                return y + b.reshape(-1, *(1,) * (x.ndim - 2))
            y.reshape(x.shape[0], w.shape[0], -1)[...] += b[:, None]
            return y
        n, c = x.shape[:2]
        d, kernel = w.ndim - 2, w.shape[2:]
        buf = _padded_channels_last(xp, x, padding)  # (N, *padded, C)
        span = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation, strict=True))
        view = xp.lib.stride_tricks.sliding_window_view(buf, span, axis=tuple(range(1, d + 1)))
        view = view[(slice(None), *(slice(None, None, s) for s in stride), slice(None),
                     *(slice(None, None, dl) for dl in dilation))]  # (N, *out, C, *kernel)
        view = view.reshape(n, *self.out, groups, c // groups, *kernel)
        order = (*range(d + 2), *range(d + 3, 2 * d + 3), d + 2)  # (N, *out, G, *kernel, C/G)
        rows = n * math.prod(self.out)
        cols = owned_buffer(self, xp, (n, *self.out, groups, *kernel, c // groups), x.dtype)
        cols[...] = view.transpose(order)  # the im2col copy
        self.cols = cols.reshape(rows, -1)
        self.w2 = _weight_rows(w)
        if groups == 1:  # (N·∏out, out_c): one GEMM
            y2 = xp.matmul(self.cols, self.w2.T, out=scratch(xp, "conv.y2", (rows, w.shape[0]), x.dtype))
        else:
            y2 = _grouped_matmul(xp, self.cols, self.w2, groups)
        # laid out channels first by a copy (even when the transpose is already contiguous,
        # out_c 1: y2 may be scratch); the bias is added by the same pass
        y = xp.empty((n, w.shape[0], *self.out), dtype=y2.dtype if b is None else xp.result_type(y2, b))
        y2 = y2.reshape(n, *self.out, w.shape[0]).transpose(_channels_first(d))
        if b is None:
            y[...] = y2
        else:
            xp.add(y2, b.reshape(-1, *(1,) * d), out=y)
        return y

    def _forward_per_sample(self, xp, x, w):
        """Short patches: per sample, ``Y[n] = W₂ · cols[n]`` with ``cols[n]`` of shape
        (C·∏kernel, ∏out), read straight from the channels-first input; the output comes out
        as (N, out_c, *out) with no transpose copy (a batched GEMM over samples and groups)."""
        p, n, groups = self.params, x.shape[0], self.params["groups"]
        d = len(self.out)
        view = windows(xp, pad_input(xp, x, p["padding"]), self.w_shape[2:], p["stride"], p["dilation"])
        order = (0, 1, *range(2 + d, 2 + 2 * d), *range(2, 2 + d))  # (N, C, *kernel, *out)
        cols = owned_buffer(self, xp, tuple(view.shape[i] for i in order), x.dtype)
        cols[...] = view.transpose(order)  # the im2col copy
        self.cols = cols.reshape(n, groups, -1, math.prod(self.out))
        self.w3 = w.reshape(groups, w.shape[0] // groups, -1)  # (G, O/G, C/G·∏kernel)
        return xp.matmul(self.w3, self.cols).reshape(n, w.shape[0], *self.out)  # (N, G, O/G, ∏out)

    def backward(self, g):
        xp = namespace(g)
        if self.per_sample:
            return self._backward_per_sample(xp, g)
        d, groups = len(self.out), self.params["groups"]
        o, cg, *kernel = self.w_shape
        g2 = scratch(xp, "conv.g2", (g.shape[0], *self.out, o), g.dtype)
        g2[...] = g.transpose(_channels_last(d))
        g2 = g2.reshape(-1, o)  # dY₂ (M, out_c)
        dx = dw = None
        db = () if len(self.needs_grad) < 3 else (_column_sums(xp, g2) if self.needs_grad[2] else None,)
        if self.needs_grad[1]:
            dw2 = _grouped_matmul(xp, g2.T, self.cols, groups, transpose_out=True)  # (out_c, ∏k·C/G)
            dw = xp.ascontiguousarray(dw2.reshape(o, -1, cg).transpose(0, 2, 1)).reshape(self.w_shape)
        if self.needs_grad[0]:
            dx = self._col2im(xp, g2)
        return (dx, dw, *db)

    def _backward_per_sample(self, xp, g):
        """``dW₂ = Σₙ dY[n] · cols[n]ᵀ`` and ``dcols[n] = W₂ᵀ · dY[n]`` (batched GEMMs), then
        col2im straight into a channels-first buffer."""
        n, groups, p = self.x_shape[0], self.params["groups"], self.params
        g4 = g.reshape(n, groups, -1, self.cols.shape[-1])  # (N, G, O/G, ∏out)
        dx = dw = None
        db = () if len(self.needs_grad) < 3 else (None,)
        if db and self.needs_grad[2]:  # Σ over positions (a GEMV on (N·O, ∏out)), then over N
            db = (_column_sums(xp, g.reshape(-1, g4.shape[-1]).T).reshape(n, -1).sum(axis=0),)
        if self.needs_grad[1]:
            dw = xp.matmul(g4, self.cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(self.w_shape)
        if self.needs_grad[0]:
            dcols = xp.matmul(self.w3.transpose(0, 2, 1), g4)  # (N, G, C/G·∏kernel, ∏out)
            c, *spatial = self.x_shape[1:]
            blocks = dcols.reshape(n, c, *self.w_shape[2:], *self.out)
            padded = [s + lo + hi for s, (lo, hi) in zip(spatial, p["padding"], strict=True)]
            dxp = xp.zeros((n, c, *padded), dtype=dcols.dtype)
            for pos in kernel_positions(self.w_shape[2:]):
                dxp[(slice(None), slice(None), *window_slice(pos, self.out, p["stride"], p["dilation"]))] \
                    += blocks[(slice(None), slice(None), *pos)]
            dx = dxp[(slice(None), slice(None), *(slice(lo, lo + s) for s, (lo, _)
                                                  in zip(spatial, p["padding"], strict=True)))]
        return (dx, dw, *db)

    def _col2im(self, xp, g2):
        """``dcols = dY₂ · W₂`` one kernel position's block (rows, C/G per group) at a time,
        each a GEMM into one reused buffer, then added onto the input positions that kernel
        position read (a channels-last buffer): contiguous runs, no full dcols matrix."""
        p = self.params
        n, c, *spatial = self.x_shape
        o, cg, *kernel = self.w_shape
        groups, rows = p["groups"], g2.shape[0]
        wk = xp.ascontiguousarray(self.w2.reshape(groups, o // groups, -1, cg).transpose(2, 0, 1, 3))
        g3 = g2.reshape(rows, groups, o // groups).transpose(1, 0, 2)  # (G, M, O/G)
        block = scratch(xp, "conv.block", (groups, rows, cg), g2.dtype)
        block_view = xp.moveaxis(block.reshape(groups, n, *self.out, cg), 0, -2)  # (N, *out, G, C/G)
        padded = [s + lo + hi for s, (lo, hi) in zip(spatial, p["padding"], strict=True)]
        dxp = scratch(xp, "conv.dx_last", (n, *padded, groups, cg), g2.dtype)
        dxp.fill(0)
        for k, pos in enumerate(kernel_positions(kernel)):
            xp.matmul(g3, wk[k], out=block)  # (G, M, O/G) · (G, O/G, C/G)
            dxp[(slice(None), *window_slice(pos, self.out, p["stride"], p["dilation"]))] += block_view
        crop = tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, p["padding"], strict=True))
        dx = dxp.reshape(n, *padded, c)[(slice(None), *crop)]
        return dx.transpose(_channels_first(len(self.out))).copy()  # a copy: dxp is scratch

    def shape_error(self, inputs, exc):
        x, w, *b = (tuple(t.shape) for t in inputs)
        bias = f" and bias {b[0]}" if b else ""
        return ShapeError(f"conv: input {x}, weight {w}{bias} do not fit: {exc}")


def _column_sums(xp, a):
    """``1ᵀ · a``: the sum of each column of a 2-D array, as one GEMV (BLAS reads ``a``
    once, where ``a.sum(axis=0)`` of a tall array makes NumPy pass over it row by row)."""
    return xp.ones(a.shape[0], dtype=a.dtype) @ a


def _grouped_matmul(xp, a, b, groups, weight_side=False, transpose_out=False):
    """The GEMM(s) of a convolution, one per group.

    - forward  (default): ``a`` cols (M, C·k), ``b`` W₂ (O, C/G·k) → ``a_g · b_gᵀ`` (M, O)
    - ``weight_side``: ``a`` dY₂ (M, O), ``b`` W₂ → ``a_g · b_g`` (M, C·k)
    - ``transpose_out``: ``a`` dY₂ᵀ (O, M), ``b`` cols (M, C·k) → ``a_g · b_g`` (O, C/G·k)
    """
    if groups == 1:
        if transpose_out or weight_side:
            return a @ b
        return a @ b.T
    if transpose_out:  # dW: (G, O/G, M) @ (G, M, C/G·k) → (O, C/G·k)
        ag = a.reshape(groups, -1, a.shape[1])
        bg = b.reshape(b.shape[0], groups, -1).transpose(1, 0, 2)
        return (ag @ bg).reshape(a.shape[0], -1)
    bg = b.reshape(groups, b.shape[0] // groups, b.shape[1])  # (G, O/G, C/G·k)
    ag = a.reshape(a.shape[0], groups, -1).transpose(1, 0, 2)  # (G, M, ·)
    out = ag @ bg if weight_side else ag @ bg.transpose(0, 2, 1)
    return out.transpose(1, 0, 2).reshape(a.shape[0], -1)


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
