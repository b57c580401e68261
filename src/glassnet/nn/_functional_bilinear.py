"""``F.bilinear`` and ``F.pdist``: products and distances of pairs, composed from ops.

- ``bilinear(x1, x2, A, b)``: ``y_o = x1ᵀ·A_o·x2 + b_o`` for every output o — one
  ``einsum("…i,oij,…j->…o")`` (its gradient in each argument is again an einsum).
- ``pdist(x, p)``: the p-norm distance between every pair of rows i < j of x (N, M), in
  the order of the upper triangle read row by row: ``‖x_i − x_j‖_p``, N(N − 1)/2 values.
"""

import numpy as np

from glassnet import ops
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn._functional_fold import constant

__all__ = ["bilinear", "pdist"]


def bilinear(input1, input2, weight, bias=None):
    """``y = x1ᵀ·A·x2 + b``: ``y[…, o] = Σ_ij x1[…, i]·A[o, i, j]·x2[…, j] + b[o]``.

    Args:
        input1: (…, in1_features).
        input2: (…, in2_features), the same leading dimensions.
        weight: A (out_features, in1_features, in2_features).
        bias: b (out_features,) (default None).

    Shape:
        ``(…, in1)``, ``(…, in2)`` → ``(…, out)``.

    Example:
        >>> import glassnet as gn
        >>> A = gn.tensor([[[1.0, 0.0], [0.0, 2.0]]])          # one output: x1₀·x2₀ + 2·x1₁·x2₁
        >>> gn.nn.functional.bilinear(gn.tensor([[1.0, 2.0]]), gn.tensor([[3.0, 4.0]]), A).tolist()
        [[19.0]]
    """
    if weight.ndim != 3 or input1.shape[-1:] != weight.shape[1:2] or input2.shape[-1:] != weight.shape[2:]:
        raise ShapeError(f"bilinear: weight {tuple(weight.shape)} must be (out, in1, in2) with in1, in2 the "
                         f"last sizes of input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise ShapeError(f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} must "
                         "have the same leading dimensions")
    out = ops.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def pdist(input, p=2.0):  # noqa: A002
    """The p-norm distance between each pair of rows: ``[‖x_i − x_j‖_p for i < j]``.

    Args:
        input: x (N, M).
        p: the norm's p ≥ 0 (default 2; ``inf`` the largest difference).

    Shape:
        ``(N, M)`` → ``(N·(N − 1)/2,)``, pairs in the row-by-row order of the upper triangle.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.functional.pdist(gn.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])).tolist()
        [5.0, 10.0, 5.0]
    """
    if input.ndim != 2:
        raise ShapeError(f"pdist: expected input (N, M), got {tuple(input.shape)}")
    if p < 0:
        raise GlassnetValueError(f"pdist: p must be >= 0, got {p}")
    rows, cols = np.triu_indices(input.shape[0], 1)
    differences = input[constant(input, rows)] - input[constant(input, cols)]
    return ops.norm(differences, p, dim=1)
