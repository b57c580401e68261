"""Window geometry shared by convolution and pooling, in both tiers.

A convolution or a pool slides a window of ``kernel`` taps (spaced ``dilation`` apart)
over the (padded) spatial axes of x (N, C, *spatial) in steps of ``stride``. These
helpers say how many windows fit, pad the input, read every window as a strided view,
and name the slice of the input that one kernel position touches in every window (the
loop over kernel positions that sends gradients back). They import nothing from
glassnet above the backend, so the reference primitives (``glassnet.ops``) and the fast
kernels (``glassnet.kernels``) share them.
"""

import itertools

__all__ = ["output_size", "pad_input", "unpad", "windows", "kernel_positions", "window_slice"]


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


def unpad(x, padding):
    """The inverse of :func:`pad_input`: the (N, C, *spatial) view inside the padding."""
    inner = tuple(slice(lo, x.shape[2 + i] - hi) for i, (lo, hi) in enumerate(padding))
    return x[(slice(None), slice(None), *inner)]


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
