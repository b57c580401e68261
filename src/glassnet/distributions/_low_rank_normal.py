"""LowRankMultivariateNormal: N(μ, W·Wᵀ + diag(D)) scored through the k×k capacitance matrix
C = I + Wᵀ·D⁻¹·W (Woodbury identity and the matrix determinant lemma), never the n×n covariance."""

import math

import numpy as np

from glassnet import linalg
from glassnet._creation import eye, randn
from glassnet._errors import GlassnetValueError
from glassnet.distributions import constraints
from glassnet.distributions._distribution import Distribution
from glassnet.distributions._multivariate_normal import mahalanobis_squared
from glassnet.ops import diag_embed, log

__all__ = ["LowRankMultivariateNormal"]


def _capacitance_tril(W, D):
    """Cholesky factor of C = I + Wᵀ·D⁻¹·W (k×k for a rank-k ``W`` of shape (…, n, k))."""
    k = W.shape[-1]
    return linalg.cholesky((W.mT / D.unsqueeze(-2)) @ W + eye(k, dtype=W.dtype))


def _log_det(W, D, C_tril):
    """log|W·Wᵀ + D| = log|C| + Σ log D."""
    return 2 * log(C_tril.diagonal(dim1=-2, dim2=-1)).sum(-1) + log(D).sum(-1)


class LowRankMultivariateNormal(Distribution):
    """N(μ, Σ) over vectors of size n with Σ = W·Wᵀ + diag(D) (``loc`` μ (…, n), ``cov_factor``
    W (…, n, k), ``cov_diag`` D (…, n)).

    log p(x) = −½·(n·log 2π + log|Σ| + δᵀΣ⁻¹δ), δ = x − μ, with
    δᵀΣ⁻¹δ = Σ δ²/D − ‖L_C⁻¹·Wᵀ·D⁻¹·δ‖², log|Σ| = 2·Σ log diag L_C + Σ log D (L_C the Cholesky of C)
    H = ½·(n·(1 + log 2π) + log|Σ|);  rsample x = μ + W·ε_W + √D·ε_D
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        n = loc.shape[-1]
        if cov_factor.ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch "
                             "dimensions")
        if cov_factor.shape[-2] != n:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m")
        if tuple(cov_diag.shape[-1:]) != (n,):
            raise ValueError(f"cov_diag must be a batch of vectors with shape {(n,)}")
        k = cov_factor.shape[-1]
        try:
            batch = tuple(np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]),
                                              tuple(cov_diag.shape[:-1])))
        except ValueError as error:
            raise GlassnetValueError(
                f"LowRankMultivariateNormal: incompatible batch shapes: loc {tuple(loc.shape)}, cov_factor "
                f"{tuple(cov_factor.shape)}, cov_diag {tuple(cov_diag.shape)}") from error
        self.loc = loc.expand(batch + (n,))
        self.cov_factor = cov_factor.expand(batch + (n, k))
        self.cov_diag = cov_diag.expand(batch + (n,))
        self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag = cov_factor, cov_diag
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)
        super().__init__(batch, (n,), validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        n, k = self._event_shape[0], self.cov_factor.shape[-1]
        return {"loc": self.loc.expand(tuple(batch_shape) + (n,)),
                "cov_diag": self.cov_diag.expand(tuple(batch_shape) + (n,)),
                "cov_factor": self.cov_factor.expand(tuple(batch_shape) + (n, k)),
                "_unbroadcasted_cov_factor": self._unbroadcasted_cov_factor,
                "_unbroadcasted_cov_diag": self._unbroadcasted_cov_diag,
                "_capacitance_tril": self._capacitance_tril}

    def _full(self, matrix):
        return matrix.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """diag Σ = Σ_j W_ij² + D_i."""
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W.pow(2).sum(-1) + D).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    @property
    def covariance_matrix(self):
        W = self._unbroadcasted_cov_factor
        return self._full(W @ W.mT + diag_embed(self._unbroadcasted_cov_diag))

    @property
    def _unbroadcasted_scale_tril(self):
        """Σ = √D·(I + D^{−½}W·WᵀD^{−½})·√D, so L = √D · cholesky(I + D^{−½}W·WᵀD^{−½})."""
        root = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        scaled = self._unbroadcasted_cov_factor / root
        inner = scaled @ scaled.mT + eye(self._event_shape[0], dtype=scaled.dtype)
        return root * linalg.cholesky(inner)

    @property
    def scale_tril(self):
        return self._full(self._unbroadcasted_scale_tril)

    @property
    def precision_matrix(self):
        """Σ⁻¹ = D⁻¹ − AᵀA, A = L_C⁻¹·Wᵀ·D⁻¹ (Woodbury)."""
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        A = linalg.solve_triangular(self._capacitance_tril, W.mT / D.unsqueeze(-2), upper=False)
        return self._full(diag_embed(D.reciprocal()) - A.mT @ A)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        eps_w = randn(shape[:-1] + (W.shape[-1],), dtype=self.loc.dtype)
        eps_d = randn(shape, dtype=self.loc.dtype)
        return self.loc + (W @ eps_w.unsqueeze(-1)).squeeze(-1) + D.sqrt() * eps_d

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        W, D, C_tril = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, self._capacitance_tril
        diff = value - self.loc
        projected = ((W.mT / D.unsqueeze(-2)) @ diff.unsqueeze(-1)).squeeze(-1)
        mahalanobis = (diff.pow(2) / D).sum(-1) - mahalanobis_squared(C_tril, projected)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + _log_det(W, D, C_tril) + mahalanobis)

    def entropy(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        log_det = _log_det(W, D, self._capacitance_tril)
        H = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + log_det)
        return H if not self._batch_shape else H.expand(tuple(self._batch_shape))

    def __repr__(self):
        return (f"LowRankMultivariateNormal(loc: {self.loc.size()}, cov_factor: {self.cov_factor.size()}, "
                f"cov_diag: {self.cov_diag.size()})")
