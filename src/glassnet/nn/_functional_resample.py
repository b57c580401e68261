"""Transposed convolution, pixel shuffle, interpolation and padding modes (PyTorch's
signatures, re-exported by ``nn.functional``). All composed from primitives — the
convolution, indexing, pad, reshape and permute — so each gradient is the chain rule
through those, with no backward written here.

    conv_transpose:  Y = conv(dilate_s(X), flip(Wᵀ)) with padding d·(k−1) − p on each side
                     (+ output_padding on the high side): the adjoint of a strided conv
    pixel_shuffle:   (*, C·r², H, W) → (*, C, H·r, W·r): y[c, h·r+i, w·r+j] = x[c·r²+i·r+j, h, w]
    interpolate:     nearest: y[i] = x[⌊i·scale⌋];  linear: y[i] = (1−λ)·x[i₀] + λ·x[i₀+1]
                     per spatial axis (bilinear = linear along H, then along W); bicubic and
                     antialias: a resampling matrix per axis (_resize_weights.py), a matmul
    pad modes:       reflect x[−i] = x[i], replicate x[−i] = x[0], circular x[−i] = x[n−i]
"""

import math

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn._functional_conv import adaptive_avg_pool1d, adaptive_avg_pool2d, tuple_arg
from glassnet.nn._functional_pool_more import adaptive_avg_pool3d
from glassnet.nn._resize_weights import antialias_matrix, apply_along, bicubic_matrix
from glassnet.ops import _shape
from glassnet.ops._conv import conv

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "interpolate", "pad", "pixel_shuffle",
           "pixel_unshuffle", "upsample", "upsample_bilinear", "upsample_nearest"]


# -- transposed convolution --------------------------------------------------------------

def _dilate(x, stride):
    """``s − 1`` zeros between neighbouring elements along each spatial axis (axes 2…):
    (N, C, L) → (N, C, (L − 1)·s + 1). Built as pad + reshape + slice."""
    for axis, s in enumerate(stride, start=2):
        if s == 1:
            continue
        n = x.shape[axis]
        x = x.unsqueeze(axis + 1)
        widths = [(0, 0)] * x.ndim
        widths[axis + 1] = (0, s - 1)
        x = _shape.pad(x, tuple(widths))
        x = x.reshape(*x.shape[:axis], n * s, *x.shape[axis + 2:])
        x = x[(slice(None),) * axis + (slice(0, (n - 1) * s + 1),)]
    return x


