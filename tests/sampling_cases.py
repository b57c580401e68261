"""Registry entries for grid_sample's bicubic mode, reflection padding and 3-D volumes,
3-D affine_grid, and interpolate's bicubic mode and antialias. The NumPy references below
are loops written from PyTorch's documented formulas, independently of glassnet's
vectorised code: reflection as a fold with period 2·span, the cubic kernel as the
piecewise polynomial in |s| (A = −0.75, or −0.5 for antialias), antialias as the widened
filter over every source pixel, normalised.

Bicubic with border padding is compared with torch in test_sampling.py only: where all 16
taps clamp onto one pixel its grid gradient is 0, and float32 leaves ~1e-6 of noise there in
PyTorch and glassnet alike, over this suite's float32 atol of 1e-6."""

import itertools

import numpy as np

import glassnet.nn.functional as F

__all__ = ["sampling_ops"]


def _np_cubic(s, a=-0.75):
    s = abs(s)
    if s <= 1:
        return (a + 2) * s ** 3 - (a + 3) * s ** 2 + 1
    return a * s ** 3 - 5 * a * s ** 2 + 8 * a * s - 4 * a if s < 2 else 0.0


def _np_reflect(u, n, align_corners):
    low, high = (0.0, n - 1.0) if align_corners else (-0.5, n - 0.5)
    span = high - low
    if span == 0:
        return 0.0
    r = (u - low) % (2 * span)
    return low + (r if r <= span else 2 * span - r)


def _np_pad(u, n, padding, align_corners):
    if padding == "reflection":
        u = _np_reflect(u, n, align_corners)
    return u if padding == "zeros" else min(max(u, 0.0), n - 1.0)


def _np_grid_sample(x, grid, mode="bilinear", padding="zeros", align_corners=False):
    """x (N, C, *S), grid (N, *O, d) → (N, C, *O), one point at a time."""
    n, c, *sizes = x.shape
    out_shape = grid.shape[1:-1]
    out = np.zeros((n, c, *out_shape))
    for b, o in itertools.product(range(n), np.ndindex(*out_shape)):
        g = grid[(b, *o)][::-1]  # (x, y, z) → axis order
        u = [(gk + 1) / 2 * (s - 1) if align_corners else ((gk + 1) * s - 1) / 2
             for gk, s in zip(g, sizes, strict=True)]
        if mode == "bicubic":
            taps = [[(int(_np_pad(np.floor(uk) + k, s, padding, align_corners)),
                      _np_cubic(uk - np.floor(uk) - k)) for k in (-1, 0, 1, 2)]
                    for uk, s in zip(u, sizes, strict=True)]
        else:
            u = [_np_pad(uk, s, padding, align_corners) for uk, s in zip(u, sizes, strict=True)]
            taps = [[(int(np.floor(uk)) + k, 1 - abs(uk - np.floor(uk) - k)) for k in (0, 1)] for uk in u]
        for combo in itertools.product(*taps):
            index = tuple(i for i, _ in combo)
            if all(0 <= i < s for i, s in zip(index, sizes, strict=True)):
                out[(b, slice(None), *o)] += np.prod([w for _, w in combo]) * x[(b, slice(None), *index)]
    return out


def _np_affine_grid_3d(theta, size, align_corners):
    def base(k):
        return np.linspace(-1, 1, k) if align_corners else (np.arange(k) * 2 + 1) / k - 1

    zs, ys, xs = np.meshgrid(base(size[2]), base(size[3]), base(size[4]), indexing="ij")
    points = np.stack([xs, ys, zs, np.ones_like(xs)], -1)
    return np.einsum("dhwk,njk->ndhwj", points, theta)


def _np_bicubic_axis(x, axis, out, align_corners):
    n = x.shape[axis]
    rows = []
    for i in range(out):
        src = i * (n - 1) / (out - 1) if align_corners and out > 1 else (0.0 if align_corners else
                                                                          (i + 0.5) * n / out - 0.5)
        low = int(np.floor(src))
        rows.append(sum(_np_cubic(src - (low + k)) * np.take(x, min(max(low + k, 0), n - 1), axis)
                        for k in (-1, 0, 1, 2)))
    return np.stack(rows, axis)


