"""Reductions: sum, mean, max/min, logsumexp, var (and std composed from var).

Every reduction takes ``dim`` (None for all axes, an int, or a tuple) and ``keepdim``
like PyTorch. Backward spreads the output gradient back over the reduced axes.
"""

import math
from collections import namedtuple

from glassnet._backend import namespace
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import normalize_dims
from glassnet.ops._elementwise import _quiet, maximum, minimum, sqrt
from glassnet.ops._shape import getitem, squeeze

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "logsumexp",
           "var", "std"]

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _spread(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    xp = namespace(g)
    if not keepdim:
        g = xp.expand_dims(g, axes) if axes is not None else g.reshape((1,) * len(shape))
    return xp.broadcast_to(g, shape)


def _count(shape, axes):
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


class Sum(Function):
    formula = "y = Σ x  (over dim)"
    grad_formulas = ("dx = dy  (copied to every summed position)",)

    def forward(self, x, axes, keepdim):
        self.shape = x.shape
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, g):
        return _spread(g, self.shape, self.params["axes"], self.params["keepdim"])


class Mean(Function):
    formula = "y = (1/n) Σ x  (over dim)"
    grad_formulas = ("dx = dy / n",)

    def forward(self, x, axes, keepdim):
        self.shape = x.shape
        return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, g):
        p = self.params
        n = _count(self.shape, p["axes"])
        return _spread(g / n, self.shape, p["axes"], p["keepdim"])


class Max(Function):
    """Ties share the gradient equally (PyTorch's ``amax`` rule)."""

    formula = "y = max x  (over dim)"
    grad_formulas = ("dx = dy · [x = y] / (number of maxima)",)
    reducer = "max"

    def forward(self, x, axes, keepdim):
        self.x = x
        self.y = getattr(x, self.reducer)(axis=axes, keepdims=True)
        return self.y if keepdim else self.y.reshape(_dropped(x.shape, axes))

    def backward(self, g):
        axes = self.params["axes"]
        hit = self.x == self.y
        g = _spread(g, self.y.shape, axes, self.params["keepdim"])
        return g * hit / hit.sum(axis=axes, keepdims=True).astype(g.dtype)


class Min(Max):
    formula = "y = min x  (over dim)"
    grad_formulas = ("dx = dy · [x = y] / (number of minima)",)
    reducer = "min"


def _dropped(shape, axes):
    return tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes)


class LogSumExp(Function):
    formula = "y = log Σ exp(x)  (over dim)"
    grad_formulas = ("dx = dy · exp(x - y)",)

    def forward(self, x, axes, keepdim):
        xp = namespace(x)
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # an all -inf slice gives -inf, not NaN
        self.x = x
        with _quiet(xp):
            self.y = m + xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True))
        return self.y if keepdim else self.y.reshape(_dropped(x.shape, axes))

    def backward(self, g):
        xp = namespace(g)
        p = self.params
        g = _spread(g, self.y.shape, p["axes"], p["keepdim"])
        return g * xp.exp(self.x - self.y)


class Var(Function):
    """``correction=1`` (the default, as in PyTorch) divides by n - 1. With no degrees of
    freedom left (n ≤ correction) the variance and its gradient are NaN, as in PyTorch."""

    formula = "y = Σ (x - mean x)² / (n - correction)"
    grad_formulas = ("dx = dy · 2 (x - mean x) / (n - correction)",)

    def forward(self, x, axes, correction, keepdim):
        self.centered = x - x.mean(axis=axes, keepdims=True)
        denom = _count(x.shape, axes) - correction
        self.denom = denom if denom > 0 else math.nan
        return (self.centered**2).sum(axis=axes, keepdims=keepdim) / self.denom

    def backward(self, g):
        p = self.params
        g = _spread(g, self.centered.shape, p["axes"], p["keepdim"])
        return g * (2 / self.denom) * self.centered


def _reduce(cls, x, dim, keepdim, name, **extra):
    return cls.apply(x, axes=normalize_dims(dim, x.ndim, name), keepdim=keepdim, **extra)


def sum(x, dim=None, keepdim=False):  # noqa: A001
    """Sum over ``dim`` (all axes when None)."""
    return _reduce(Sum, x, dim, keepdim, "sum")


def mean(x, dim=None, keepdim=False):
    """Arithmetic mean over ``dim`` (all axes when None)."""
    return _reduce(Mean, x, dim, keepdim, "mean")


def amax(x, dim=None, keepdim=False):
    """Largest value over ``dim``."""
    return _reduce(Max, x, dim, keepdim, "amax")


def amin(x, dim=None, keepdim=False):
    """Smallest value over ``dim``."""
    return _reduce(Min, x, dim, keepdim, "amin")


def argmax(x, dim=None, keepdim=False):
    """Index of the largest value along ``dim`` (flattened when None); int64, no grad."""
    return _arg(x, dim, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False):
    """Index of the smallest value along ``dim`` (flattened when None); int64, no grad."""
    return _arg(x, dim, keepdim, "argmin")


def _arg(x, dim, keepdim, name):
    if dim is None:
        xp = namespace(x.data)
        return Tensor._wrap(xp.asarray(getattr(x.data, name)()), False, None)
    (axis,) = normalize_dims(dim, x.ndim, name)
    return Tensor._wrap(getattr(x.data, name)(axis=axis, keepdims=keepdim), False, None)


def max(x, dim=None, keepdim=False):  # noqa: A001
    """PyTorch's ``max``: the largest value overall; with ``dim``, ``(values, indices)``;
    with a tensor as second argument, the elementwise :func:`maximum`."""
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    if dim is None:
        return amax(x)
    return _at_index(x, argmax(x, dim, keepdim=True), dim, keepdim)


def min(x, dim=None, keepdim=False):  # noqa: A001
    """PyTorch's ``min``: see :func:`max`."""
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    if dim is None:
        return amin(x)
    return _at_index(x, argmin(x, dim, keepdim=True), dim, keepdim)


def _at_index(x, indices, dim, keepdim):
    """``(values, indices)`` with values picked at ``indices`` along ``dim``, so that the
    gradient goes to that one position even when several elements tie (PyTorch's rule
    for ``max(dim)``; ``amax`` shares it among ties instead)."""
    (axis,) = normalize_dims(dim, x.ndim, "max")
    xp = namespace(x.data)
    grids = list(xp.ogrid[tuple(slice(n) for n in indices.shape)])
    grids[axis] = indices.data
    values = getitem(x, tuple(grids))
    if not keepdim:
        values, indices = squeeze(values, axis), squeeze(indices, axis)
    return MaxResult(values, indices)


def logsumexp(x, dim=None, keepdim=False):
    """``log Σ exp(x)`` over ``dim``, without overflow."""
    return _reduce(LogSumExp, x, dim, keepdim, "logsumexp")


def var(x, dim=None, correction=1, keepdim=False):
    """Variance over ``dim``, dividing by ``n - correction`` (1: unbiased, as PyTorch)."""
    return _reduce(Var, x, dim, keepdim, "var", correction=correction)


def std(x, dim=None, correction=1, keepdim=False):
    """Standard deviation: ``sqrt(var(x))``, composed."""
    return sqrt(var(x, dim, correction=correction, keepdim=keepdim))
