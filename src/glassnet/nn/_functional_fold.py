"""``F.unfold`` (im2col) and ``F.fold`` (col2im), composed from indexing (PyTorch's signatures).

Both work on the input's spatial axes flattened to one: a padded (N, C, Hp, Wp) input is
read as (N, C, Hp·Wp), and :func:`patch_index` gives, for every kernel position ``k``
and every output location ``l``, the flat position that tap reads — the same geometry as
the convolution's windows (:mod:`glassnet._windows`). Then

- ``unfold(x)[n, c·K + k, l] = x_padded[n, c, index[k, l]]`` — one gather (``x[..., index]``),
  whose gradient adds every patch entry back where it came from;
- ``fold(cols)`` is its adjoint: ``scatter_add`` of ``cols`` into zeros at ``index``
  (overlapping patches add up), then the padding cut off. Its gradient is the gather.

No new primitive: the gradients (and gradients of gradients) are those of indexing.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet._windows import output_size
from glassnet.autograd._tensor import Tensor
from glassnet.nn._functional_conv import tuple_arg
from glassnet.ops import pad, scatter_add

__all__ = ["unfold", "fold", "patch_index", "flat_pad", "constant"]


def constant(like, array):
    """``array`` as a tensor that needs no gradient, on ``like``'s backend."""
    return Tensor._wrap(namespace(like.array).asarray(array), False, None)


def patch_index(padded, kernel, stride, dilation):
    """(∏kernel, ∏out) integer array: the flat position (row-major over the ``padded``
    spatial sizes) that kernel position ``k`` (row-major) reads for output location ``l``
    (row-major). Also returns ``out``, the number of windows per axis."""
    out = tuple(output_size(s, k, st, 0, 0, dl)
                for s, k, st, dl in zip(padded, kernel, stride, dilation, strict=True))
    axes = []
    for size_out, k, st, dl in zip(out, kernel, stride, dilation, strict=True):
        axes.append(np.arange(k)[:, None] * dl + np.arange(size_out)[None, :] * st)  # (k, out)
    index = np.zeros((1, 1), dtype=np.int64)
    for a, size in zip(axes, padded, strict=True):  # row-major flattening, axis by axis
        index = (index[:, None, :, None] * size + a[None, :, None, :])
        index = index.reshape(index.shape[0] * index.shape[1], -1)
    return index, out


def flat_pad(padding):
    """``F.pad``'s last-axis-first list for (lo, hi) pairs per spatial axis."""
    return [w for lo_hi in reversed(padding) for w in lo_hi]


