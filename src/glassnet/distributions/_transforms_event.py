"""Transforms that chain others or act on whole vectors and matrices (PyTorch's
``ComposeTransform``, ``IndependentTransform``, ``ReshapeTransform``, ``SoftmaxTransform``,
``StickBreakingTransform``, ``CumulativeDistributionTransform``); the matrix ones are in
``_transforms_matrix``; ``biject_to`` / ``transform_to`` build them from constraints.

A transform of a vector (``event_dim`` 1) or matrix (2) gives one log|det J| per vector or
matrix; ``sign`` is defined only for maps of numbers.
"""

import math

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.distributions import constraints
from glassnet.distributions._independent import sum_rightmost
from glassnet.distributions._transforms import Transform
from glassnet.ops import exp, log, logsigmoid, pad

__all__ = ["ComposeTransform", "CumulativeDistributionTransform", "IndependentTransform", "ReshapeTransform",
           "SoftmaxTransform", "StickBreakingTransform", "identity_transform"]


class EventTransform(Transform):
    """A map of whole vectors / matrices: no sign."""

    @property
    def sign(self):
        raise NotImplementedError(f"{type(self).__name__}.sign: only transforms of single numbers have a "
                                  "sign")


def _widen(constraint, event_dim):
    """``constraint`` over ``event_dim`` rightmost dimensions (wrapped in independent if it has fewer)."""
    extra = event_dim - constraint.event_dim
    return constraints.independent(constraint, extra) if extra > 0 else constraint


class ComposeTransform(Transform):
    """y = f_K(… f_1(x)) for ``parts`` [f_1, …, f_K]; the empty list is the identity.

    log|det J| = Σ_k log|det J_k(x_{k−1})| (each summed down to the chain's event dimensions).
    """

    def __init__(self, parts, cache_size=0):
        super().__init__(cache_size)
        if not (isinstance(parts, (list, tuple)) and all(isinstance(p, Transform) for p in parts)):
            raise GlassnetValueError(f"ComposeTransform: parts must be a list of Transforms, got {parts!r}")
        self.parts = [p.with_cache(cache_size) for p in parts] if cache_size else list(parts)

    @property
    def domain(self):
        if not self.parts:
            return constraints.real
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            event_dim = max(event_dim + part.domain.event_dim - part.codomain.event_dim,
                            part.domain.event_dim)
        return _widen(self.parts[0].domain, event_dim)

    @property
    def codomain(self):
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim = max(event_dim + part.codomain.event_dim - part.domain.event_dim,
                            part.codomain.event_dim)
        return _widen(self.parts[-1].codomain, event_dim)

    @property
    def bijective(self):
        return all(p.bijective for p in self.parts)

    @property
    def sign(self):
        sign = 1
        for p in self.parts:
            sign = sign * p.sign
        return sign

    @property
    def inv(self):
        return ComposeTransform([p.inv for p in reversed(self.parts)])

    def with_cache(self, cache_size=1):
        return self if cache_size == self._cache_size else ComposeTransform(self.parts, cache_size)

    def _call(self, x):
        for part in self.parts:
            x = part(x)
        return x

    def _inverse(self, y):
        for part in reversed(self.parts):
            y = part.inv(y)
        return y

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return x.new_zeros(tuple(x.shape))
        event_dim, total = self.domain.event_dim, 0.0
        for k, part in enumerate(self.parts):
            nxt = y if k == len(self.parts) - 1 else part(x)
            term = part.log_abs_det_jacobian(x, nxt)
            total = total + sum_rightmost(term, event_dim - part.domain.event_dim)
            event_dim += part.codomain.event_dim - part.domain.event_dim
            x = nxt
        return total

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return shape

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    def __hash__(self):
        return id(self)

    def __repr__(self):
        inner = ",\n".join(f"    {p!r}" for p in self.parts) or "    "
        return f"ComposeTransform(\n{inner}\n)"


identity_transform = ComposeTransform([])