def _flipped_transpose(weight, groups):
    """(C_in, C_out/G, *k) → (C_out, C_in/G, *k), each kernel flipped: the filters of the
    ordinary convolution that a transposed one equals."""
    c_in, c_out_g, *kernel = weight.shape
    w = weight.reshape(groups, c_in // groups, c_out_g, *kernel).transpose(1, 2)
    w = w.reshape(groups * c_out_g, c_in // groups, *kernel)
    return w.flip(tuple(range(2, 2 + len(kernel))))


def _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, d, name):
    if weight.ndim != d + 2:
        raise ShapeError(f"{name}: weight must be (in_channels, out_channels/groups, *kernel) with "
                         f"{d} kernel axes, got {tuple(weight.shape)}")
    layout = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}[d]
    if x.ndim != d + 2 or x.shape[1] != weight.shape[0]:
        raise ShapeError(f"{name}: expected input {layout.replace('C', str(weight.shape[0]))} "
                         f"(weight {tuple(weight.shape)}), got {tuple(x.shape)}")
    if groups < 1 or weight.shape[0] % groups:
        raise GlassnetValueError(f"{name}: in_channels {weight.shape[0]} must be divisible by groups "
                                 f"{groups}")
    kernel = weight.shape[2:]
    stride, dilation = tuple_arg(stride, d, name, "stride"), tuple_arg(dilation, d, name, "dilation")
    padding = tuple_arg(padding, d, name, "padding")
    output_padding = tuple_arg(output_padding, d, name, "output_padding")
    for op, s, dl in zip(output_padding, stride, dilation, strict=True):
        if not 0 <= op < max(s, dl):
            raise GlassnetValueError(f"{name}: output_padding {output_padding} must be smaller than "
                                     f"either stride {stride} or dilation {dilation}")
    out = [(n - 1) * s - 2 * p + dl * (k - 1) + op + 1 for n, s, p, dl, k, op
           in zip(x.shape[2:], stride, padding, dilation, kernel, output_padding, strict=True)]
    if min(out) < 1:
        raise ShapeError(f"{name}: input {tuple(x.shape)} with kernel {tuple(kernel)}, stride {stride} "
                         f"and padding {padding} gives output size {tuple(out)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[1] * groups,):
        raise ShapeError(f"{name}: bias must be ({weight.shape[1] * groups},), got {tuple(bias.shape)}")
    x = _dilate(x, stride)
    lows = [dl * (k - 1) - p for dl, k, p in zip(dilation, kernel, padding, strict=True)]
    crops = tuple(slice(max(-lo, 0), x.shape[2 + i] - max(-(lo + op), 0))
                  for i, (lo, op) in enumerate(zip(lows, output_padding, strict=True)))
    if any(lo < 0 or lo + op < 0 for lo, op in zip(lows, output_padding, strict=True)):
        x = x[(slice(None), slice(None), *crops)]
    pads = tuple((max(lo, 0), max(lo + op, 0)) for lo, op in zip(lows, output_padding, strict=True))
    return conv(x, _flipped_transpose(weight, groups), (1,) * d, pads, dilation, groups, bias)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution: x (N, C_in, L), weight (C_in, C_out/groups, k) →
    (N, C_out, L_out), ``L_out = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1`` — the
    gradient of ``conv1d`` with respect to its input, run forward."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution ("deconvolution"): x (N, C_in, H, W), weight
    (C_in, C_out/groups, kh, kw) → (N, C_out, H_out, W_out) with
    ``H_out = (H − 1)·s − 2p + d·(kh − 1) + output_padding + 1``.

    Each input pixel scatters ``x·W[c]`` onto a kh×kw patch of the output, patches ``s``
    apart; computed as an ordinary convolution of the input with ``s − 1`` zeros between
    pixels, padded by ``d·(k − 1) − p``, with the filters flipped and in/out swapped.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([[[[1.0, 2.0]]]])                    # (1, 1, 1, 2)
        >>> w = gn.tensor([[[[1.0, 10.0]]]])                   # (1, 1, 1, 2)
        >>> print(gn.nn.functional.conv_transpose2d(x, w, stride=2).numpy())
        [[[[ 1. 10.  2. 20.]]]]
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-D transposed convolution: x (N, C_in, D, H, W), weight (C_in, C_out/groups, kd, kh, kw)
    → (N, C_out, D_out, H_out, W_out), each axis as :func:`conv_transpose2d`'s
    (``D_out = (D − 1)·s − 2p + d·(kd − 1) + output_padding + 1``) — the upsampling layer
    of 3-D U-Nets."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")


# -- pixel shuffle -----------------------------------------------------------------------

