"""The resampling matrices of ``interpolate``'s bicubic and antialiased modes: for one
spatial axis, an (out, n) NumPy matrix M with ``y[i] = Σⱼ M[i, j]·x[j]``, applied as a
matmul (so the gradient to the input is Mᵀ by the chain rule).

    bicubic:   source s = (i + ½)·σ − ½ (align_corners=False) or i·(n − 1)/(out − 1) (True);
               y[i] = Σₖ k(t)ₖ · x[clamp(⌊s⌋ − 1 + k, 0, n − 1)], t = s − ⌊s⌋, k the cubic
               convolution weights with A = −0.75 (the edge pixel repeats outside)
    antialias: centre c = σ·(i + ½); the filter (tent for bilinear, cubic with A = −0.5 for
               bicubic) stretched by max(σ, 1) weighs the pixels j with |j + ½ − c| within its
               support, normalised to sum to 1 (PyTorch's and PIL's antialiasing)
"""

import numpy as np

from glassnet.autograd._tensor import Tensor
from glassnet.nn._functional_sampling import cubic_coefficients

__all__ = ["antialias_matrix", "apply_along", "bicubic_matrix"]


def _scale(n, out, scale, align_corners):
    """σ: source pixels per output pixel (PyTorch's area_pixel_compute_scale)."""
    if align_corners:
        return (n - 1) / (out - 1) if out > 1 else 0.0
    return scale


def bicubic_matrix(n, out, scale, align_corners, dtype=np.float64):
    """(out, n) weights of bicubic resizing an axis of ``n`` pixels to ``out``; ``scale`` is
    n/out or 1/scale_factor. Computed in ``dtype`` (float32 for float32 images, as
    PyTorch's kernel, so the rounding of the weights agrees)."""
    sigma = dtype(_scale(n, out, scale, align_corners))
    dst = np.arange(out, dtype=dtype)
    src = dst * sigma if align_corners else (dst + dtype(0.5)) * sigma - dtype(0.5)
    low = np.minimum(np.floor(src).astype(np.int64), n - 1)
    t = np.clip(src - low.astype(dtype), dtype(0.0), dtype(1.0))
    matrix = np.zeros((out, n), dtype=dtype)
    for k, weight in enumerate(cubic_coefficients(t)):
        np.add.at(matrix, (np.arange(out), np.clip(low - 1 + k, 0, n - 1)), weight)
    return matrix


def _tent(x):
    return np.maximum(1.0 - np.abs(x), 0.0)


def _cubic(x, a=-0.5):
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def antialias_matrix(n, out, scale, align_corners, mode):
    """(out, n) weights of antialiased ``bilinear`` or ``bicubic`` resizing."""
    sigma = _scale(n, out, scale, align_corners)
    half_width, kernel = (1.0, _tent) if mode == "bilinear" else (2.0, _cubic)
    stretch = max(sigma, 1.0)
    support = half_width * stretch
    matrix = np.zeros((out, n))
    for i in range(out):
        centre = sigma * (i + 0.5)
        first = max(int(centre - support + 0.5), 0)  # int(): truncation toward zero, as PyTorch's cast
        last = min(int(centre + support + 0.5), n)
        j = np.arange(first, last)
        weight = kernel((j - centre + 0.5) / stretch)
        total = weight.sum()
        matrix[i, first:last] = weight / total if total != 0 else weight
    return matrix


def apply_along(x, axis, matrix, xp):
    """Contract axis ``axis`` of the tensor ``x`` with the (out, n) ``matrix``."""
    m = Tensor._wrap(xp.asarray(matrix.T, dtype=x.dtype), False, None)
    return (x.transpose(axis, -1) @ m).transpose(axis, -1)