def _np_antialias_axis(x, axis, out, mode):
    n = x.shape[axis]
    sigma = n / out
    stretch = max(sigma, 1.0)
    rows = []
    for i in range(out):
        distance = (np.arange(n) + 0.5 - sigma * (i + 0.5)) / stretch
        w = np.maximum(1 - np.abs(distance), 0) if mode == "bilinear" else \
            np.array([_np_cubic(s, -0.5) for s in distance])
        rows.append(np.tensordot(w / w.sum(), x, axes=([0], [axis])))
    return np.stack(rows, axis)


def sampling_ops(spec, torch_functional):
    """OpSpec entries (``spec`` is the registry's OpSpec, ``torch_functional()`` gives
    ``torch.nn.functional``)."""

    def tf():
        return torch_functional()

    def sampler(mode, padding, corners):
        def run(f):
            return lambda x, g: f.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=corners)
        return (run(F), lambda x, g: _np_grid_sample(x, g, mode, padding, corners),
                lambda x, g: run(tf())(x, g))

    def resize(mode, size, corners=False, antialias=False):
        def run(f):
            return lambda x: f.interpolate(x, size=size, mode=mode, align_corners=corners,
                                           antialias=antialias)
        if antialias:
            def ref(x):
                return _np_antialias_axis(_np_antialias_axis(x, 2, size[0], mode), 3, size[1], mode)
        else:
            def ref(x):
                return _np_bicubic_axis(_np_bicubic_axis(x, 2, size[0], corners), 3, size[1], corners)
        return run(F), ref, lambda x: run(tf())(x)

    image, grid = ((2, 2, 4, 5), (2, 3, 2, 2)), ((2, 3, 5, 4), (2, 2, 3, 2))
    volume = ((1, 2, 3, 4, 3), (1, 2, 2, 2, 3))
    return [
        spec("grid_sample_bicubic_reflection", *sampler("bicubic", "reflection", False), "GetItem", 2,
             "smooth", shapes=(image,), large=grid),
        spec("grid_sample_bicubic_zeros", *sampler("bicubic", "zeros", False), "GetItem", 2, "smooth",
             shapes=(image,), large=grid),
        spec("grid_sample_reflection_corners", *sampler("bilinear", "reflection", True), "GetItem", 2,
             "smooth", shapes=(image,), large=grid),
        spec("grid_sample_3d", *sampler("bilinear", "zeros", False), "GetItem", 2, "smooth", shapes=(volume,),
             large=((2, 2, 3, 3, 4), (2, 2, 1, 3, 3))),
        spec("grid_sample_3d_reflection_corners", *sampler("bilinear", "reflection", True), "GetItem", 2,
             "smooth", shapes=(volume,), large=((2, 2, 3, 3, 4), (2, 2, 1, 3, 3))),
        spec("affine_grid_3d", lambda t: F.affine_grid(t, (2, 1, 2, 3, 4), align_corners=False),
             lambda t: _np_affine_grid_3d(t, (2, 1, 2, 3, 4), False),
             lambda t: tf().affine_grid(t, (2, 1, 2, 3, 4), align_corners=False), "matmul", 1, "smooth",
             shapes=(((2, 3, 4),),), large=((2, 3, 4),)),
        spec("interpolate_bicubic", *resize("bicubic", (5, 7)), "matmul", 1, "smooth",
             shapes=(((1, 2, 3, 4),),), large=((2, 2, 4, 4),)),
        spec("interpolate_bicubic_corners", *resize("bicubic", (2, 5), corners=True), "matmul", 1, "smooth",
             shapes=(((1, 2, 4, 3),),), large=((2, 2, 4, 4),)),
        spec("interpolate_antialias_bilinear", *resize("bilinear", (3, 2), antialias=True), "matmul", 1,
             "smooth", shapes=(((1, 2, 7, 5),),), large=((2, 2, 8, 8),)),
        spec("interpolate_antialias_bicubic", *resize("bicubic", (2, 3), antialias=True), "matmul", 1,
             "smooth", shapes=(((1, 2, 7, 8),),), large=((2, 2, 8, 8),)),
    ]
