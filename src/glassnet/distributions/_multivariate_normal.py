"""MultivariateNormal(μ, Σ): a normal over vectors, held by its Cholesky factor L (Σ = L·Lᵀ)."""

import math

import numpy as np

from glassnet import linalg
from glassnet._creation import eye, randn
from glassnet.distributions import constraints
from glassnet.distributions._distribution import Distribution
from glassnet.ops import flip, log

__all__ = ["MultivariateNormal", "mahalanobis_squared"]


def mahalanobis_squared(L, x):
    """‖L⁻¹·x‖² per batch element: (x)ᵀ·Σ⁻¹·x with Σ = L·Lᵀ, by one triangular solve."""
    return linalg.solve_triangular(L, x.unsqueeze(-1), upper=False).squeeze(-1).pow(2).sum(-1)


def _precision_to_scale_tril(P):
    """L with L·Lᵀ = P⁻¹, without inverting P: flip, Cholesky, flip back, one triangular solve."""
    Lf = linalg.cholesky(flip(P, (-2, -1)))
    L_inv = flip(Lf, (-2, -1)).transpose(-2, -1)
    return linalg.solve_triangular(L_inv, eye(P.shape[-1], dtype=P.dtype), upper=False)


class MultivariateNormal(Distribution):
    """N(μ, Σ) over vectors of size k (the last dimension of ``loc``), given by exactly one
    of ``covariance_matrix`` Σ, ``precision_matrix`` Σ⁻¹ or ``scale_tril`` L (Σ = L·Lᵀ).

    rsample: x = μ + L·ε, ε ~ N(0, I)
    log p(x) = −½·(k·log 2π + ‖L⁻¹(x − μ)‖²) − Σᵢ log Lᵢᵢ
    H = ½·k·(1 + log 2π) + Σᵢ log Lᵢᵢ
    """

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                             "specified.")
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        matrix = given[0]
        if matrix.ndim < 2:
            raise ValueError("scale_tril, covariance_matrix or precision_matrix matrix must be at least "
                             "two-dimensional, with optional leading batch dimensions")
        batch = tuple(np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
        k = loc.shape[-1]
        name = ("covariance_matrix" if covariance_matrix is not None else
                "precision_matrix" if precision_matrix is not None else "scale_tril")
        setattr(self, name, matrix.expand(batch + (k, k)))
        self.loc = loc.expand(batch + (k,))
        super().__init__(batch, (k,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def _expanded_params(self, batch_shape):
        k = self._event_shape[0]
        params = {"loc": self.loc.expand(batch_shape + (k,)),
                  "_unbroadcasted_scale_tril": self._unbroadcasted_scale_tril}
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                params[name] = self.__dict__[name].expand(batch_shape + (k, k))
        return params

    @property
    def scale_tril(self):
        if "scale_tril" in self.__dict__:
            return self.__dict__["scale_tril"]
        return self._unbroadcasted_scale_tril.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @scale_tril.setter
    def scale_tril(self, value):
        self.__dict__["scale_tril"] = value

    @property
    def covariance_matrix(self):
        """Σ = L·Lᵀ."""
        if "covariance_matrix" in self.__dict__:
            return self.__dict__["covariance_matrix"]
        L = self._unbroadcasted_scale_tril
        return (L @ L.transpose(-1, -2)).expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @covariance_matrix.setter
    def covariance_matrix(self, value):
        self.__dict__["covariance_matrix"] = value

    @property
    def precision_matrix(self):
        """Σ⁻¹."""
        if "precision_matrix" in self.__dict__:
            return self.__dict__["precision_matrix"]
        return linalg.inv(self.covariance_matrix)

    @precision_matrix.setter
    def precision_matrix(self, value):
        self.__dict__["precision_matrix"] = value

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """diag Σ = the row sums of L²."""
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(tuple(self._batch_shape)
                                                                    + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        L = self._unbroadcasted_scale_tril
        M = mahalanobis_squared(L, value - self.loc)
        half_log_det = log(L.diagonal(dim1=-2, dim2=-1)).sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        half_log_det = log(self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1)).sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H if not self._batch_shape else H.expand(tuple(self._batch_shape))

