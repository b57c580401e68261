"""HalfNormal, HalfCauchy (|x| of a centred Normal / Cauchy), Pareto (scale·e^{x}, x ~ Exp(α))
and Weibull (scale·x^{1/k}, x ~ Exp(1)): TransformedDistributions with closed-form moments."""

import math

from glassnet.distributions import constraints
from glassnet.distributions._continuous import Cauchy, Exponential
from glassnet.distributions._distribution import broadcast_all
from glassnet.distributions._normal import Normal
from glassnet.distributions._transformed import TransformedDistribution
from glassnet.distributions._transforms import AbsTransform, AffineTransform, ExpTransform, PowerTransform
from glassnet.ops import exp, lgamma, log, where

__all__ = ["HalfCauchy", "HalfNormal", "Pareto", "Weibull"]

_EULER = 0.57721566490153286061


class _Folded(TransformedDistribution):
    """|x| of a base symmetric about 0: density 2·p(y) on y ≥ 0, cdf 2F(y) − 1, H = H(base) − log 2."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    @property
    def scale(self):
        return self.base_dist.scale

    def _check_parameters(self):
        self._check_parameter("scale", self.scale, constraints.positive)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)

    @property
    def mode(self):
        return self.scale * 0

    def __repr__(self):
        return f"{type(self).__name__}()"


class HalfNormal(_Folded):
    """|x|, x ~ N(0, σ²) (``scale`` σ): mean σ√(2/π), variance σ²(1 − 2/π)."""

    def __init__(self, scale, validate_args=None):
        super().__init__(Normal(0, scale, validate_args=False), AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)


class HalfCauchy(_Folded):
    """|x|, x ~ Cauchy(0, γ) (``scale`` γ): infinite mean and variance."""

    def __init__(self, scale, validate_args=None):
        super().__init__(Cauchy(0, scale, validate_args=False), AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return self.scale.new_full(self._extended_shape(), math.inf)

    @property
    def variance(self):
        return self.scale.new_full(self._extended_shape(), math.inf)


class Pareto(TransformedDistribution):
    """Pareto(x_m, α) on [x_m, ∞) (``scale`` x_m, ``alpha`` α): y = x_m·e^{x}, x ~ Exp(α).

    mean α·x_m/(α − 1) (∞ for α ≤ 1);  variance x_m²·α/((α − 1)²(α − 2)) (∞ for α ≤ 2)
    H = log(x_m/α) + 1/α + 1
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(Exponential(self.alpha, validate_args=validate_args), transforms,
                         validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        params = super()._expanded_params(batch_shape)
        scale = self.scale.expand(batch_shape)
        params.update(scale=scale, alpha=self.alpha.expand(batch_shape),
                      transforms=[ExpTransform(), AffineTransform(loc=0, scale=scale)])
        return params

    @property
    def support(self):
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self):
        a = self.alpha
        finite = a > 1
        return where(finite, a * self.scale / where(finite, a - 1, 1.0), math.inf)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha
        finite = a > 2
        return where(finite, self.scale.pow(2) * a / ((a - 1).pow(2) * where(finite, a - 2, 1.0)), math.inf)

    def entropy(self):
        return log(self.scale / self.alpha) + self.alpha.reciprocal() + 1

    def __repr__(self):
        return f"Pareto(scale: {_shown(self.scale)}, alpha: {_shown(self.alpha)})"


class Weibull(TransformedDistribution):
    """Weibull(λ, k) on (0, ∞) (``scale`` λ, ``concentration`` k): y = λ·x^{1/k}, x ~ Exp(1).

    mean λ·Γ(1 + 1/k);  variance λ²·(Γ(1 + 2/k) − Γ(1 + 1/k)²);  mode λ·((k − 1)/k)^{1/k}
    H = γ·(1 − 1/k) + log(λ/k) + 1
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(self.scale.new_ones(self.scale.shape), validate_args=validate_args)
        super().__init__(base, self._transforms(self.scale, self.concentration_reciprocal),
                         validate_args=validate_args)

    @staticmethod
    def _transforms(scale, exponent):
        return [PowerTransform(exponent=exponent), AffineTransform(loc=0, scale=scale)]

    def _expanded_params(self, batch_shape):
        params = super()._expanded_params(batch_shape)
        scale, concentration = self.scale.expand(batch_shape), self.concentration.expand(batch_shape)
        params.update(scale=scale, concentration=concentration,
                      concentration_reciprocal=concentration.reciprocal(),
                      transforms=self._transforms(scale, concentration.reciprocal()))
        return params

    @property
    def mean(self):
        return self.scale * exp(lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k).pow(k.reciprocal())

    @property
    def variance(self):
        k_inv = self.concentration_reciprocal
        return self.scale.pow(2) * (exp(lgamma(1 + 2 * k_inv)) - exp(2 * lgamma(1 + k_inv)))

    def entropy(self):
        return (_EULER * (1 - self.concentration_reciprocal) + log(self.scale * self.concentration_reciprocal)
                + 1)

    def __repr__(self):
        return f"Weibull(scale: {_shown(self.scale)}, concentration: {_shown(self.concentration)})"


def _shown(param):
    return param if param.numel() == 1 else param.size()