def pixel_shuffle(input, upscale_factor):
    """(*, C·r², H, W) → (*, C, H·r, W·r): ``y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]``."""
    r = int(upscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-3] % (r * r):
        raise ShapeError(f"pixel_shuffle: input (*, C·r², H, W) with C·r² divisible by r² = {r * r}; "
                         f"got {tuple(input.shape)} and upscale_factor {upscale_factor}")
    *lead, c, h, w = input.shape
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, r, W, r)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of :func:`pixel_shuffle`."""
    r = int(downscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-1] % r or input.shape[-2] % r:
        raise ShapeError(f"pixel_unshuffle: input (*, C, H, W) with H and W divisible by {r}; got "
                         f"{tuple(input.shape)}")
    *lead, c, h, w = input.shape
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H, W)
    return x.reshape(*lead, c * r * r, h // r, w // r)


# -- interpolation -----------------------------------------------------------------------

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _output_sizes(x, size, scale_factor, d, name):
    if (size is None) == (scale_factor is None):
        raise GlassnetValueError(f"{name}: give exactly one of size and scale_factor")
    if size is not None:
        sizes = tuple_arg(size, d, name, "size")
        return sizes, [n / o for n, o in zip(x.shape[2:], sizes, strict=True)]
    scales = (float(scale_factor),) * d if np.isscalar(scale_factor) else tuple(map(float, scale_factor))
    if len(scales) != d:
        raise GlassnetValueError(f"{name}: scale_factor must be a number or {d} numbers, got {scale_factor}")
    sizes = tuple(int(math.floor(n * s)) for n, s in zip(x.shape[2:], scales, strict=True))
    return sizes, [1.0 / s for s in scales]


def _nearest_index(n, out, scale, exact):
    """Source index of each output position, in float32 arithmetic as PyTorch's kernel."""
    dst, scale = np.arange(out, dtype=np.float32), np.float32(scale)
    src = np.floor((dst + np.float32(0.5)) * scale) if exact else np.floor(dst * scale)
    return np.minimum(src.astype(np.int64), n - 1)


def _linear_weights(n, out, scale, align_corners):
    """Source indices i₀, i₁ and the weight λ of i₁ for each of ``out`` positions."""
    dst = np.arange(out, dtype=np.float64)
    if align_corners:
        src = dst * ((n - 1) / (out - 1) if out > 1 else 0.0)
    else:
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    return i0, i1, src - i0


