"""LogisticNormal (stick breaking of a Normal), InverseGamma (1/x of a Gamma) and Kumaraswamy
(a power chain of a Uniform): TransformedDistributions with closed-form moments."""

import math

from glassnet.distributions import constraints
from glassnet.distributions._distribution import broadcast_all
from glassnet.distributions._gamma import Gamma
from glassnet.distributions._normal import Normal, Uniform
from glassnet.distributions._transformed import TransformedDistribution
from glassnet.distributions._transforms import AffineTransform, PowerTransform
from glassnet.distributions._transforms_event import StickBreakingTransform
from glassnet.ops import digamma, exp, lgamma, log, where

__all__ = ["InverseGamma", "Kumaraswamy", "LogisticNormal"]

_EULER = 0.57721566490153286061


def _shown(param):
    return param if param.numel() == 1 else param.size()


class LogisticNormal(TransformedDistribution):
    """y = StickBreaking(x), x ~ N(``loc``, ``scale``²) in ℝᴷ (the last dimension): y on the
    simplex in ℝᴷ⁺¹ (event shape (K + 1,)).

    log p(y) = Σ_k log N(x_k) − log|det J_stick(x)|, x the stick-breaking inverse of y.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not tuple(base.batch_shape):
            base = base.expand((1,))
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale

    def __repr__(self):
        return f"LogisticNormal(loc: {_shown(self.loc)}, scale: {_shown(self.scale)})"


class InverseGamma(TransformedDistribution):
    """y = 1/x, x ~ Gamma(α, β) (``concentration`` α, ``rate`` β): density βᵅ/Γ(α)·y^{−α−1}e^{−β/y}.

    mean β/(α − 1) (∞ for α ≤ 1);  variance β²/((α − 1)²(α − 2)) (∞ for α ≤ 2);  mode β/(α + 1)
    H = α + log β + log Γ(α) − (1 + α)ψ(α)
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base = Gamma(concentration, rate, validate_args=validate_args)
        super().__init__(base, PowerTransform(-base.rate.new_ones(())), validate_args=validate_args)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        a = self.concentration
        finite = a > 1
        return where(finite, self.rate / where(finite, a - 1, 1.0), math.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        a = self.concentration
        finite = a > 2
        return where(finite, self.rate.square() / ((a - 1).square() * where(finite, a - 2, 1.0)), math.inf)

    def entropy(self):
        a = self.concentration
        return a + log(self.rate) + lgamma(a) - (1 + a) * digamma(a)

    def __repr__(self):
        return f"InverseGamma(concentration: {_shown(self.concentration)}, rate: {_shown(self.rate)})"


def _kumaraswamy_moment(a, b, n):
    """E[yⁿ] = b·B(1 + n/a, b) = exp(log b + log Γ(1 + n/a) + log Γ(b) − log Γ(1 + b + n/a))."""
    shifted = 1 + n / a
    return exp(log(b) + lgamma(shifted) + lgamma(b) - lgamma(shifted + b))


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy(a, b) on (0, 1) (``concentration1`` a, ``concentration0`` b): density
    a·b·y^{a−1}(1 − yᵃ)^{b−1};  y = (1 − u^{1/b})^{1/a}, u ~ U(0, 1).

    mean b·B(1 + 1/a, b);  variance b·B(1 + 2/a, b) − mean²;  mode ((a − 1)/(ab − 1))^{1/a} (NaN
    unless a, b ≥ 1; PyTorch 2.13's ``mode`` is NaN everywhere)
    H = (1 − 1/b) + (1 − 1/a)·H_b − log(ab), H_b = ψ(b + 1) + γ
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        shape = tuple(self.concentration0.shape)
        base = Uniform(self.concentration0.new_zeros(shape), self.concentration0.new_ones(shape),
                       validate_args=validate_args)
        super().__init__(base, self._transforms(self.concentration1, self.concentration0),
                         validate_args=validate_args)

    @staticmethod
    def _transforms(a, b):
        return [PowerTransform(exponent=b.reciprocal()), AffineTransform(loc=1.0, scale=-1.0),
                PowerTransform(exponent=a.reciprocal())]

    def _expanded_params(self, batch_shape):
        params = super()._expanded_params(batch_shape)
        a, b = self.concentration1.expand(batch_shape), self.concentration0.expand(batch_shape)
        params.update(concentration1=a, concentration0=b, transforms=self._transforms(a, b))
        return params

    @property
    def mean(self):
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        valid = (a >= 1) & (b >= 1)
        safe_a, safe_b = where(valid, a, 2.0), where(valid, b, 2.0)
        mode = ((safe_a - 1) / (safe_a * safe_b - 1)).pow(safe_a.reciprocal())
        return where(valid, mode, math.nan)

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        return _kumaraswamy_moment(a, b, 2) - self.mean.square()

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic = digamma(b + 1) + _EULER
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - log(a) - log(b)

    def __repr__(self):
        return f"Kumaraswamy(concentration1: {_shown(self.concentration1)}, " \
               f"concentration0: {_shown(self.concentration0)})"
