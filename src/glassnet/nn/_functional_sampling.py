"""Spatial transformers: ``affine_grid`` and ``grid_sample`` (PyTorch's signatures,
re-exported by ``nn.functional``) for 2-D images and 3-D volumes, composed from matmul,
indexing and arithmetic, so the gradient reaches both the image and the sampling grid
(hence θ) by the chain rule.

Normalised coordinates run from −1 (left / top / front) to +1 (right / bottom / back). For
an axis of ``n`` pixels a coordinate ``g`` is the pixel position

    align_corners=True:   u = (g + 1)/2 · (n − 1)       (±1 = the centres of the edge pixels)
    align_corners=False:  u = ((g + 1)·n − 1)/2         (±1 = the outer edges of the edge pixels)

and bilinear (trilinear) sampling reads ``Σ Π_axes (1 − |u − uᵢ|) · x[…, uᵢ]`` over the 2ᵈ
neighbouring pixels. Bicubic reads the 4×4 neighbours ``⌊u⌋ − 1 … ⌊u⌋ + 2`` with the cubic
convolution weights (A = −0.75) of ``t = u − ⌊u⌋``. Padding: ``zeros`` (pixels outside count
as 0), ``border`` (positions clamped into the image), ``reflection`` (positions mirrored at
the edges — at the edge pixels' centres with align_corners=True, at their outer edges with
False — then clamped). Bicubic pads each of the 16 integer neighbours, not u itself.
"""

import itertools
import math
import warnings

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor

__all__ = ["affine_grid", "cubic_coefficients", "grid_sample"]

CUBIC_A = -0.75  # PyTorch's (and Keys') cubic convolution coefficient


def cubic_coefficients(t, a=CUBIC_A):
    """The four cubic convolution weights of the neighbours ⌊u⌋ − 1 … ⌊u⌋ + 2 for
    ``t = u − ⌊u⌋`` (arrays or tensors): ``k(t + 1), k(t), k(1 − t), k(2 − t)`` with
    ``k(s) = (a + 2)|s|³ − (a + 3)|s|² + 1`` for |s| ≤ 1 and ``a|s|³ − 5a|s|² + 8a|s| − 4a``
    for 1 < |s| < 2."""
    def near(s):
        return ((a + 2) * s - (a + 3)) * s * s + 1

    def far(s):
        return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a

    rest = 1 - t
    return [far(t + 1), near(t), near(rest), far(rest + 1)]


def _base_coordinates(n, align_corners):
    """The normalised coordinate of each of ``n`` pixel centres."""
    if align_corners:
        return np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    return (np.arange(n) * 2.0 + 1.0) / n - 1.0


