"""Invertible maps y = f(x) with log|det ∂y/∂x| (PyTorch's ``torch.distributions.transforms``):
a TransformedDistribution scores y by the base's log p(f⁻¹(y)) − log|det J|.

Each transform has ``domain`` / ``codomain`` (constraints), ``bijective``, ``sign`` (+1 / −1
for a monotone increasing / decreasing map of numbers), ``inv`` (the inverse transform),
and ``log_abs_det_jacobian(x, y)`` elementwise (summed over ``event_dim`` dimensions).
"""

import copy
import math
import numbers

import numpy as np

from glassnet._creation import full_like
from glassnet.distributions import constraints
from glassnet.ops import atanh, exp, expm1, log, log1p, softplus, tanh

__all__ = ["AbsTransform", "AffineTransform", "ExpTransform", "PowerTransform", "SigmoidTransform",
           "SoftplusTransform", "TanhTransform", "Transform"]


class Transform:
    """y = f(x), invertible on ``domain`` → ``codomain``."""

    bijective = False
    sign = 1
    domain = constraints.real
    codomain = constraints.real

    def __init__(self, cache_size=0):
        if cache_size not in (0, 1):
            raise ValueError(f"cache_size must be 0 or 1, got {cache_size}")
        self._cache_size = cache_size
        self._cached_x_y = (None, None)

    @property
    def event_dim(self):
        return self.domain.event_dim

    @property
    def inv(self):
        return _InverseTransform(self)

    def with_cache(self, cache_size=1):
        """This transform remembering its last (x, y) pair (``cache_size`` 1) or nothing (0)."""
        if cache_size == self._cache_size:
            return self
        new = copy.copy(self)
        Transform.__init__(new, cache_size)
        return new

    def __call__(self, x):
        """y = f(x); with ``cache_size=1``, the y of the last call when ``x`` is that call's x (or y)."""
        if not self._cache_size:
            return self._call(x)
        old_x, old_y = self._cached_x_y
        if x is old_x:
            return old_y
        y = self._call(x)
        self._cached_x_y = (x, y)
        return y

    def _inv_call(self, y):
        """x = f⁻¹(y), from the cache when ``y`` is the last y seen (so f⁻¹(f(x)) is x itself)."""
        if not self._cache_size:
            return self._inverse(y)
        old_x, old_y = self._cached_x_y
        if y is old_y:
            return old_x
        x = self._inverse(y)
        self._cached_x_y = (x, y)
        return x

    def _call(self, x):
        raise NotImplementedError(f"{type(self).__name__} has no forward map")

    def _inverse(self, y):
        raise NotImplementedError(f"{type(self).__name__} has no inverse")

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError(f"{type(self).__name__} has no log_abs_det_jacobian")

    def forward_shape(self, shape):
        return shape

    def inverse_shape(self, shape):
        return shape

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __repr__(self):
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    """x = f⁻¹(y) of a transform f; log|det| is minus f's."""

    def __init__(self, transform):
        super().__init__()
        self._inv = transform

    @property
    def domain(self):
        return self._inv.codomain

    @property
    def codomain(self):
        return self._inv.domain

    @property
    def bijective(self):
        return self._inv.bijective

    @property
    def sign(self):
        return self._inv.sign

    @property
    def inv(self):
        return self._inv

    def with_cache(self, cache_size=1):
        return self._inv.with_cache(cache_size).inv

    def __call__(self, x):
        return self._inv._inv_call(x)

    def _call(self, x):
        return self._inv._inverse(x)

    def _inverse(self, y):
        return self._inv._call(y)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    def __hash__(self):
        return hash((_InverseTransform, self._inv))

    def __repr__(self):
        return f"_InverseTransform({self._inv!r})"


class ExpTransform(Transform):
    """y = eˣ on ℝ → (0, ∞);  log|dy/dx| = x."""

    domain, codomain, bijective = constraints.real, constraints.positive, True

    def _call(self, x):
        return exp(x)

    def _inverse(self, y):
        return log(y)

    def log_abs_det_jacobian(self, x, y):
        return x


class AffineTransform(Transform):
    """y = loc + scale·x;  log|dy/dx| = log|scale| (summed over ``event_dim`` rightmost dimensions)."""

    bijective = True

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        super().__init__(cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        return constraints.real if self._event_dim == 0 else constraints.independent(constraints.real,
                                                                                      self._event_dim)

    codomain = domain

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Real):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        shape = tuple(x.shape)
        if isinstance(self.scale, numbers.Real):
            result = full_like(x, math.log(abs(self.scale)))
        else:
            result = self.scale.abs().log()
        if self._event_dim:
            result = result.reshape(tuple(result.shape[:-self._event_dim]) + (-1,)).sum(-1)
            shape = shape[:-self._event_dim]
        return result.expand(shape)

    def __eq__(self, other):
        if not isinstance(other, AffineTransform):
            return False
        same = [a == b if isinstance(a, numbers.Number) and isinstance(b, numbers.Number)
                else (not isinstance(a, numbers.Number) and not isinstance(b, numbers.Number)
                      and tuple(a.shape) == tuple(b.shape) and bool((a == b).all()))
                for a, b in ((self.loc, other.loc), (self.scale, other.scale))]
        return all(same) and self._event_dim == other._event_dim

    def __hash__(self):
        return id(self)


def _clipped(p):
    finfo = np.finfo(np.dtype(str(p.dtype)))
    return p.clamp(min=float(finfo.tiny), max=1.0 - float(finfo.eps))


class SigmoidTransform(Transform):
    """y = σ(x) on ℝ → [0, 1] (kept in [tiny, 1 − eps]);  log|dy/dx| = −softplus(−x) − softplus(x)."""

    domain, codomain, bijective = constraints.real, constraints.unit_interval, True

    def _call(self, x):
        return _clipped(x.sigmoid())

    def _inverse(self, y):
        y = _clipped(y)
        return log(y) - log1p(-y)

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x) - softplus(x)


class TanhTransform(Transform):
    """y = tanh x on ℝ → (−1, 1);  log|dy/dx| = 2·(log 2 − x − softplus(−2x))."""

    domain, codomain, bijective = constraints.real, constraints.interval(-1.0, 1.0), True

    def _call(self, x):
        return tanh(x)

    def _inverse(self, y):
        return atanh(y)

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AbsTransform(Transform):
    """y = |x| on ℝ → [0, ∞) (not bijective: its inverse gives the non-negative preimage y)."""

    domain, codomain = constraints.real, constraints.positive

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class PowerTransform(Transform):
    """y = x^p on (0, ∞) → (0, ∞) (``exponent`` p);  log|dy/dx| = log|p·y/x|."""

    domain, codomain, bijective = constraints.positive, constraints.positive, True

    def __init__(self, exponent, cache_size=0):
        super().__init__(cache_size)
        self.exponent = exponent

    @property
    def sign(self):
        return self.exponent.sign() if not isinstance(self.exponent, numbers.Real) else \
            (1 if self.exponent > 0 else -1 if self.exponent < 0 else 0)

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and (
            self.exponent is other.exponent or bool((self.exponent == other.exponent).all())
            if not isinstance(self.exponent, numbers.Real) else self.exponent == other.exponent)

    def __hash__(self):
        return id(self)


class SoftplusTransform(Transform):
    """y = log(1 + eˣ) on ℝ → (0, ∞);  x = y + log(1 − e^{−y});  log|dy/dx| = −softplus(−x)."""

    domain, codomain, bijective = constraints.real, constraints.positive, True

    def _call(self, x):
        return softplus(x)

    def _inverse(self, y):
        return log(-expm1(-y)) + y

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x)
