"""Spatial transformers: ``affine_grid`` and ``grid_sample`` (PyTorch's signatures,
re-exported by ``nn.functional``), composed from matmul, indexing and arithmetic, so the
gradient reaches both the image and the sampling grid (hence θ) by the chain rule.

Normalised coordinates run from −1 (left / top) to +1 (right / bottom). For an axis of
``n`` pixels a coordinate ``g`` is the pixel position

    align_corners=True:   u = (g + 1)/2 · (n − 1)       (±1 = the centres of the edge pixels)
    align_corners=False:  u = ((g + 1)·n − 1)/2         (±1 = the outer edges of the edge pixels)

and bilinear sampling reads ``Σ (1 − |u − uᵢ|)(1 − |v − vⱼ|) · x[vⱼ, uᵢ]`` over the four
neighbouring pixels (``zeros``: pixels outside count as 0; ``border``: u, v are clamped
into the image first).
"""

import warnings

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]


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
    """The sampling grid of a batch of 2-D affine maps: θ (N, 2, 3), ``size`` (N, C, H, W)
    → grid (N, H, W, 2) with ``grid[n, i, j] = θ[n] · (x_j, y_i, 1)ᵀ`` (x, y the normalised
    coordinates of output pixel (i, j)).

    Example:
        >>> import glassnet as gn
        >>> identity = gn.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> print(gn.nn.functional.affine_grid(identity, (1, 1, 1, 2), align_corners=True).numpy())
        [[[[-1.  0.]
           [ 1.  0.]]]]
    """
    align_corners = _align(align_corners, "affine_grid")
    size = tuple(int(s) for s in size)
    if len(size) != 4:
        raise GlassnetValueError(f"affine_grid: only 2-D grids are supported — size (N, C, H, W), got "
                                 f"{size}; 3-D volumes (θ (N, 3, 4)) are not implemented")
    n, _, h, w = size
    if theta.dtype.kind != "f":
        raise GlassnetTypeError(f"affine_grid: θ must be floating point (as in PyTorch), got {theta.dtype}; "
                                "convert it with .float() or .double()")
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3) or theta.shape[0] != n:
        raise ShapeError(f"affine_grid: θ must be (N, 2, 3) = ({n}, 2, 3) for size {size}, got "
                         f"{tuple(theta.shape)}")
    xs, ys = _base_coordinates(w, align_corners), _base_coordinates(h, align_corners)
    base = np.stack([np.broadcast_to(xs, (h, w)), np.broadcast_to(ys[:, None], (h, w)), np.ones((h, w))], -1)
    xp = namespace(theta.array)
    base = Tensor._wrap(xp.asarray(base.reshape(1, h * w, 3), dtype=theta.dtype), False, None)
    return (base @ theta.transpose(1, 2)).reshape(n, h, w, 2)


def _unnormalise(g, n, align_corners):
    return (g + 1) / 2 * (n - 1) if align_corners else ((g + 1) * n - 1) / 2


def _constant(xp, array, dtype):
    return Tensor._wrap(xp.asarray(array, dtype=dtype), False, None)


def _read(flat, ui, vi, w, h, xp):
    """``x[n, :, v, u]`` for integer arrays u, v (N, P) (clamped into the image), and the
    mask (N, 1, P) of positions that lay inside it: (N, C, P)."""
    inside = (ui >= 0) & (ui <= w - 1) & (vi >= 0) & (vi <= h - 1)
    index = xp.clip(vi, 0, h - 1) * w + xp.clip(ui, 0, w - 1)  # (N, P)
    batch = xp.arange(flat.shape[0])[:, None, None]
    channel = xp.arange(flat.shape[1])[None, :, None]
    values = flat[batch, channel, index[:, None, :]]
    return values, inside[:, None, :]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) at the normalised points ``grid`` (N, H_out, W_out, 2)
    (last axis (x, y)) → (N, C, H_out, W_out); see the module docstring for the formula.

    ``mode``: ``bilinear`` (differentiable in both the image and the grid) or ``nearest``
    (the pixel at the rounded position; no gradient to the grid, as PyTorch);
    ``padding_mode``: ``zeros`` or ``border`` (``reflection`` is not implemented).
    """
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise ShapeError(f"grid_sample: expected input (N, C, H, W) and grid (N, H_out, W_out, 2) with the "
                         f"same N — 2-D only; got {tuple(input.shape)} and {tuple(grid.shape)}")
    if mode not in ("bilinear", "nearest"):
        raise GlassnetValueError(f"grid_sample: mode must be 'bilinear' or 'nearest' ('bicubic' is not "
                                 f"implemented), got {mode!r}")
    if padding_mode not in ("zeros", "border"):
        raise GlassnetValueError(f"grid_sample: padding_mode must be 'zeros' or 'border' ('reflection' is "
                                 f"not implemented), got {padding_mode!r}")
    align_corners = _align(align_corners, "grid_sample")
    n, c, h, w = input.shape
    _, ho, wo, _ = grid.shape
    xp = namespace(input.array)
    flat = input.reshape(n, c, h * w)
    points = grid.reshape(n, ho * wo, 2)
    u = _unnormalise(points[..., 0], w, align_corners)  # (N, P) pixel positions
    v = _unnormalise(points[..., 1], h, align_corners)
    if padding_mode == "border":
        u, v = u.clamp(0, w - 1), v.clamp(0, h - 1)
    if mode == "nearest":
        ui, vi = xp.rint(u.array).astype(np.int64), xp.rint(v.array).astype(np.int64)
        values, inside = _read(flat, ui, vi, w, h, xp)
        return (values * _constant(xp, inside, input.dtype)).reshape(n, c, ho, wo)
    u0, v0 = xp.floor(u.array).astype(np.int64), xp.floor(v.array).astype(np.int64)
    du = u - _constant(xp, u0, u.dtype)  # weight of the right-hand neighbour (N, P)
    dv = v - _constant(xp, v0, v.dtype)
    out = 0
    for ui, vi, wu, wv in ((u0, v0, 1 - du, 1 - dv), (u0 + 1, v0, du, 1 - dv),
                           (u0, v0 + 1, 1 - du, dv), (u0 + 1, v0 + 1, du, dv)):
        values, inside = _read(flat, ui, vi, w, h, xp)
        weight = (wu * wv).unsqueeze(1) * _constant(xp, inside, input.dtype)  # (N, 1, P)
        out = out + values * weight
    return out.reshape(n, c, ho, wo)
