"""Fast convolution kernels: the reference's im2col + GEMM in two memory layouts.

Both compute the matrices of :class:`~glassnet.ops._conv.Conv` — ``Y₂ = cols · W₂ᵀ + b``,
``dW₂ = dY₂ᵀ · cols``, ``dcols = dY₂ · W₂`` then col2im — but lay them out so that the
data is copied as few times as possible:

- **rows** (:class:`ConvRows`, long patches: C/G·∏kernel > ``PER_SAMPLE_MAX_COLS``): the
  input is copied once into a zero-padded channels-last buffer, so each kernel position
  contributes a contiguous run of channels; im2col rows are (group, kernel position,
  channel-in-group) and the whole batch is one GEMM. The output is laid out channels
  first with the bias added in the same pass; ``db`` is one GEMV (``1ᵀ · dY₂``); col2im
  runs one kernel position's GEMM at a time into one reused block (no full dcols matrix).
- **per sample** (:class:`ConvPerSample`, short patches: first layers, thin layers): the
  same im2col transposed per sample: ``cols[n]`` is (C·∏kernel, ∏out), read straight from
  the channels-first input, and ``Y[n] = W₂ · cols[n]`` is already (out_c, ∏out), so
  neither the input, the output nor the gradient needs a layout copy.

The im2col columns live in a buffer the op owns (returned to a free list when the op is
collected); the other temporaries are scratch (:mod:`glassnet.kernels._memory`).
"""

import math

from glassnet._backend import namespace
from glassnet._windows import kernel_positions, output_size, pad_input, unpad, window_slice, windows
from glassnet.kernels._memory import owned_buffer, scratch
from glassnet.kernels._registry import Kernel, register

__all__ = ["PER_SAMPLE_MAX_COLS", "ConvPerSample", "ConvRows"]

PER_SAMPLE_MAX_COLS = 96
"""Convolutions whose patches hold at most this many values (C/G·∏kernel: first layers,
thin layers) take the per-sample layout: the im2col matrix per sample is
(C·∏kernel, ∏out), read from the channels-first input, and the GEMM writes channels-first
output directly. There the layout copies of the rows layout (input, output, gradient; each
as large as the data) cost more than the thin GEMMs. Longer patches make the GEMMs the
bulk of the work, and one GEMM on rows of the whole batch is faster (measured, 1 thread:
3 channels 3×3 per-sample 3.8× faster; 32 channels 3×3 even; 64 channels 3×3 rows 2×)."""


def _patch_length(w):
    """C/G·∏kernel: the values one filter of ``w`` (out_c, C/G, *kernel) reads."""
    return w.shape[1] * math.prod(w.shape[2:])


def _is_array(x):
    return isinstance(x, namespace(x).ndarray)


def _start(op, x, w, stride, padding, dilation):
    """What both layouts keep on the op: input and weight shapes, output spatial size."""
    op.x_shape, op.w_shape = x.shape, w.shape
    op.out = tuple(output_size(s, k, st, lo, hi, dl) for s, k, st, (lo, hi), dl
                   in zip(x.shape[2:], w.shape[2:], stride, padding, dilation, strict=True))


def _column_sums(xp, a):
    """``1ᵀ · a``: the sum of each column of a 2-D array, as one GEMV (BLAS reads ``a``
    once, where ``a.sum(axis=0)`` of a tall array makes NumPy pass over it row by row)."""
    return xp.ones(a.shape[0], dtype=a.dtype) @ a


