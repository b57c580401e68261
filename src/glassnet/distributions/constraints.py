"""The sets a distribution's parameters and values must lie in (PyTorch's
``torch.distributions.constraints``): each constraint's ``check(value)`` is a boolean
tensor, True where the value is allowed, and its ``repr`` names it the way PyTorch's
error messages do (``GreaterThan(lower_bound=0.0)``).

``event_dim`` says how many rightmost dimensions form one value: ``simplex`` and
``real_vector`` judge a whole last dimension at once.
"""

import numpy as np

from glassnet import ops as _ops
from glassnet._backend import to_numpy
from glassnet.autograd._tensor import Tensor

__all__ = [
    "Constraint", "boolean", "cat", "corr_cholesky", "dependent", "dependent_property", "greater_than",
    "greater_than_eq",
    "half_open_interval", "integer_interval", "interval", "is_dependent", "less_than", "lower_cholesky",
    "multinomial", "nonnegative", "nonnegative_integer", "one_hot", "positive", "positive_definite",
    "positive_integer", "real", "real_vector", "simplex", "stack", "unit_interval",
]


def _bound(value):
    return float(value) if isinstance(value, (int, float)) else value


class Constraint:
    """A set of allowed values: ``check(value)`` → bool tensor of the value's batch shape."""

    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__.lstrip('_')}()"


class _Dependent(Constraint):
    """A constraint that depends on other parameters and is not checked on its own."""

    def check(self, value):
        raise ValueError("cannot determine validity of a dependent constraint")


class _DependentProperty(property):
    """A property on a distribution class whose value is a constraint built from the
    instance's parameters (``Uniform.support`` is ``interval(low, high)``)."""


def dependent_property(fn=None, *, is_discrete=False, event_dim=0):
    if fn is None:
        return lambda f: _DependentProperty(f)
    return _DependentProperty(fn)


def is_dependent(constraint):
    return isinstance(constraint, _Dependent)


class _Real(Constraint):
    """Every number except NaN."""

    def check(self, value):
        return value == value


class _Boolean(Constraint):
    """0 or 1."""

    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _IntegerInterval(Constraint):
    """Whole numbers in ``[lower_bound, upper_bound]``."""

    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (value % 1 == 0) & (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    """Whole numbers ≥ ``lower_bound``."""

    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _GreaterThan(Constraint):
    """``value > lower_bound``."""

    def __init__(self, lower_bound):
        self.lower_bound = _bound(lower_bound)

    def check(self, value):
        return self.lower_bound < value

    def __repr__(self):
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    """``value ≥ lower_bound``."""

    def check(self, value):
        return self.lower_bound <= value

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    """``value < upper_bound``."""

    def __init__(self, upper_bound):
        self.upper_bound = _bound(upper_bound)

    def check(self, value):
        return value < self.upper_bound

    def __repr__(self):
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    """``lower_bound ≤ value ≤ upper_bound``."""

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = _bound(lower_bound), _bound(upper_bound)

    def check(self, value):
        return (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self):
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _HalfOpenInterval(_Interval):
    """``lower_bound ≤ value < upper_bound``."""

    def check(self, value):
        return (self.lower_bound <= value) & (value < self.upper_bound)

    def __repr__(self):
        return f"HalfOpenInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Independent(Constraint):
    """A constraint over ``reinterpreted_batch_ndims`` more rightmost dimensions: a value
    is allowed when every element along them is."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        self.base_constraint, self.reinterpreted_batch_ndims = base_constraint, reinterpreted_batch_ndims
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        for _ in range(self.reinterpreted_batch_ndims):
            result = result.all(-1)
        return result

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Simplex(Constraint):
    """Non-negative entries along the last dimension that sum to 1 (to within 1e-6)."""

    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _OneHot(Constraint):
    """Vectors along the last dimension of 0s and 1s with exactly one 1."""

    is_discrete = True
    event_dim = 1

    def check(self, value):
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class _Multinomial(Constraint):
    """Non-negative whole-number counts along the last dimension summing to at most ``upper_bound``."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return (value >= 0).all(-1) & (value.sum(-1) <= self.upper_bound)

    def __repr__(self):
        return "Multinomial()"


dependent = _Dependent()
real = _Real()
boolean = _Boolean()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
one_hot = _OneHot()
multinomial = _Multinomial
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
real_vector = _Independent(real, 1)
independent = _Independent
integer_interval = _IntegerInterval
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval


class _LowerCholesky(Constraint):
    """Square lower-triangular matrices with a positive diagonal (a Cholesky factor)."""

    event_dim = 2

    def check(self, value):
        lower = (value.tril() == value).reshape(tuple(value.shape[:-2]) + (-1,)).all(-1)
        return lower & (value.diagonal(dim1=-2, dim2=-1) > 0).all(-1)


class _PositiveDefinite(Constraint):
    """Symmetric matrices (to within 1e-6) whose eigenvalues are all positive."""

    event_dim = 2

    def check(self, value):
        symmetric = ((value - value.transpose(-1, -2)).abs() <= 1e-6).reshape(
            tuple(value.shape[:-2]) + (-1,)).all(-1)
        array = np.asarray(to_numpy(value.array))
        positive = np.linalg.eigvalsh((array + np.swapaxes(array, -1, -2)) / 2).min(-1) > 0
        return symmetric & Tensor._wrap(np.asarray(positive), False, None)


class _CorrCholesky(Constraint):
    """Cholesky factors of correlation matrices: lower triangular with a positive diagonal and
    rows of unit norm (to within 10·D·eps)."""

    event_dim = 2

    def check(self, value):
        array = np.asarray(to_numpy(value.detach().array))
        tol = float(np.finfo(array.dtype).eps) * array.shape[-1] * 10
        unit = (np.abs(np.linalg.norm(array, axis=-1) - 1) <= tol).all(-1)
        return _LowerCholesky().check(value) & Tensor._wrap(np.asarray(unit), False, None)


class _Cat(Constraint):
    """``cseq[i]`` on the i-th block (``lengths[i]`` long, 1 by default) of dimension ``dim``."""

    def __init__(self, cseq, dim=0, lengths=None):
        self.cseq, self.dim = list(cseq), dim
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise ValueError(f"cat: {len(self.cseq)} constraints but {len(self.lengths)} lengths")
        self.is_discrete = any(c.is_discrete for c in self.cseq)
        self.event_dim = max(c.event_dim for c in self.cseq)

    def check(self, value):
        starts = np.cumsum([0] + self.lengths[:-1])
        return _ops.cat([c.check(value.narrow(self.dim, int(start), length))
                    for c, start, length in zip(self.cseq, starts, self.lengths, strict=True)], self.dim)


class _Stack(Constraint):
    """``cseq[i]`` on the i-th slice ``value.select(dim, i)``."""

    def __init__(self, cseq, dim=0):
        self.cseq, self.dim = list(cseq), dim
        self.is_discrete = any(c.is_discrete for c in self.cseq)
        inner = max(c.event_dim for c in self.cseq)
        self.event_dim = inner + 1 if dim - inner < 0 else inner

    def check(self, value):
        size = value.shape[self.dim]
        if size != len(self.cseq):
            raise ValueError(f"stack: dimension {self.dim} has size {size}, expected {len(self.cseq)}")
        return _ops.stack([c.check(value.select(self.dim, i)) for i, c in enumerate(self.cseq)], self.dim)


lower_cholesky = _LowerCholesky()
corr_cholesky = _CorrCholesky()
cat = _Cat
stack = _Stack
positive_definite = _PositiveDefinite()
