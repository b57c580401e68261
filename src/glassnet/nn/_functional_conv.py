"""Functional convolution, pooling, batch norm and channel dropout (PyTorch's signatures).

``conv1d``/``conv2d`` and the pools turn PyTorch's argument forms (ints, tuples,
``"same"``/``"valid"``) into per-axis tuples and call the primitives in
:mod:`glassnet.ops._conv` and :mod:`glassnet.ops._pool`. ``batch_norm`` calls the
fused primitive in :mod:`glassnet.ops._batchnorm`; ``adaptive_avg_pool2d`` and
``dropout2d`` are composed from existing primitives.
"""

import numpy as np

from glassnet._backend import default_generator, namespace
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet._windows import output_size
from glassnet.autograd._tensor import Tensor
from glassnet.nn._pool_index import max_positions
from glassnet.ops._batchnorm import RunningStats, batch_norm_op
from glassnet.ops._conv import conv
from glassnet.ops._pool import avg_pool, max_pool

__all__ = ["conv1d", "conv2d", "conv3d", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
           "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "batch_norm",
           "dropout2d", "tuple_arg", "conv_padding"]

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_KERNEL_AXES = {1: "k", 2: "kh, kw", 3: "kd, kh, kw"}


def tuple_arg(value, d, name, what):
    """An int or a d-tuple of ints as a d-tuple (PyTorch's ``_single``/``_pair``)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * d
    value = tuple(int(v) for v in value)
    if len(value) != d:
        raise GlassnetValueError(f"{name}: {what} must be an int or {d} ints, got {value}")
    return value


def conv_padding(padding, d, kernel, stride, dilation, name):
    """PyTorch's ``padding`` forms → (lo, hi) per axis.

    ``"valid"`` is no padding; ``"same"`` pads ``dilation·(k − 1)`` in total, the odd one
    on the high side (as PyTorch), and needs stride 1."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * d
        if padding != "same":
            raise GlassnetValueError(
                f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
        if any(s != 1 for s in stride):
            raise GlassnetValueError(f"{name}: padding='same' needs stride 1, got stride {stride}")
        totals = [dl * (k - 1) for k, dl in zip(kernel, dilation, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = tuple_arg(padding, d, name, "padding")
    if min(pads) < 0:
        raise GlassnetValueError(f"{name}: padding must be >= 0, got {padding}")
    return tuple((p, p) for p in pads)


def _check_input(x, d, name, channels=None):
    if x.ndim != d + 2 or (channels is not None and x.shape[1] != channels):
        c = "C" if channels is None else channels
        want = _LAYOUT[d].replace("C", str(c))
        hint = " (add a batch axis: x.unsqueeze(0))" if x.ndim == d + 1 else ""
        raise ShapeError(f"{name}: expected input {want}, got {tuple(x.shape)}{hint}")


def _conv(x, weight, bias, stride, padding, dilation, groups, d, name):
    if weight.ndim != d + 2:
        raise ShapeError(
            f"{name}: weight must be (out_channels, in_channels/groups, {_KERNEL_AXES[d]})"
            f", got {tuple(weight.shape)}")
    out_c, in_per_group = weight.shape[:2]
    if groups < 1 or out_c % groups:
        raise GlassnetValueError(f"{name}: out_channels {out_c} must be divisible by groups {groups}")
    _check_input(x, d, name, in_per_group * groups)
    kernel = weight.shape[2:]
    stride = tuple_arg(stride, d, name, "stride")
    dilation = tuple_arg(dilation, d, name, "dilation")
    pads = conv_padding(padding, d, kernel, stride, dilation, name)
    _check_output(x, kernel, stride, pads, dilation, name)
    if bias is not None and tuple(bias.shape) != (out_c,):
        raise ShapeError(
            f"{name}: bias must be ({out_c},) — one per output channel — got {tuple(bias.shape)}")
    return conv(x, weight, stride, pads, dilation, groups, bias)


def _check_output(x, kernel, stride, pads, dilation, name):
    out = [output_size(s, k, st, lo, hi, dl) for s, k, st, (lo, hi), dl
           in zip(x.shape[2:], kernel, stride, pads, dilation, strict=True)]
    if min(out) < 1:
        raise ShapeError(
            f"{name}: input {tuple(x.shape)} is smaller than the (dilated) kernel {tuple(kernel)} "
            f"with padding {[lo for lo, _ in pads]}: the output would be {tuple(out)}")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution: x (N, C_in, D, H, W), weight (C_out, C_in/groups, kd, kh, kw), bias
    (C_out,) → (N, C_out, D_out, H_out, W_out), each output size as in :func:`conv2d`; the
    same im2col + one GEMM, over three spatial axes."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution: x (N, C_in, L), weight (C_out, C_in/groups, k), bias (C_out,)
    → (N, C_out, L_out), ``L_out = ⌊(L + 2p − d·(k−1) − 1)/s⌋ + 1``; im2col + one GEMM."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution: x (N, C_in, H, W), weight (C_out, C_in/groups, kh, kw), bias (C_out,)
    → (N, C_out, H_out, W_out); each output cell is one patch · one filter (im2col + GEMM).

    Like PyTorch this is cross-correlation (the kernel is not flipped):
    ``y(n,o,i,j) = bias(o) + Σ_{c,u,v} weight(o,c,u,v) · x(n, c, s·i+d·u−p, s·j+d·v−p)``.

    Args:
        input: the input ``x`` (N, C_in, H, W).
        weight: the filters (C_out, C_in/groups, kh, kw).
        bias: a value added to each output channel (C_out,) (default None).
        stride: ``s``, the step between patches (an int or a pair; default 1).
        padding: ``p``, zeros added on each side (an int or a pair; default 0).
        dilation: ``d``, the spacing between a filter's taps (an int or a pair; default 1).
        groups: split the channels into this many groups, each convolved with its own
            filters (default 1).

    Shape:
        input ``(N, C_in, H, W)`` → output ``(N, C_out, H_out, W_out)`` with
        ``H_out = ⌊(H + 2p − d·(kh−1) − 1)/s⌋ + 1``, W likewise.

    Example:
        >>> import glassnet as gn
        >>> x = gn.arange(16.0).reshape(1, 1, 4, 4)
        >>> w = gn.tensor([[[[1.0, 0.0], [0.0, -1.0]]]])     # x(i, j) − x(i+1, j+1)
        >>> print(gn.nn.functional.conv2d(x, w).numpy())
        [[[[-5. -5. -5.]
           [-5. -5. -5.]
           [-5. -5. -5.]]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _pool_args(x, kernel_size, stride, padding, d, name):
    _check_input(x, d, name)
    kernel = tuple_arg(kernel_size, d, name, "kernel_size")
    stride = kernel if stride is None or stride == () else tuple_arg(stride, d, name, "stride")
    pads = tuple_arg(padding, d, name, "padding")
    if any(2 * p > k for p, k in zip(pads, kernel, strict=True)):
        raise GlassnetValueError(
            f"{name}: padding {pads} must be at most half the kernel size {kernel}")
    return kernel, stride, pads


def _ceil_pads(x, kernel, stride, pads, dilation):
    """Extra high-side padding that ``ceil_mode`` needs: a last window may hang over the
    end as long as it starts inside the input or the low padding (PyTorch's rule)."""
    extra = []
    for size, k, s, p, dl in zip(x.shape[2:], kernel, stride, pads, dilation, strict=True):
        span = size + 2 * p - dl * (k - 1) - 1
        out = -(-span // s) + 1
        if (out - 1) * s >= size + p:
            out -= 1
        extra.append(max(0, (out - 1) * s - span))
    return tuple((p, p + e) for p, e in zip(pads, extra, strict=True))


def _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, d, name):
    kernel, stride, pads = _pool_args(x, kernel_size, stride, padding, d, name)
    dilation = tuple_arg(dilation, d, name, "dilation")
    pairs = _ceil_pads(x, kernel, stride, pads, dilation) if ceil_mode else tuple((p, p) for p in pads)
    _check_output(x, kernel, stride, pairs, dilation, name)
    out = max_pool(x, kernel, stride, pairs, dilation)
    if return_indices:  # where each maximum sits (for max_unpool): nn._pool_index
        return out, max_positions(x, kernel, stride, pairs, dilation)
    return out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Largest value of each window: (N, C, L) → (N, C, L_out); stride defaults to kernel.
    ``return_indices=True`` also returns each maximum's position along L (int64)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1,
                     "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Largest value of each window: (N, C, H, W) → (N, C, H_out, W_out).
    ``return_indices=True`` also returns each maximum's flat position ``h·W + w`` (int64)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2,
                     "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Largest value of each window: (N, C, D, H, W) → (N, C, D_out, H_out, W_out)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3,
                     "max_pool3d")


def _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
              d, name):
    kernel, stride, pads = _pool_args(x, kernel_size, stride, padding, d, name)
    pairs = _ceil_pads(x, kernel, stride, pads, (1,) * d) if ceil_mode else tuple((p, p) for p in pads)
    _check_output(x, kernel, stride, pairs, (1,) * d, name)
    if all(lo == hi for lo, hi in pairs) or divisor_override:
        return avg_pool(x, kernel, stride, pairs, count_include_pad, divisor_override)
    sums = avg_pool(x, kernel, stride, pairs, True, 1)  # each window's sum (the overhang adds zeros)
    return sums / _ceil_divisors(x, kernel, stride, pads, sums.shape[2:], count_include_pad)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean of each window: (N, C, D, H, W) → (N, C, D_out, H_out, W_out)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, "avg_pool3d")


def _ceil_divisors(x, kernel, stride, pads, out, count_include_pad):
    """PyTorch's divisor of each ``ceil_mode`` window: the positions it covers inside the
    padded input (inside the input alone without ``count_include_pad``) — the overhang
    past the padding never counts. One count per axis, multiplied: (*out)."""
    counts = []
    for size, k, s, p, n in zip(x.shape[2:], kernel, stride, pads, out, strict=True):
        start = np.arange(n) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    divisors = counts[0]
    for c in counts[1:]:
        divisors = np.multiply.outer(divisors, c)
    xp = namespace(x.array)
    return Tensor._wrap(xp.asarray(divisors, dtype=x.dtype), False, None)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean of each window: (N, C, L) → (N, C, L_out); padding zeros count by default."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1,
                     "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean of each window: (N, C, H, W) → (N, C, H_out, W_out)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def _averaging_matrix(xp, size, out, dtype):
    """A (out, size) matrix whose row i averages inputs ⌊i·size/out⌋ … ⌈(i+1)·size/out⌉ − 1
    (PyTorch's adaptive bins)."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return Tensor._wrap(xp.asarray(inside / (end - start)[:, None], dtype=dtype), False, None)


def adaptive_avg_pool1d(input, output_size):
    """Average into ``output_size`` bins: (N, C, L) → (N, C, out) as ``x · Aᵀ``, with A the
    (out, L) averaging matrix."""
    _check_input(input, 1, "adaptive_avg_pool1d")
    (out,) = tuple_arg(output_size, 1, "adaptive_avg_pool1d", "output_size")
    xp = namespace(input.array)
    return input @ _averaging_matrix(xp, input.shape[2], out, input.dtype).T


def adaptive_avg_pool2d(input, output_size):
    """Average into an ``output_size`` grid of bins: (N, C, H, W) → (N, C, oh, ow), computed
    as two matrix products ``A_h · X · A_wᵀ`` with averaging matrices (out, in)."""
    _check_input(input, 2, "adaptive_avg_pool2d")
    size = (output_size,) * 2 if output_size is None or isinstance(output_size, int) else output_size
    oh, ow = (input.shape[2 + i] if s is None else int(s) for i, s in enumerate(size))
    xp = namespace(input.array)
    a_h = _averaging_matrix(xp, input.shape[2], oh, input.dtype)
    a_w = _averaging_matrix(xp, input.shape[3], ow, input.dtype)
    return (a_h @ input) @ a_w.T


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """``y = (x − μ) / √(σ² + ε) · γ + β`` per channel (axis 1) of (N, C, …); γ, β, the
    running statistics (C,).

    Training: μ, σ² are the batch's (biased variance) and the running statistics, when
    given, move towards them: ``r ← (1 − m)·r + m·batch`` (the running variance uses the
    unbiased batch variance, as PyTorch). Evaluation: the running statistics are used.
    One fused primitive, :class:`glassnet.ops._batchnorm.BatchNorm`, does either."""
    if input.ndim < 2:
        raise ShapeError(f"batch_norm: expected input (N, C, …), got {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"batch_norm: {name} must be ({c},) for input {tuple(input.shape)}, "
                             f"got {tuple(t.shape)}")
    if training:
        if input.array.size // max(c, 1) <= 1:
            raise GlassnetValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"{tuple(input.shape)} (use a batch larger than 1, or eval mode)")
        tracked = running_mean is not None or running_var is not None
        running = RunningStats(None if running_mean is None else running_mean.array,
                               None if running_var is None else running_var.array,
                               momentum) if tracked else None
        return batch_norm_op(input, weight=weight, bias=bias, eps=eps, running=running)
    if running_mean is None or running_var is None:
        raise GlassnetValueError("batch_norm: evaluation needs running_mean and running_var")
    return batch_norm_op(input, running_mean, running_var, weight, bias, eps=eps)


def dropout2d(input, p=0.5, training=True):
    """Zero whole channels: each (n, c) feature map is kept with probability 1 − p and
    scaled by 1/(1 − p). Input (N, C, H, W) (or (N, C, L)); identity when not training."""
    if not 0 <= p <= 1:
        raise GlassnetValueError(f"dropout2d: p must be in [0, 1], got {p}")
    if input.ndim < 3:
        raise ShapeError(f"dropout2d: expected input (N, C, H, W), got {tuple(input.shape)}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    xp = namespace(input.array)
    shape = (*input.shape[:2], *(1,) * (input.ndim - 2))
    draw = xp.asarray(default_generator().random(shape))
    mask = xp.asarray((draw >= p) * (1.0 / (1.0 - p)), dtype=input.dtype)
    return input * Tensor._wrap(mask, False, None)

