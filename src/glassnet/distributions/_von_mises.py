"""VonMises(μ, κ): the circular normal, density e^{κ cos(x − μ)}/(2π I₀(κ)). log I₀ and log I₁
are Abramowitz & Stegun's polynomial approximations 9.8.1–9.8.4 (relative error below 2e-7),
as PyTorch's, composed from primitives so they differentiate; draws by Best and Fisher's
(1979) rejection scheme (``sample`` only)."""

import math

import numpy as np

from glassnet.distributions import constraints
from glassnet.distributions._continuous import batch_of
from glassnet.distributions._distribution import Distribution, broadcast_all
from glassnet.distributions._draw import host, numpy_draw
from glassnet.ops import cos, log, where

__all__ = ["VonMises"]

# Abramowitz & Stegun 9.8.1 / 9.8.3 (t = (x/3.75)², x < 3.75) and 9.8.2 / 9.8.4 (t = 3.75/x)
_SMALL = ([1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813],
          [0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411])
_LARGE = ([0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537,
           -0.01647633, 0.00392377],
          [0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967, -0.02895312,
           0.01787654, -0.00420059])


def _horner(t, coefficients):
    """c₀ + t·(c₁ + t·(c₂ + …))."""
    result = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        result = c + t * result
    return result


def log_bessel_i(x, order):
    """log I_order(x) for x > 0, order 0 or 1:
    log(x^order·P(t)) for x < 3.75 (t = (x/3.75)²), else x − ½ log x + log Q(3.75/x)."""
    small = _horner((x / 3.75).pow(2), _SMALL[order])
    small = log(x.abs() * small if order == 1 else small)
    large = x - 0.5 * log(x) + log(_horner(3.75 / x, _LARGE[order]))
    return where(x < 3.75, small, large)


def _best_fisher(rng, loc, kappa, shape):
    """Draws in (−π, π] of VonMises(loc, κ) (float64 arrays broadcast to ``shape``)."""
    tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
    rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))
    x, done = np.zeros(shape), np.zeros(shape, dtype=bool)
    while not done.all():
        u1, u2, u3 = rng.random((3,) + shape)
        z = np.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        with np.errstate(divide="ignore"):
            accept = ~done & ((c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0))
        x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1.0, 1.0)), x)
        done |= accept
    return np.mod(x + math.pi + loc, 2 * math.pi) - math.pi


class VonMises(Distribution):
    """VonMises(μ, κ) on the circle (``loc`` μ, ``concentration`` κ > 0).

    log p(x) = κ·cos(x − μ) − log 2π − log I₀(κ)
    mean = mode = μ (circular);  variance 1 − I₁(κ)/I₀(κ) (circular)
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(batch_of((loc, concentration), (self.loc,)), validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"loc": self.loc.expand(batch_shape), "concentration": self.concentration.expand(batch_shape)}

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        kappa = self.concentration
        return kappa * cos(value - self.loc) - math.log(2 * math.pi) - log_bessel_i(kappa, 0)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        kappa = self.concentration
        return 1 - (log_bessel_i(kappa, 1) - log_bessel_i(kappa, 0)).exp()

    def sample(self, sample_shape=()):
        """Best–Fisher rejection in float64 (whatever the parameters' dtype), no gradient."""
        shape = tuple(self._extended_shape(sample_shape))
        loc, kappa = np.broadcast_to(host(self.loc), shape), np.broadcast_to(host(self.concentration), shape)
        return numpy_draw(self.loc, lambda rng, s: _best_fisher(rng, loc, kappa, s), shape)

    def __repr__(self):
        shown = [p if p.numel() == 1 else p.size() for p in (self.loc, self.concentration)]
        return f"VonMises(loc: {shown[0]}, concentration: {shown[1]})"
