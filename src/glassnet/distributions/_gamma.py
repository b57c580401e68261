"""Gamma, Chi2, Beta, Dirichlet and StudentT: the families drawn through gamma variates.

Their draws come from NumPy's gamma sampler; ``rsample`` differentiates a gamma draw with
respect to its concentration α by the implicit reparameterisation gradient
∂x/∂α = −∂_αF(x; α)/p(x; α), exact to float64 rounding (``_gamma_grad``), and Beta, Dirichlet
and StudentT draws are differentiable functions of gamma draws.
"""

import math

from glassnet._creation import arange, randn
from glassnet.distributions import constraints
from glassnet.distributions._continuous import batch_of
from glassnet.distributions._distribution import Distribution, broadcast_all
from glassnet.distributions._gamma_grad import GammaCdf, StandardGamma
from glassnet.ops import digamma, lgamma, log, log1p, stack, where, xlogy

__all__ = ["Beta", "Chi2", "Dirichlet", "Gamma", "StudentT", "dirichlet_entropy"]


def _standard_gamma(concentration, shape):
    """Draws of Gamma(α, 1) of ``shape`` (α broadcast to it), differentiable in α."""
    return StandardGamma.apply(concentration.expand(tuple(shape)))


class Gamma(Distribution):
    """Gamma(α, β) on [0, ∞) (``concentration`` α, ``rate`` β).

    log p(x) = α·log β + (α − 1)·log x − βx − log Γ(α)
    mean α/β;  variance α/β²;  mode max((α − 1)/β, 0)
    H = α − log β + log Γ(α) + (1 − α)·ψ(α)
    rsample: x = g/β, g ~ Gamma(α, 1) (∂g/∂α: the implicit reparameterisation gradient)
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(batch_of((concentration, rate), (self.rate,)), validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"concentration": self.concentration.expand(batch_shape),
                "rate": self.rate.expand(batch_shape)}

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return _standard_gamma(self.concentration, shape) / self.rate.expand(shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return xlogy(a, b) + xlogy(a - 1, value) - b * value - lgamma(a)

    def cdf(self, value):
        """P(α, βx), the regularised lower incomplete gamma function (differentiable in α, β and x)."""
        if self._validate_args:
            self._validate_sample(value)
        return GammaCdf.apply(*broadcast_all(self.concentration, self.rate * value))

    def entropy(self):
        a = self.concentration
        return a - log(self.rate) + lgamma(a) + (1.0 - a) * digamma(a)


class Chi2(Gamma):
    """χ²(k) = Gamma(k/2, ½) (``df`` k)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    @property
    def df(self):
        return self.concentration * 2

    def _check_parameters(self):
        self._check_parameter("df", self.df, constraints.positive)

    def __repr__(self):
        return f"Chi2(df: {self.df if self.df.numel() == 1 else self.df.size()})"


def dirichlet_mode(concentration):
    """(α − 1)⁺ normalised; where every αᵢ < 1, the one-hot vector of the largest (α − 1)⁺."""
    am1 = (concentration - 1).clamp(min=0)
    mode = am1 / am1.sum(-1, keepdim=True)
    all_small = (concentration < 1).all(-1, keepdim=True)
    index = mode.argmax(-1, keepdim=True)
    one_hot = (index == arange(mode.shape[-1], device=mode.device)).type_as(mode)
    return where(all_small.expand_as(mode), one_hot, mode)


def dirichlet_entropy(concentration):
    """Σ log Γ(αᵢ) − log Γ(α₀) − (k − α₀)·ψ(α₀) − Σ (αᵢ − 1)·ψ(αᵢ), α₀ = Σ αᵢ."""
    k, a0 = concentration.shape[-1], concentration.sum(-1)
    return (lgamma(concentration).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0)
            - ((concentration - 1.0) * digamma(concentration)).sum(-1))