class ConvPerSample(Kernel):
    """Short patches: per sample, ``Y[n] = W₂ · cols[n]`` with ``cols[n]`` of shape
    (C·∏kernel, ∏out), a batched GEMM over samples and groups, channels first throughout."""

    primitive = "Conv"
    name = "conv_per_sample"
    summary = ("im2col per sample, channels first: Y[n] = W₂ · cols[n] with no layout copy "
               f"(patches of at most {PER_SAMPLE_MAX_COLS} values)")

    def applies(self, x, w, *bias, stride, padding, dilation, groups):
        return _is_array(x) and _patch_length(w) <= PER_SAMPLE_MAX_COLS

    def forward(self, op, x, w, *bias, stride, padding, dilation, groups):
        xp = namespace(x)
        _start(op, x, w, stride, padding, dilation)
        n, d = x.shape[0], x.ndim - 2
        view = windows(xp, pad_input(xp, x, padding), w.shape[2:], stride, dilation)
        order = (0, 1, *range(2 + d, 2 + 2 * d), *range(2, 2 + d))  # (N, C, *kernel, *out)
        cols = owned_buffer(op, xp, tuple(view.shape[i] for i in order), x.dtype)
        cols[...] = view.transpose(order)  # the im2col copy
        op.cols = cols.reshape(n, groups, -1, math.prod(op.out))
        op.w3 = w.reshape(groups, w.shape[0] // groups, -1)  # (G, O/G, C/G·∏kernel)
        y = xp.matmul(op.w3, op.cols).reshape(n, w.shape[0], *op.out)  # (N, G, O/G, ∏out)
        if not bias:
            return y
        b = bias[0]
        if xp.result_type(y, b) != y.dtype:  # a wider bias widens the output (as y + b)
            return y + b.reshape(-1, *(1,) * d)
        y.reshape(n, w.shape[0], -1)[...] += b[:, None]
        return y

    def backward(self, op, g):
        """``dW₂ = Σₙ dY[n] · cols[n]ᵀ`` and ``dcols[n] = W₂ᵀ · dY[n]`` (batched GEMMs), then
        col2im straight into a channels-first buffer."""
        xp = namespace(g)
        n, groups, p = op.x_shape[0], op.params["groups"], op.params
        g4 = g.reshape(n, groups, -1, op.cols.shape[-1])  # (N, G, O/G, ∏out)
        dx = dw = None
        db = () if len(op.needs_grad) < 3 else (None,)
        if db and op.needs_grad[2]:  # Σ over positions (a GEMV on (N·O, ∏out)), then over N
            db = (_column_sums(xp, g.reshape(-1, g4.shape[-1]).T).reshape(n, -1).sum(axis=0),)
        if op.needs_grad[1]:
            dw = xp.matmul(g4, op.cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(op.w_shape)
        if op.needs_grad[0]:
            dcols = xp.matmul(op.w3.transpose(0, 2, 1), g4)  # (N, G, C/G·∏kernel, ∏out)
            c, *spatial = op.x_shape[1:]
            blocks = dcols.reshape(n, c, *op.w_shape[2:], *op.out)
            padded = [s + lo + hi for s, (lo, hi) in zip(spatial, p["padding"], strict=True)]
            dxp = xp.zeros((n, c, *padded), dtype=dcols.dtype)
            for pos in kernel_positions(op.w_shape[2:]):
                dxp[(slice(None), slice(None), *window_slice(pos, op.out, p["stride"], p["dilation"]))] \
                    += blocks[(slice(None), slice(None), *pos)]
            dx = unpad(dxp, p["padding"])
        return (dx, dw, *db)


class ConvRows(Kernel):
    """Long patches: im2col rows of the whole batch from a channels-last copy, one GEMM
    (per group), the output laid out channels first with the bias fused in.

    im2col row r holds the patch of output position r (n, *out index) as (group, kernel
    position, channel-in-group): with a channels-last copy of x, each kernel position
    contributes a contiguous run of channels."""

    primitive = "Conv"
    name = "conv_rows"
    summary = ("im2col rows of the whole batch from a channels-last copy, one GEMM, bias fused into "
               f"the output's layout (patches of more than {PER_SAMPLE_MAX_COLS} values)")

    def applies(self, x, w, *bias, stride, padding, dilation, groups):
        return _is_array(x) and _patch_length(w) > PER_SAMPLE_MAX_COLS

    def forward(self, op, x, w, *bias, stride, padding, dilation, groups):
        xp = namespace(x)
        _start(op, x, w, stride, padding, dilation)
        b = bias[0] if bias else None
        n, c = x.shape[:2]
        d, kernel = w.ndim - 2, w.shape[2:]
        buf = _padded_channels_last(xp, x, padding)  # (N, *padded, C)
        span = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation, strict=True))
        view = xp.lib.stride_tricks.sliding_window_view(buf, span, axis=tuple(range(1, d + 1)))
        view = view[(slice(None), *(slice(None, None, s) for s in stride), slice(None),
                     *(slice(None, None, dl) for dl in dilation))]  # (N, *out, C, *kernel)
        view = view.reshape(n, *op.out, groups, c // groups, *kernel)
        order = (*range(d + 2), *range(d + 3, 2 * d + 3), d + 2)  # (N, *out, G, *kernel, C/G)
        rows = n * math.prod(op.out)
        cols = owned_buffer(op, xp, (n, *op.out, groups, *kernel, c // groups), x.dtype)
        cols[...] = view.transpose(order)  # the im2col copy
        op.cols = cols.reshape(rows, -1)
        op.w2 = _weight_rows(w)
        if groups == 1:  # (N·∏out, out_c): one GEMM
            y2 = xp.matmul(op.cols, op.w2.T, out=scratch(xp, "conv.y2", (rows, w.shape[0]), x.dtype))
        else:
            y2 = _grouped_matmul(xp, op.cols, op.w2, groups)
        # laid out channels first by a copy (even when the transpose is already contiguous,
        # out_c 1: y2 may be scratch); the bias is added by the same pass
        y = xp.empty((n, w.shape[0], *op.out), dtype=y2.dtype if b is None else xp.result_type(y2, b))
        y2 = y2.reshape(n, *op.out, w.shape[0]).transpose(_channels_first(d))
        if b is None:
            y[...] = y2
        else:
            xp.add(y2, b.reshape(-1, *(1,) * d), out=y)
        return y

    def backward(self, op, g):
        xp = namespace(g)
        d, groups = len(op.out), op.params["groups"]
        o, cg, *kernel = op.w_shape
        g2 = scratch(xp, "conv.g2", (g.shape[0], *op.out, o), g.dtype)
        g2[...] = g.transpose(_channels_last(d))
        g2 = g2.reshape(-1, o)  # dY₂ (M, out_c)
        dx = dw = None
        db = () if len(op.needs_grad) < 3 else (_column_sums(xp, g2) if op.needs_grad[2] else None,)
        if op.needs_grad[1]:
            dw2 = _grouped_matmul(xp, g2.T, op.cols, groups, transpose_out=True)  # (out_c, ∏k·C/G)
            dw = xp.ascontiguousarray(dw2.reshape(o, -1, cg).transpose(0, 2, 1)).reshape(op.w_shape)
        if op.needs_grad[0]:
            dx = _col2im_rows(xp, op, g2)
        return (dx, dw, *db)


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


def _col2im_rows(xp, op, g2):
    """``dcols = dY₂ · W₂`` one kernel position's block (rows, C/G per group) at a time,
    each a GEMM into one reused buffer, then added onto the input positions that kernel
    position read (a channels-last buffer): contiguous runs, no full dcols matrix."""
    p = op.params
    n, c, *spatial = op.x_shape
    o, cg, *kernel = op.w_shape
    groups, rows = p["groups"], g2.shape[0]
    wk = xp.ascontiguousarray(op.w2.reshape(groups, o // groups, -1, cg).transpose(2, 0, 1, 3))
    g3 = g2.reshape(rows, groups, o // groups).transpose(1, 0, 2)  # (G, M, O/G)
    block = scratch(xp, "conv.block", (groups, rows, cg), g2.dtype)
    block_view = xp.moveaxis(block.reshape(groups, n, *op.out, cg), 0, -2)  # (N, *out, G, C/G)
    padded = [s + lo + hi for s, (lo, hi) in zip(spatial, p["padding"], strict=True)]
    dxp = scratch(xp, "conv.dx_last", (n, *padded, groups, cg), g2.dtype)
    dxp.fill(0)
    for k, pos in enumerate(kernel_positions(kernel)):
        xp.matmul(g3, wk[k], out=block)  # (G, M, O/G) · (G, O/G, C/G)
        dxp[(slice(None), *window_slice(pos, op.out, p["stride"], p["dilation"]))] += block_view
    crop = tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, p["padding"], strict=True))
    dx = dxp.reshape(n, *padded, c)[(slice(None), *crop)]
    return dx.transpose(_channels_first(len(op.out))).copy()  # a copy: dxp is scratch


def _grouped_matmul(xp, a, b, groups, transpose_out=False):
    """The GEMM(s) of the rows layout, one per group.

    - forward  (default): ``a`` cols (M, C·k), ``b`` W₂ (O, C/G·k) → ``a_g · b_gᵀ`` (M, O)
    - ``transpose_out``: ``a`` dY₂ᵀ (O, M), ``b`` cols (M, C·k) → ``a_g · b_g`` (O, C/G·k)
    """
    if groups == 1:
        return a @ b if transpose_out else a @ b.T
    if transpose_out:  # dW: (G, O/G, M) @ (G, M, C/G·k) → (O, C/G·k)
        ag = a.reshape(groups, -1, a.shape[1])
        bg = b.reshape(b.shape[0], groups, -1).transpose(1, 0, 2)
        return (ag @ bg).reshape(a.shape[0], -1)
    bg = b.reshape(groups, b.shape[0] // groups, b.shape[1])  # (G, O/G, C/G·k)
    ag = a.reshape(a.shape[0], groups, -1).transpose(1, 0, 2)  # (G, M, ·)
    return (ag @ bg.transpose(0, 2, 1)).transpose(1, 0, 2).reshape(a.shape[0], -1)


register(ConvPerSample())
register(ConvRows())
