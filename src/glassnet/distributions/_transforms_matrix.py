"""Transforms onto matrices (PyTorch's ``LowerCholeskyTransform``, ``PositiveDefiniteTransform``,
``CorrCholeskyTransform``): a square matrix, or for CorrCholesky a vector of the D(D − 1)/2
strictly-lower entries (row by row), onto Cholesky factors."""

import math

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.distributions import constraints
from glassnet.distributions._transforms_event import EventTransform
from glassnet.ops import cholesky, diag_embed, exp, log, log1p, pad, softplus, tanh

__all__ = ["CorrCholeskyTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform"]


class LowerCholeskyTransform(EventTransform):
    """Square matrix → lower-triangular with positive diagonal: y = tril(x, −1) + diag(e^{diag x})."""

    domain, codomain = constraints.independent(constraints.real, 2), constraints.lower_cholesky

    def _call(self, x):
        return x.tril(-1) + diag_embed(exp(x.diagonal(dim1=-2, dim2=-1)))

    def _inverse(self, y):
        return y.tril(-1) + diag_embed(log(y.diagonal(dim1=-2, dim2=-1)))


class PositiveDefiniteTransform(EventTransform):
    """Square matrix → positive definite: y = L Lᵀ, L = LowerCholeskyTransform()(x);
    inverse through the Cholesky factor."""

    domain, codomain = constraints.independent(constraints.real, 2), constraints.positive_definite

    def _call(self, x):
        low = LowerCholeskyTransform()(x)
        return low @ low.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(cholesky(y))


def _lower_places(size, below):
    """Flat indices (row-major) of the entries with column < row − below + 1 of a size×size matrix."""
    rows, cols = np.tril_indices(size, -below)
    return rows * size + cols


def _side(count, what):
    """D from D(D − 1)/2 = count."""
    size = int(round((1 + math.sqrt(1 + 8 * count)) / 2))
    if size * (size - 1) // 2 != count:
        raise GlassnetValueError(f"CorrCholeskyTransform: {what} has last size {count}, which is not "
                                 "D(D - 1)/2 for any D")
    return size


class CorrCholeskyTransform(EventTransform):
    """ℝ^{D(D−1)/2} → Cholesky factors of correlation matrices (lower triangular, positive
    diagonal, rows of unit norm): r = tanh x (kept in (−1 + eps, 1 − eps)) fills the strictly
    lower triangle row by row, and y_ij = r_ij·Π_{k<j} √(1 − r_ik²), y_ii = Π_{k<i} √(1 − r_ik²).

    log|det J| = ½ Σ_{j<i−1} log(1 − Σ_{k≤j} y_ik²) + Σ log(1 − tanh² x)
    (the latter as 2(log 2 − x − softplus(−2x))).
    """

    domain, codomain, bijective = constraints.real_vector, constraints.corr_cholesky, True

    def _call(self, x):
        size = _side(x.shape[-1], "the input")
        eps = float(np.finfo(np.dtype(str(x.dtype))).eps)
        r = tanh(x).clamp(min=-1 + eps, max=1 - eps)
        scatter = np.zeros((x.shape[-1], size * size))
        scatter[np.arange(x.shape[-1]), _lower_places(size, 1)] = 1.0
        r = (r @ x.new_tensor(scatter)).reshape(tuple(x.shape[:-1]) + (size, size))
        kept = (1 - r * r).sqrt().cumprod(-1)
        eye = x.new_tensor(np.eye(size))
        return (r + eye) * pad(kept[..., :-1], (1, 0), value=1.0)

    def _inverse(self, y):
        size = y.shape[-1]
        left = pad((1 - (y * y).cumsum(-1))[..., :-1], (1, 0), value=1.0)
        places = _lower_places(size, 1)
        flat = tuple(y.shape[:-2]) + (size * size,)
        t = y.reshape(flat)[..., places] / left.reshape(flat)[..., places].sqrt()
        return (log1p(t) - log1p(-t)) / 2

    def log_abs_det_jacobian(self, x, y):
        size = y.shape[-1]
        left = (1 - (y * y).cumsum(-1)).reshape(tuple(y.shape[:-2]) + (size * size,))
        stick = 0.5 * log(left[..., _lower_places(size, 2)]).sum(-1)
        return stick - 2 * (x + softplus(-2 * x) - math.log(2.0)).sum(-1)

    def forward_shape(self, shape):
        return tuple(shape[:-1]) + (_side(shape[-1], "the shape"),) * 2

    def inverse_shape(self, shape):
        size = shape[-1]
        return tuple(shape[:-2]) + (size * (size - 1) // 2,)
