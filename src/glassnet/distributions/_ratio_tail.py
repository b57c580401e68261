"""FisherSnedecor (a ratio of scaled chi-squares) and GeneralizedPareto (the peaks-over-threshold
family): continuous families with reparameterised draws."""

import math

import numpy as np

from glassnet._creation import rand
from glassnet.distributions import constraints
from glassnet.distributions._continuous import batch_of
from glassnet.distributions._distribution import Distribution, broadcast_all
from glassnet.distributions._gamma import Gamma
from glassnet.ops import expm1, lgamma, log, log1p, where

__all__ = ["FisherSnedecor", "GeneralizedPareto"]


def _shown(param):
    return param if param.numel() == 1 else param.size()


class FisherSnedecor(Distribution):
    """F(d₁, d₂) on (0, ∞) (``df1`` d₁, ``df2`` d₂): x = (g₁/d₁)/(g₂/d₂), g_i ~ χ²(d_i).

    log p(x) = log Γ((d₁+d₂)/2) − log Γ(d₁/2) − log Γ(d₂/2) + (d₁/2)·log(d₁/d₂)
               + (d₁/2 − 1)·log x − ((d₁+d₂)/2)·log(1 + d₁x/d₂)
    mean d₂/(d₂ − 2) (NaN for d₂ ≤ 2);  mode (d₁ − 2)/d₁ · d₂/(d₂ + 2) (NaN for d₁ ≤ 2)
    variance 2d₂²(d₁ + d₂ − 2)/(d₁(d₂ − 2)²(d₂ − 4)) (NaN for d₂ ≤ 4)
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1 * 0.5)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2 * 0.5)
        super().__init__(batch_of((df1, df2), (self.df1,)), validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        df1, df2 = self.df1.expand(batch_shape), self.df2.expand(batch_shape)
        return {"df1": df1, "df2": df2, "_gamma1": Gamma(df1 * 0.5, df1 * 0.5),
                "_gamma2": Gamma(df2 * 0.5, df2 * 0.5)}

    @property
    def mean(self):
        valid = self.df2 > 2
        df2 = where(valid, self.df2, 3.0)
        return where(valid, df2 / (df2 - 2), math.nan)

    @property
    def mode(self):
        valid = self.df1 > 2
        df1 = where(valid, self.df1, 3.0)
        return where(valid, (df1 - 2) / df1 * self.df2 / (self.df2 + 2), math.nan)

    @property
    def variance(self):
        valid = self.df2 > 4
        df1, df2 = self.df1, where(valid, self.df2, 5.0)
        value = 2 * df2.square() * (df1 + df2 - 2) / (df1 * (df2 - 2).square() * (df2 - 4))
        return where(valid, value, math.nan)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        tiny = float(np.finfo(np.dtype(str(self.df1.dtype))).tiny)
        numerator = self._gamma1.rsample(sample_shape).expand(shape)
        denominator = self._gamma2.rsample(sample_shape).expand(shape).clamp(min=tiny)
        return (numerator / denominator).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        half1, half2 = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        norm = lgamma(half1 + half2) - lgamma(half1) - lgamma(half2)
        return norm + half1 * log(ratio) + (half1 - 1) * log(value) - (half1 + half2) * log1p(ratio * value)

    def __repr__(self):
        return f"FisherSnedecor(df1: {_shown(self.df1)}, df2: {_shown(self.df2)})"


_ZERO = 1e-8  # |ξ| at or below this counts as ξ = 0 (the exponential tail), as PyTorch's isclose(ξ, 0)


class GeneralizedPareto(Distribution):
    """GPD(μ, σ, ξ) (``loc`` μ, ``scale`` σ, ``concentration`` ξ) on [μ, ∞) (ξ ≥ 0) or
    [μ, μ − σ/ξ] (ξ < 0);  z = (x − μ)/σ.

    log p(x) = −log σ − (1/ξ + 1)·log(1 + ξz)   (−log σ − z at ξ = 0)
    log S(x) = −log(1 + ξz)/ξ (−z at ξ = 0);  F = 1 − S;  F⁻¹(u) = μ + σ·((1 − u)^{−ξ} − 1)/ξ
    mean μ + σ/(1 − ξ) (NaN for ξ ≥ 1);  variance σ²/((1 − ξ)²(1 − 2ξ)) (NaN for ξ ≥ ½)
    H = log σ + ξ + 1;  mode μ;  rsample x = F⁻¹(u), u ~ U[0, 1)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(batch_of((loc, scale, concentration), (self.loc,)), validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"loc": self.loc.expand(batch_shape), "scale": self.scale.expand(batch_shape),
                "concentration": self.concentration.expand(batch_shape)}

    @property
    def support(self):
        bounded = self.concentration < 0
        upper = where(bounded, self.loc - self.scale / where(bounded, self.concentration, -1.0), math.inf)
        return constraints.interval(self.loc, upper)

    def _split(self):
        """(ξ counts as 0, ξ with 1 where it does): the ξ = 0 branch never divides by 0."""
        zero = self.concentration.abs() <= _ZERO
        return zero, where(zero, 1.0, self.concentration)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        zero, xi = self._split()
        power = 1 / xi + 1
        tail = where(power == 0, power, power * log1p(xi * z))
        return -log(self.scale) - where(zero, z, tail)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        zero, xi = self._split()
        return where(zero, -z, -log1p(xi * z) / xi)

    def log_cdf(self, value):
        return log1p(-self.log_survival_function(value).exp())

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        zero, xi = self._split()
        log_tail = log1p(-value)
        return where(zero, self.loc - self.scale * log_tail,
                     self.loc + self.scale / xi * expm1(-xi * log_tail))

    def rsample(self, sample_shape=()):
        u = rand(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    @property
    def mean(self):
        valid = self.concentration < 1
        xi = where(valid, self.concentration, 0.5)
        return where(valid, self.loc + self.scale / (1 - xi), math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        xi = where(valid, self.concentration, 0.25)
        return where(valid, self.scale.square() / ((1 - xi).square() * (1 - 2 * xi)), math.nan)

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        return (log(self.scale) + self.concentration + 1).expand(tuple(self._batch_shape))

    def __repr__(self):
        return (f"GeneralizedPareto(loc: {_shown(self.loc)}, scale: {_shown(self.scale)}, "
                f"concentration: {_shown(self.concentration)})")