class Dirichlet(Distribution):
    """Dirichlet(α) on the simplex of the last dimension of ``concentration`` (size k).

    log p(x) = Σ (αᵢ − 1)·log xᵢ + log Γ(α₀) − Σ log Γ(αᵢ)
    mean α/α₀;  variance αᵢ(α₀ − αᵢ)/(α₀²(α₀ + 1));  H: see :func:`dirichlet_entropy`
    rsample: gᵢ ~ Gamma(αᵢ, 1), x = g/Σg
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"concentration": self.concentration.expand(batch_shape + tuple(self._event_shape))}

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        return dirichlet_mode(self.concentration)

    @property
    def variance(self):
        a, a0 = self.concentration, self.concentration.sum(-1, keepdim=True)
        return a * (a0 - a) / (a0.pow(2) * (a0 + 1))

    def rsample(self, sample_shape=()):
        g = _standard_gamma(self.concentration, self._extended_shape(sample_shape))
        return g / g.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a = self.concentration
        return xlogy(a - 1.0, value).sum(-1) + lgamma(a.sum(-1)) - lgamma(a).sum(-1)

    def entropy(self):
        return dirichlet_entropy(self.concentration)


class Beta(Distribution):
    """Beta(a, b) on [0, 1] (``concentration1`` a, ``concentration0`` b): Dirichlet([a, b]) of x, 1 − x.

    log p(x) = (a − 1)·log x + (b − 1)·log(1 − x) + log Γ(a + b) − log Γ(a) − log Γ(b)
    mean a/(a + b);  variance ab/((a + b)²(a + b + 1))
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        shape = batch_of((concentration1, concentration0), (self.concentration1,))
        super().__init__(shape, validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"concentration1": self.concentration1.expand(batch_shape),
                "concentration0": self.concentration0.expand(batch_shape)}

    def _pair(self):
        return stack([self.concentration1, self.concentration0], -1)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return dirichlet_mode(self._pair())[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        pair = self._pair()
        g = _standard_gamma(pair, tuple(shape) + (2,))
        return (g / g.sum(-1, keepdim=True))[..., 0]

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1.0, value) + xlogy(b - 1.0, 1 - value) + lgamma(a + b) - lgamma(a) - lgamma(b)

    def entropy(self):
        return dirichlet_entropy(self._pair())


class StudentT(Distribution):
    """Student's t with ``df`` ν, ``loc`` μ, ``scale`` σ; y = (x − μ)/σ.

    log p(x) = −(ν + 1)/2·log(1 + y²/ν) − log σ − ½·log ν − ½·log π − log Γ(ν/2) + log Γ((ν + 1)/2)
    mean μ (ν > 1, else NaN);  variance σ²ν/(ν − 2) (ν > 2; ∞ for 1 < ν ≤ 2; NaN for ν ≤ 1)
    rsample: x = μ + σ·z/√(c/ν), z ~ N(0, 1), c ~ χ²(ν)
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(batch_of((df, loc, scale), (self.df,)), validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {name: getattr(self, name).expand(batch_shape) for name in ("df", "loc", "scale")}

    @property
    def mean(self):
        return where(self.df > 1, self.loc, math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2)
        return where(df > 2, finite, where(df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        chi2 = 2 * _standard_gamma(0.5 * self.df, shape)
        z = randn(shape, dtype=self.df.dtype, device=self.df.device)
        return self.loc + self.scale * z * (chi2 / self.df).rsqrt()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        df = self.df
        y = (value - self.loc) / self.scale
        Z = (log(self.scale) + 0.5 * log(df) + 0.5 * math.log(math.pi) + lgamma(0.5 * df)
             - lgamma(0.5 * (df + 1.0)))
        return -0.5 * (df + 1.0) * log1p(y.pow(2) / df) - Z

    def entropy(self):
        df = self.df
        lbeta = lgamma(0.5 * df) + math.lgamma(0.5) - lgamma(0.5 * (df + 1))
        return (log(self.scale) + 0.5 * (df + 1) * (digamma(0.5 * (df + 1)) - digamma(0.5 * df))
                + 0.5 * log(df) + lbeta)