def _along(x, axis, index):
    return x[(slice(None),) * axis + (index,)]


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial axes of (N, C, *spatial) to ``size`` or ``spatial·scale_factor``.

    ``nearest``: ``y[i] = x[min(⌊i·σ⌋, n − 1)]`` with σ = 1/scale_factor (or n/size);
    ``nearest-exact``: ``⌊(i + ½)·σ⌋``; ``linear`` / ``bilinear`` / ``trilinear``: per axis
    ``y[i] = (1 − λ)·x[i₀] + λ·x[i₀ + 1]`` at source ``(i + ½)·σ − ½`` (or ``i·(n−1)/(out−1)``
    with ``align_corners=True``); ``bicubic`` (4-D input): the 4 neighbours ⌊s⌋ − 1 … ⌊s⌋ + 2
    of the same source s (not clamped) with the cubic convolution weights (A = −0.75), edge
    pixels repeated; ``area``: adaptive average pooling. ``antialias=True`` (bilinear and
    bicubic, 4-D): when shrinking by σ > 1, the tent (bilinear) or cubic with A = −0.5
    (bicubic) filter is widened by σ and normalised, as PyTorch and PIL. Composed of
    indexing and matmul, so gradients flow back to the input.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([[[1.0, 3.0]]])
        >>> print(gn.nn.functional.interpolate(x, scale_factor=2, mode="linear").numpy())
        [[[1.  1.5 2.5 3. ]]]
    """
    name = "interpolate"
    d = input.ndim - 2
    if d < 1 or d > 3:
        raise ShapeError(f"{name}: expected (N, C, *spatial) with 1 to 3 spatial axes, got "
                         f"{tuple(input.shape)}")
    if (antialias or mode == "bicubic") and (d != 2 or mode not in ("bilinear", "bicubic")):
        raise GlassnetValueError(f"{name}: mode 'bicubic' and antialias=True need a 4-D input (N, C, H, W), "
                                 f"and antialias mode 'bilinear' or 'bicubic'; got {tuple(input.shape)}, "
                                 f"mode {mode!r}, antialias={antialias}")
    linear = mode in _LINEAR or mode == "bicubic"
    if mode in _LINEAR and _LINEAR[mode] != d:
        raise GlassnetValueError(f"{name}: mode {mode!r} needs {_LINEAR[mode]} spatial axes, the input "
                                 f"{tuple(input.shape)} has {d}")
    if align_corners is not None and not linear:
        raise GlassnetValueError(f"{name}: align_corners applies only to the linear modes, not {mode!r}")
    sizes, scales = _output_sizes(input, size, scale_factor, d, name)
    if recompute_scale_factor:
        scales = [n / o for n, o in zip(input.shape[2:], sizes, strict=True)]
    if mode == "area":
        return {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[d](input, sizes)
    if mode not in ("nearest", "nearest-exact") and not linear:
        _unsupported(mode)
    if mode == "bicubic" or antialias:
        return _resize_by_matrices(input, sizes, scales, mode, bool(align_corners), antialias)
    x = input
    for axis, (n, out, scale) in enumerate(zip(input.shape[2:], sizes, scales, strict=True), start=2):
        if not linear:
            x = _along(x, axis, _nearest_index(n, out, scale, mode == "nearest-exact"))
            continue
        i0, i1, lam = _linear_weights(n, out, scale, bool(align_corners))
        shape = (out,) + (1,) * (x.ndim - axis - 1)
        xp = namespace(x.array)
        lam = xp.asarray(lam.reshape(shape), dtype=x.dtype)
        x = _along(x, axis, i0) * (1 - lam) + _along(x, axis, i1) * lam
    return x


def _resize_by_matrices(x, sizes, scales, mode, align_corners, antialias):
    xp = namespace(x.array)
    for axis, (n, out, scale) in enumerate(zip(x.shape[2:], sizes, scales, strict=True), start=2):
        if antialias:
            matrix = antialias_matrix(n, out, scale, align_corners, mode)
        else:
            matrix = bicubic_matrix(n, out, scale, align_corners, np.dtype(x.dtype).type)
        x = apply_along(x, axis, matrix, xp)
    return x


def _unsupported(mode):
    raise GlassnetValueError(f"interpolate: mode {mode!r} is not supported; use 'nearest', 'nearest-exact', "
                             "'linear', 'bilinear', 'bicubic', 'trilinear' or 'area'")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The old name of :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """:func:`interpolate` with ``mode='nearest'``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """:func:`interpolate` with ``mode='bilinear', align_corners=True``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- padding modes -----------------------------------------------------------------------

def _mode_index(n, lo, hi, mode):
    i = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    period = 2 * (n - 1)  # reflect: …, 2, 1, [0, 1, …, n−1], n−2, …
    i = np.abs(i) % period if period else np.zeros_like(i)
    return np.where(i > n - 1, period - i, i)


def pad(input, pad, mode="constant", value=None):
    """PyTorch's ``F.pad``: ``pad`` = (left, right, top, bottom, …) from the last axis.

    ``constant`` fills with ``value`` (0 by default; negative widths crop); ``reflect``
    mirrors without repeating the edge (each width < the axis size), ``replicate`` repeats
    the edge, ``circular`` wraps around (each width ≤ the axis size). The modes other
    than constant are indexing, so their gradient adds back onto the elements they copied.
    """
    if mode == "constant":
        return _shape.pad(input, pad, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise GlassnetValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                                 f"got {mode!r}")
    if value not in (None, 0, 0.0):
        raise GlassnetValueError(f"pad: value={value} applies only to mode='constant', not {mode!r}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim - 1:
        raise GlassnetValueError(f"pad: mode {mode!r} pads at most the last {input.ndim - 1} axes of shape "
                                 f"{tuple(input.shape)} (two widths per axis), got {pad}")
    x = input
    for k in range(len(pad) // 2):
        axis = input.ndim - 1 - k
        lo, hi, n = pad[2 * k], pad[2 * k + 1], input.shape[axis]
        limit = {"reflect": n - 1, "circular": n, "replicate": math.inf}[mode]
        if min(lo, hi) < 0 or max(lo, hi) > limit or n == 0:
            raise GlassnetValueError(
                f"pad: {mode} padding ({lo}, {hi}) of an axis of size {n} (shape {tuple(input.shape)}) "
                f"must be between 0 and {limit} (and the axis not empty)")
        x = _along(x, axis, _mode_index(n, lo, hi, mode))
    return x
