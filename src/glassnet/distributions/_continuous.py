"""Exponential, Laplace, Cauchy and Gumbel: one-dimensional continuous families whose draw
is an invertible function of uniform noise, so ``rsample`` carries gradients
(x = F⁻¹(u; θ)) and ``cdf`` / ``icdf`` have closed forms."""

import math

from glassnet._creation import rand
from glassnet.distributions import constraints
from glassnet.distributions._distribution import Distribution, broadcast_all
from glassnet.distributions._draw import open_uniform
from glassnet.ops import atan, exp, expm1, log, log1p, tan

__all__ = ["Cauchy", "Exponential", "Gumbel", "Laplace", "batch_of"]

_EULER = 0.57721566490153286061


def batch_of(raw, tensors):
    """The batch shape: () when every parameter was given as a number, else the broadcast shape."""
    return () if all(isinstance(v, (int, float)) for v in raw) else tensors[0].shape


class _Checked(Distribution):
    """A family whose ``cdf`` and ``icdf`` check the value as ``log_prob`` does."""

    def _checked(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return value


class _LocScale(_Checked):
    """A location-scale family on the real line: ``loc`` and ``scale`` (> 0) broadcast together,
    their shape the batch shape; reparameterised draws."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(batch_of((loc, scale), (self.loc,)), validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"loc": self.loc.expand(batch_shape), "scale": self.scale.expand(batch_shape)}


class Exponential(_Checked):
    """Exp(λ) on [0, ∞) (``rate`` λ).

    rsample: x = −log(1 − u)/λ, u ~ U[0, 1)
    log p(x) = log λ − λx;  F(x) = 1 − e^{−λx};  H = 1 − log λ
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(batch_of((rate,), (self.rate,)), validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"rate": self.rate.expand(batch_shape)}

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return self.rate * 0

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        u = rand(self._extended_shape(sample_shape), dtype=self.rate.dtype, device=self.rate.device)
        return -log1p(-u) / self.rate

    def log_prob(self, value):
        value = self._checked(value)
        return log(self.rate) - self.rate * value

    def cdf(self, value):
        return 1 - exp(-self.rate * self._checked(value))

    def icdf(self, value):
        return -log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - log(self.rate)


class Laplace(_LocScale):
    """Laplace(μ, b): density e^{−|x − μ|/b}/(2b).

    rsample: x = μ − b·sign(u)·log(1 − |u|), u ~ U(−1, 1)
    F(x) = ½ − ½·sign(x − μ)·(e^{−|x − μ|/b} − 1);  H = 1 + log 2b
    """

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    def rsample(self, sample_shape=()):
        u = 2 * open_uniform(self._extended_shape(sample_shape), self.loc) - 1
        return self.loc - self.scale * u.sign() * log1p(-u.abs())

    def log_prob(self, value):
        value = self._checked(value)
        return -log(2 * self.scale) - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        z = self._checked(value) - self.loc
        return 0.5 - 0.5 * z.sign() * expm1(-z.abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * log1p(-2 * term.abs())

    def entropy(self):
        return 1 + log(2 * self.scale)


class Cauchy(_LocScale):
    """Cauchy(x₀, γ): density 1/(πγ·(1 + ((x − x₀)/γ)²)); no mean (NaN), infinite variance.

    rsample: x = x₀ + γ·tan(π(u − ½));  F(x) = ½ + atan((x − x₀)/γ)/π;  H = log 4πγ
    """

    @property
    def mean(self):
        return self.loc.new_full(self._extended_shape(), math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self.loc.new_full(self._extended_shape(), math.inf)

    def rsample(self, sample_shape=()):
        u = open_uniform(self._extended_shape(sample_shape), self.loc)
        return self.loc + self.scale * tan(math.pi * (u - 0.5))

    def log_prob(self, value):
        value = self._checked(value)
        return -math.log(math.pi) - log(self.scale) - log1p(((value - self.loc) / self.scale).pow(2))

    def cdf(self, value):
        return atan((self._checked(value) - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + log(self.scale)


class Gumbel(_LocScale):
    """Gumbel(μ, β): F(x) = exp(−e^{−(x − μ)/β}).

    rsample: x = μ − β·log(−log u);  log p(x) = z − e^{z} − log β with z = (μ − x)/β
    mean μ + βγ (γ Euler's constant);  variance π²β²/6;  H = log β + 1 + γ
    """

    @property
    def mean(self):
        return self.loc + self.scale * _EULER

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()):
        u = open_uniform(self._extended_shape(sample_shape), self.loc)
        return self.loc - self.scale * log(-log(u))

    def log_prob(self, value):
        z = (self.loc - self._checked(value)) / self.scale
        return z - exp(z) - log(self.scale)

    def cdf(self, value):
        return exp(-exp((self.loc - self._checked(value)) / self.scale))

    def icdf(self, value):
        return self.loc - self.scale * log(-log(value))

    def entropy(self):
        return log(self.scale) + (1 + _EULER)