class IndependentTransform(Transform):
    """``base_transform`` applied elementwise, its log|det J| summed over
    ``reinterpreted_batch_ndims`` more rightmost dimensions."""

    def __init__(self, base_transform, reinterpreted_batch_ndims, cache_size=0):
        super().__init__(cache_size)
        if not isinstance(base_transform, Transform) or reinterpreted_batch_ndims < 0:
            raise GlassnetValueError(
                f"IndependentTransform: needs a Transform and reinterpreted_batch_ndims >= 0, got "
                f"{base_transform!r}, {reinterpreted_batch_ndims}")
        if cache_size:
            base_transform = base_transform.with_cache(cache_size)
        self.base_transform, self.reinterpreted_batch_ndims = base_transform, reinterpreted_batch_ndims

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    @property
    def inv(self):
        return IndependentTransform(self.base_transform.inv, self.reinterpreted_batch_ndims)

    def with_cache(self, cache_size=1):
        if cache_size == self._cache_size:
            return self
        return IndependentTransform(self.base_transform, self.reinterpreted_batch_ndims, cache_size)

    def _call(self, x):
        return self.base_transform(x)

    def _inverse(self, y):
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __eq__(self, other):
        return (isinstance(other, IndependentTransform) and self.base_transform == other.base_transform
                and self.reinterpreted_batch_ndims == other.reinterpreted_batch_ndims)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return f"IndependentTransform({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class ReshapeTransform(EventTransform):
    """(…, *in_shape) → (…, *out_shape), same elements in the same order;  log|det J| = 0."""

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size=0):
        super().__init__(cache_size)
        self.in_shape, self.out_shape = tuple(int(n) for n in in_shape), tuple(int(n) for n in out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise GlassnetValueError(f"ReshapeTransform: in_shape {self.in_shape} and out_shape "
                                     f"{self.out_shape} have different numbers of elements")

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    @property
    def inv(self):
        return ReshapeTransform(self.out_shape, self.in_shape)

    def _batch(self, shape, event):
        shape = tuple(shape)
        if shape[len(shape) - len(event):] != event:
            raise GlassnetValueError(f"ReshapeTransform: expected a shape ending in {event}, got {shape}")
        return shape[:len(shape) - len(event)]

    def _call(self, x):
        return x.reshape(self._batch(x.shape, self.in_shape) + self.out_shape)

    def _inverse(self, y):
        return y.reshape(self._batch(y.shape, self.out_shape) + self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        return x.new_zeros(self._batch(x.shape, self.in_shape))

    def forward_shape(self, shape):
        return self._batch(shape, self.in_shape) + self.out_shape

    def inverse_shape(self, shape):
        return self._batch(shape, self.out_shape) + self.in_shape

    def __eq__(self, other):
        return (isinstance(other, ReshapeTransform) and self.in_shape == other.in_shape
                and self.out_shape == other.out_shape)

    def __hash__(self):
        return hash((ReshapeTransform, self.in_shape, self.out_shape))

    def __repr__(self):
        return f"ReshapeTransform(in_shape={self.in_shape}, out_shape={self.out_shape})"


class SoftmaxTransform(EventTransform):
    """y = eˣ / Σ eˣ along the last dimension (ℝᴷ → simplex; not bijective: its inverse is log y)."""

    domain, codomain = constraints.real_vector, constraints.simplex

    def _call(self, x):
        e = exp(x - x.amax(-1, keepdim=True))
        return e / e.sum(-1, keepdim=True)

    def _inverse(self, y):
        return log(y)


def _stick_offsets(x, k):
    """log of [k, k−1, …, 1], k = x's last size (a float tensor of x's dtype)."""
    return x.new_tensor(np.log(np.arange(k, 0, -1, dtype=np.float64)))


class StickBreakingTransform(EventTransform):
    """ℝᴷ → the simplex in ℝᴷ⁺¹ by stick breaking: z_i = σ(x_i − log(K + 1 − i)),
    y_i = z_i Π_{j<i}(1 − z_j), y_{K+1} = Π_j (1 − z_j).

    log|det J| = Σ_i (−u_i + log σ(u_i) + log y_i), u_i = x_i − log(K + 1 − i).
    """

    domain, codomain, bijective = constraints.real_vector, constraints.simplex, True

    def _call(self, x):
        z = (x - _stick_offsets(x, x.shape[-1])).sigmoid()
        rest = (1 - z).cumprod(-1)
        return pad(z, (0, 1), value=1.0) * pad(rest, (1, 0), value=1.0)

    def _inverse(self, y):
        head = y[..., :-1]
        left = (1 - head.cumsum(-1)).clamp(min=float(np.finfo(np.dtype(str(y.dtype))).tiny))
        return log(head) - log(left) + _stick_offsets(head, head.shape[-1])

    def log_abs_det_jacobian(self, x, y):
        u = x - _stick_offsets(x, x.shape[-1])
        return (-u + logsigmoid(u) + log(y[..., :-1])).sum(-1)

    def forward_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class CumulativeDistributionTransform(Transform):
    """y = F(x), the ``distribution``'s cdf (its support → [0, 1]);  log|dy/dx| = log p(x)."""

    bijective, sign, codomain = True, 1, constraints.unit_interval

    def __init__(self, distribution, cache_size=0):
        super().__init__(cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)

    def __repr__(self):
        return f"CumulativeDistributionTransform({self.distribution!r})"
