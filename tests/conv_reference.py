"""Plain NumPy references for convolution, pooling and batch norm (for op_registry.py).

Written the direct way — for every kernel position, multiply the shifted input slice by
that tap of the kernel and add (no im2col, no GEMM) — so they check glassnet's
im2col + GEMM path with an independent computation. Signatures follow PyTorch's.
"""

import itertools
import math

import numpy as np

__all__ = ["conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
           "adaptive_avg_pool2d", "batch_norm_train", "batch_norm_eval", "BN_STATS"]


def _tuple(v, d):
    return (v,) * d if isinstance(v, int) else tuple(v)


def _same_pads(kernel, dilation):
    totals = [dl * (k - 1) for k, dl in zip(kernel, dilation, strict=True)]
    return [(t // 2, t - t // 2) for t in totals]


def _conv(x, w, b, stride, padding, dilation, groups):
    d = w.ndim - 2
    kernel, stride, dilation = w.shape[2:], _tuple(stride, d), _tuple(dilation, d)
    pads = (_same_pads(kernel, dilation) if padding == "same" else [(0, 0)] * d
            if padding == "valid" else [(p, p) for p in _tuple(padding, d)])
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    out = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(d)]
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    og = o // groups
    y = np.zeros((n, o, *out))
    for g in range(groups):
        xg = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * og:(g + 1) * og]
        for pos in itertools.product(*(range(k) for k in kernel)):
            sl = tuple(slice(p * dl, p * dl + s * (m - 1) + 1, s)
                       for p, dl, s, m in zip(pos, dilation, stride, out, strict=True))
            patch = xg[(slice(None), slice(None), *sl)]  # (N, Cg, *out)
            tap = wg[(slice(None), slice(None), *pos)]  # (Og, Cg)
            y[:, g * og:(g + 1) * og] += np.einsum("nc...,oc->no...", patch, tap)
    if b is not None:
        y += b.reshape(o, *(1,) * d)
    return y.astype(x.dtype)


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(x, w, b, stride, padding, dilation, groups)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(x, w, b, stride, padding, dilation, groups)


def _pool(x, d, kernel_size, stride, padding, dilation, ceil_mode, reduce, fill):
    kernel = _tuple(kernel_size, d)
    stride = kernel if stride is None else _tuple(stride, d)
    pad, dilation = _tuple(padding, d), _tuple(dilation, d)
    out = []
    for i in range(d):
        span = x.shape[2 + i] + 2 * pad[i] - dilation[i] * (kernel[i] - 1) - 1
        m = (-(-span // stride[i]) if ceil_mode else span // stride[i]) + 1
        if ceil_mode and (m - 1) * stride[i] >= x.shape[2 + i] + pad[i]:
            m -= 1
        out.append(m)
    hi = [max(pad[i], (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) - x.shape[2 + i]
              - pad[i] + 1) for i in range(d)]
    xp = np.pad(x, [(0, 0), (0, 0), *zip(pad, hi, strict=True)], constant_values=fill)
    taps = []
    for pos in itertools.product(*(range(k) for k in kernel)):
        sl = tuple(slice(p * dl, p * dl + s * (m - 1) + 1, s)
                   for p, dl, s, m in zip(pos, dilation, stride, out, strict=True))
        taps.append(xp[(slice(None), slice(None), *sl)])
    return reduce(np.stack(taps), kernel, pad, stride, x)


def _max(taps, *_):
    return taps.max(axis=0)


def _mean_counting(count_include_pad, divisor_override):
    def reduce(taps, kernel, pad, stride, x):
        total = taps.sum(axis=0)
        if divisor_override:
            return total / divisor_override
        if count_include_pad:
            return total / math.prod(kernel)
        ones = np.ones((1, 1, *x.shape[2:]))
        counts = _pool(ones, len(kernel), kernel, stride, pad, 1, False,
                       lambda t, *_: t.sum(axis=0), 0.0)
        return total / counts

    return reduce


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _pool(x, 1, kernel_size, stride, padding, dilation, ceil_mode, _max, -np.inf)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _pool(x, 2, kernel_size, stride, padding, dilation, ceil_mode, _max, -np.inf)


def avg_pool1d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    return _pool(x, 1, kernel_size, stride, padding, 1, False,
                 _mean_counting(count_include_pad, None), 0.0)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True,
               divisor_override=None):
    return _pool(x, 2, kernel_size, stride, padding, 1, False,
                 _mean_counting(count_include_pad, divisor_override), 0.0)


def adaptive_avg_pool2d(x, output_size):
    oh, ow = _tuple(output_size, 2)
    h, w = x.shape[2:]
    y = np.zeros((*x.shape[:2], oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * h // oh, -(-(i + 1) * h // oh))
            cols = slice(j * w // ow, -(-(j + 1) * w // ow))
            y[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return y


def batch_norm_train(x, weight, bias, eps=1e-5):
    axes = (0, *range(2, x.ndim))
    shape = (-1, *(1,) * (x.ndim - 2))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


BN_STATS = (np.array([0.5, -0.25, 1.0]), np.array([2.0, 0.5, 1.5]))
"""Fixed running (mean, var) of 3 channels for the eval-mode batch norm entries."""


def batch_norm_eval(x, weight, bias, eps=1e-5):
    shape = (-1, *(1,) * (x.ndim - 2))
    mean, var = (s.reshape(shape) for s in BN_STATS)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)
