"""Normal(loc μ, scale σ) and Uniform(low a, high b): the two reparameterisable
continuous distributions — a draw is a differentiable function of the parameters and
parameter-free noise, so ``rsample`` carries gradients (the VAE trick)."""

import math

from glassnet._creation import rand, randn
from glassnet.distributions import constraints
from glassnet.distributions._distribution import Distribution, broadcast_all
from glassnet.ops import erf, erfinv, log

__all__ = ["Normal", "Uniform"]


class Normal(Distribution):
    """N(μ, σ²), a batch of independent normals of the broadcast shape of ``loc`` and ``scale``.

    rsample: x = μ + σ·ε, ε ~ N(0, 1)  (∂x/∂μ = 1, ∂x/∂σ = ε)
    log p(x) = −(x − μ)²/(2σ²) − log σ − ½·log 2π
    H = ½ + ½·log 2π + log σ
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        numbers = all(isinstance(v, (int, float)) for v in (loc, scale))
        super().__init__(() if numbers else self.loc.shape, validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"loc": self.loc.expand(batch_shape), "scale": self.scale.expand(batch_shape)}

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()):
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - log(self.scale) - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        """Φ((x − μ)/σ) = ½·(1 + erf((x − μ)/(σ√2)))."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        """Φ⁻¹(u) = μ + σ·√2·erfinv(2u − 1)."""
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + log(self.scale)


class Uniform(Distribution):
    """U[a, b), a batch of independent uniforms.

    rsample: x = a + u·(b − a), u ~ U[0, 1)
    log p(x) = −log(b − a) inside [a, b), −∞ outside
    H = log(b − a)
    """

    has_rsample = True
    support = None  # set per instance: interval(low, high)

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        self.support = constraints.interval(self.low, self.high)
        numbers = all(isinstance(v, (int, float)) for v in (low, high))
        super().__init__(() if numbers else self.low.shape, validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        low, high = self.low.expand(batch_shape), self.high.expand(batch_shape)
        return {"low": low, "high": high, "support": constraints.interval(low, high)}

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return math.nan * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()):
        u = rand(self._extended_shape(sample_shape), dtype=self.low.dtype, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        inside = self.low.le(value).type_as(self.low) * self.high.gt(value).type_as(self.low)
        return log(inside) - log(self.high - self.low)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return log(self.high - self.low)