def _align(align_corners, name):
    """PyTorch's default (False) with its warning when the caller left it unsaid."""
    if align_corners is None:
        warnings.warn(f"{name}: align_corners was not given, so it is False (PyTorch's default since 1.3.0,"
                      " which warns likewise); pass align_corners=True for the old behaviour",
                      UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps.

    2-D: θ (N, 2, 3), ``size`` (N, C, H, W) → grid (N, H, W, 2) with
    ``grid[n, i, j] = θ[n] · (x_j, y_i, 1)ᵀ``; 3-D: θ (N, 3, 4), ``size`` (N, C, D, H, W) →
    grid (N, D, H, W, 3) with ``grid[n, k, i, j] = θ[n] · (x_j, y_i, z_k, 1)ᵀ`` (x, y, z the
    normalised coordinates of the output pixel).

    Example:
        >>> import glassnet as gn
        >>> identity = gn.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> print(gn.nn.functional.affine_grid(identity, (1, 1, 1, 2), align_corners=True).numpy())
        [[[[-1.  0.]
           [ 1.  0.]]]]
    """
    align_corners = _align(align_corners, "affine_grid")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise GlassnetValueError(f"affine_grid: size must be (N, C, H, W) for 2-D grids or (N, C, D, H, W) "
                                 f"for 3-D grids, got {size}")
    d = len(size) - 2
    if theta.dtype.kind != "f":
        raise GlassnetTypeError(f"affine_grid: θ must be floating point (as in PyTorch), got {theta.dtype}; "
                                "convert it with .float() or .double()")
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (d, d + 1) or theta.shape[0] != size[0]:
        raise ShapeError(f"affine_grid: θ must be (N, {d}, {d + 1}) = ({size[0]}, {d}, {d + 1}) for size "
                         f"{size}, got {tuple(theta.shape)}")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn(f"affine_grid: size {size} has an axis of one pixel with align_corners=True, where "
                      "that pixel sits at 0, not at ±1 (as PyTorch since 1.3.0, which warns likewise)",
                      UserWarning, stacklevel=2)
    axes = [_base_coordinates(s, align_corners) for s in spatial]  # (z,) y, x
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack([*mesh[::-1], np.ones(spatial)], -1)  # (*spatial, d + 1), last axis (x, y[, z], 1)
    xp = namespace(theta.array)
    points = math.prod(spatial)
    base = Tensor._wrap(xp.asarray(base.reshape(1, points, d + 1), dtype=theta.dtype), False, None)
    return (base @ theta.transpose(1, 2)).reshape(size[0], *spatial, d)


def _unnormalise(g, n, align_corners):
    return (g + 1) / 2 * (n - 1) if align_corners else ((g + 1) * n - 1) / 2


def _constant(xp, array, dtype):
    return Tensor._wrap(xp.asarray(array, dtype=dtype), False, None)


def _reflect(a, n, align_corners, xp):
    """PyTorch's reflection of pixel positions ``a`` (an array) into the image: mirrored at
    0 and n − 1 (align_corners=True) or −½ and n − ½ (False), as often as it takes. Returns
    the mirrored positions and the slope ±1 of each (for the chain rule)."""
    low, high = (0.0, n - 1.0) if align_corners else (-0.5, n - 0.5)
    span = high - low
    if span == 0:
        return xp.zeros_like(a), xp.zeros_like(a)
    distance = xp.abs(a - low)
    flips = xp.floor(distance / span)
    extra = xp.fmod(distance, span)
    even = flips % 2 == 0
    mirrored = xp.where(even, extra + low, span - extra + low)
    slope = xp.where(a < low, -1.0, 1.0) * xp.where(even, 1.0, -1.0)
    return mirrored, slope


def _pad_position(u, n, padding_mode, align_corners, xp):
    """The position (tensor) bilinear or nearest sampling reads for ``u`` under the padding."""
    if padding_mode == "reflection":
        mirrored, slope = _reflect(u.array, n, align_corners, xp)
        u = u * _constant(xp, slope, u.dtype) + _constant(xp, mirrored - slope * u.array, u.dtype)
    return u if padding_mode == "zeros" else u.clamp(0, n - 1)


def _pad_index(i, n, padding_mode, align_corners, xp):
    """An integer neighbour (array) of bicubic sampling under the padding."""
    if padding_mode == "reflection":
        i = _reflect(i.astype(np.float64), n, align_corners, xp)[0]
    if padding_mode != "zeros":
        i = xp.clip(i, 0, n - 1)
    return i.astype(np.int64)


def _read(flat, index, sizes, xp):
    """``x[n, :, i₀, i₁, …]`` for one integer array (N, P) per spatial axis (clamped into the
    image), and the mask (N, 1, P) of positions that lay inside it: (N, C, P)."""
    inside, linear = True, 0
    for i, n in zip(index, sizes, strict=True):
        inside = inside & (i >= 0) & (i <= n - 1)
        linear = linear * n + xp.clip(i, 0, n - 1)
    batch = xp.arange(flat.shape[0])[:, None, None]
    channel = xp.arange(flat.shape[1])[None, :, None]
    values = flat[batch, channel, linear[:, None, :]]
    return values, inside[:, None, :]


def _weighted_read(flat, index, weight, sizes, xp):
    values, inside = _read(flat, index, sizes, xp)
    return values * (weight.unsqueeze(1) * _constant(xp, inside, flat.dtype))


def _check(input, grid, mode, padding_mode):
    d = input.ndim - 2
    if d not in (2, 3) or grid.ndim != d + 2 or grid.shape[-1] != d or grid.shape[0] != input.shape[0]:
        raise ShapeError(f"grid_sample: expected input (N, C, H, W) with grid (N, H_out, W_out, 2), or input "
                         f"(N, C, D, H, W) with grid (N, D_out, H_out, W_out, 3), the same N; got "
                         f"{tuple(input.shape)} and {tuple(grid.shape)}")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise GlassnetValueError(f"grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got "
                                 f"{mode!r}")
    if mode == "bicubic" and d != 2:
        raise GlassnetValueError(f"grid_sample: mode 'bicubic' needs a 4-D input (N, C, H, W) (as in "
                                 f"PyTorch), got {tuple(input.shape)}; use 'bilinear' or 'nearest' for "
                                 "volumes")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise GlassnetValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', got "
                                 f"{padding_mode!r}")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) at the normalised points ``grid`` (N, H_out, W_out, 2)
    (last axis (x, y)) → (N, C, H_out, W_out), or a volume (N, C, D, H, W) at
    (N, D_out, H_out, W_out, 3) (last axis (x, y, z)) → (N, C, D_out, H_out, W_out); see the
    module docstring for the formulas.

    ``mode``: ``bilinear`` (trilinear for volumes) and ``bicubic`` (2-D only) are
    differentiable in both the image and the grid; ``nearest`` reads the pixel at the
    position rounded half to even (no gradient to the grid, as PyTorch).
    ``padding_mode``: ``zeros``, ``border`` or ``reflection``.
    """
    _check(input, grid, mode, padding_mode)
    align_corners = _align(align_corners, "grid_sample")
    n, c, *sizes = input.shape
    d, out = len(sizes), tuple(grid.shape[1:-1])
    xp = namespace(input.array)
    flat = input.reshape(n, c, math.prod(sizes))
    points = grid.reshape(n, math.prod(out), d)
    # the grid's last axis runs x, y(, z): the spatial axes backwards
    u = [_unnormalise(points[..., d - 1 - k], sizes[k], align_corners) for k in range(d)]  # (N, P) each
    if mode == "bicubic":
        return _bicubic(flat, u, sizes, padding_mode, align_corners, xp).reshape(n, c, *out)
    u = [_pad_position(uk, s, padding_mode, align_corners, xp) for uk, s in zip(u, sizes, strict=True)]
    if mode == "nearest":
        index = [xp.rint(uk.array).astype(np.int64) for uk in u]
        values, inside = _read(flat, index, sizes, xp)
        return (values * _constant(xp, inside, input.dtype)).reshape(n, c, *out)
    low = [xp.floor(uk.array).astype(np.int64) for uk in u]
    frac = [uk - _constant(xp, lk, uk.dtype) for uk, lk in zip(u, low, strict=True)]  # weight of the high one
    result = 0
    for corner in itertools.product((0, 1), repeat=d):
        weight = math.prod(f if bit else 1 - f for f, bit in zip(frac, corner, strict=True))
        index = [lk + bit for lk, bit in zip(low, corner, strict=True)]
        result = result + _weighted_read(flat, index, weight, sizes, xp)
    return result.reshape(n, c, *out)


def _bicubic(flat, u, sizes, padding_mode, align_corners, xp):
    """Σ over the 4×4 neighbours of the cubic weights along H times those along W."""
    low = [xp.floor(uk.array).astype(np.int64) for uk in u]
    weights = [cubic_coefficients(uk - _constant(xp, lk, uk.dtype)) for uk, lk in zip(u, low, strict=True)]
    result = 0
    for a, b in itertools.product(range(4), repeat=2):
        index = [_pad_index(low[0] - 1 + a, sizes[0], padding_mode, align_corners, xp),
                 _pad_index(low[1] - 1 + b, sizes[1], padding_mode, align_corners, xp)]
        result = result + _weighted_read(flat, index, weights[0][a] * weights[1][b], sizes, xp)
    return result