def _geometry(name, d, kernel_size, dilation, padding, stride):
    kernel = tuple_arg(kernel_size, d, name, "kernel_size")
    dilation = tuple_arg(dilation, d, name, "dilation")
    pads = tuple_arg(padding, d, name, "padding")
    stride = tuple_arg(stride, d, name, "stride")
    if min(kernel) < 1 or min(dilation) < 1 or min(stride) < 1 or min(pads) < 0:
        raise GlassnetValueError(f"{name}: kernel_size {kernel}, dilation {dilation} and stride {stride} "
                                 f"must be positive and padding {pads} non-negative")
    return kernel, dilation, tuple((p, p) for p in pads), stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: every sliding block of a batched image as a column.

    ``(N, C, H, W)`` (or ``(C, H, W)``) → ``(N, C·kh·kw, L)``, ``L = oh·ow`` windows with
    ``oh = ⌊(H + 2p − d·(kh − 1) − 1)/s⌋ + 1``; row ``c·kh·kw + u·kw + v`` holds tap (u, v) of
    channel c. ``conv2d(x, w)`` equals ``w.view(C_out, −1) @ unfold(x)`` reshaped.

    Args:
        input: the image batch (N, C, H, W) or one image (C, H, W).
        kernel_size: the block size (an int or a pair).
        dilation: the spacing between a block's taps (default 1).
        padding: zeros added on each side (default 0).
        stride: the step between blocks (default 1).

    Shape:
        ``(N, C, H, W)`` → ``(N, C·∏kernel_size, L)``; unbatched ``(C, H, W)`` → ``(C·∏kernel_size, L)``.

    Example:
        >>> import glassnet as gn
        >>> x = gn.arange(9.0).reshape(1, 1, 3, 3)
        >>> print(gn.nn.functional.unfold(x, 2).numpy())
        [[[0. 1. 3. 4.]
          [1. 2. 4. 5.]
          [3. 4. 6. 7.]
          [4. 5. 7. 8.]]]
    """
    if input.ndim not in (3, 4):
        raise ShapeError(f"unfold: expected input (N, C, H, W) or (C, H, W), got {tuple(input.shape)}")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride)[0]
    kernel, dilation, pads, stride = _geometry("unfold", 2, kernel_size, dilation, padding, stride)
    x = pad(input, flat_pad(pads)) if any(p for p, _ in pads) else input
    padded = x.shape[2:]
    index, out = patch_index(padded, kernel, stride, dilation)
    if min(out) < 1:
        raise ShapeError(f"unfold: input {tuple(input.shape)} with padding {pads[0][0]}, {pads[1][0]} is "
                         f"smaller than the (dilated) kernel {kernel}")
    n, c = x.shape[:2]
    cols = x.reshape(n, c, -1)[..., index]  # (N, C, K, L)
    return cols.reshape(n, c * index.shape[0], index.shape[1])


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: sum columns of sliding blocks back into an image (the adjoint of :func:`unfold`).

    ``(N, C·kh·kw, L)`` → ``(N, C, H, W)`` with ``(H, W) = output_size``; where blocks
    overlap their entries add up, so ``fold(unfold(x))`` is x times how many blocks cover
    each pixel.

    Args:
        input: the columns (N, C·∏kernel_size, L) or unbatched (C·∏kernel_size, L).
        output_size: the image's spatial size (H, W) (an int or a pair).
        kernel_size: the block size (an int or a pair).
        dilation: the spacing between a block's taps (default 1).
        padding: the padding that :func:`unfold` added, cut off again (default 0).
        stride: the step between blocks (default 1).

    Shape:
        ``(N, C·∏kernel_size, L)`` → ``(N, C, H, W)``; L must equal the number of blocks
        that fit in the padded output.

    Example:
        >>> import glassnet as gn
        >>> cols = gn.ones(1, 4, 4)                     # 4 blocks of 2×2 over a 3×3 image
        >>> print(gn.nn.functional.fold(cols, 3, 2).numpy())
        [[[[1. 2. 1.]
           [2. 4. 2.]
           [1. 2. 1.]]]]
    """
    if input.ndim not in (2, 3):
        raise ShapeError(f"fold: expected input (N, C·kh·kw, L) or (C·kh·kw, L), got {tuple(input.shape)}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride)[0]
    size = tuple_arg(output_size, 2, "fold", "output_size")
    kernel, dilation, pads, stride = _geometry("fold", 2, kernel_size, dilation, padding, stride)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, pads, strict=True))
    index, out = patch_index(padded, kernel, stride, dilation)
    n, rows, blocks = input.shape
    taps, windows = index.shape
    if rows % taps or blocks != windows:
        raise ShapeError(f"fold: input {tuple(input.shape)} does not fit output_size {size} with kernel "
                         f"{kernel}: size(1) must be C·{taps} and size(2) the {windows} blocks "
                         f"({out[0]}×{out[1]}) that fit")
    c = rows // taps
    flat_index = constant(input, np.broadcast_to(index.reshape(-1), (n, c, index.size)))
    zeros = constant(input, np.zeros((n, c, padded[0] * padded[1]), dtype=input.dtype))
    image = scatter_add(zeros, 2, flat_index, input.reshape(n, c, taps * windows))
    image = image.reshape(n, c, *padded)
    (top, bottom), (left, right) = pads
    return image[:, :, top:padded[0] - bottom, left:padded[1] - right]
