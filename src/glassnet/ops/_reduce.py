"""Reductions: sum, mean, max/min, logsumexp, var (and std composed from var).

Every reduction takes ``dim`` (None for all axes, an int, or a tuple) and ``keepdim``
like PyTorch. Backward spreads the output gradient back over the reduced axes.
"""

import builtins
import math
from collections import namedtuple

from glassnet._backend import get_default_dtype, namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import normalize_dims
from glassnet.ops._elementwise import _quiet, abs, constant, div, exp, maximum, minimum, mul, pow, sub, where
from glassnet.ops._shape import getitem, squeeze

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "logsumexp",
           "var", "std", "norm"]

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _spread(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    xp = namespace(g)
    if not keepdim:
        g = xp.expand_dims(g, axes) if axes is not None else g.reshape((1,) * len(shape))
    return xp.broadcast_to(g, shape)


def _spread_tensor(g, shape, axes, keepdim):
    """:func:`_spread` with Tensor ops (for a differentiable backward)."""
    if not keepdim:
        g = g.reshape(tuple(1 if axes is None or i in axes else s for i, s in enumerate(shape)))
    return g.expand(shape)


def _count(shape, axes):
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


class Sum(Function):
    formula = "y = Σ x  (over dim)"
    grad_formulas = ("dx = dy  (copied to every summed position)",)

    linear = True

    def forward(self, x, axes, keepdim):
        self.shape = x.shape
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, g):
        return _spread(g, self.shape, self.params["axes"], self.params["keepdim"])


class Mean(Function):
    formula = "y = (1/n) Σ x  (over dim)"
    grad_formulas = ("dx = dy / n",)
    linear = True

    def forward(self, x, axes, keepdim):
        self.shape = x.shape
        if x.size == 0 and _count(x.shape, axes) == 0:  # empty slices: 0/0 = NaN, no warning
            with _quiet(namespace(x)):
                return x.sum(axis=axes, keepdims=keepdim) / x.dtype.type(0)
        return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, g):
        p = self.params
        n = builtins.max(_count(self.shape, p["axes"]), 1)  # n = 0: the input, so dx, is empty
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

    def differentiable_backward(self, g, out):
        share = self.backward(namespace(g.array).ones(out.shape, dtype=g.dtype))
        spread = _spread_tensor(g, self.y.shape, self.params["axes"], self.params["keepdim"])
        return mul(spread, constant(share))


class Min(Max):
    formula = "y = min x  (over dim)"
    grad_formulas = ("dx = dy · [x = y] / (number of minima)",)
    reducer = "min"


def _dropped(shape, axes):
    return tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes)


def _shift(xp, x, axes):
    """The max over ``axes`` (kept), replaced by 0 where it is not finite (an all -inf
    slice then gives -inf, not NaN) and for an empty input (whose sums are 0)."""
    if x.size == 0:
        kept = tuple(1 if axes is None or i in axes else s for i, s in enumerate(x.shape))
        return xp.zeros(kept, dtype=x.dtype)
    m = x.max(axis=axes, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


class LogSumExp(Function):
    formula = "y = log Σ exp(x)  (over dim)"
    grad_formulas = ("dx = dy · exp(x - y)",)

    def forward(self, x, axes, keepdim):
        xp = namespace(x)
        m = _shift(xp, x, axes)
        self.x = x
        with _quiet(xp):
            self.y = m + xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True))
        return self.y if keepdim else self.y.reshape(_dropped(x.shape, axes))

    def backward(self, g):
        xp = namespace(g)
        p = self.params
        g = _spread(g, self.y.shape, p["axes"], p["keepdim"])
        return g * xp.exp(self.x - self.y)

    def differentiable_backward(self, g, out):
        axes, keepdim = self.params["axes"], self.params["keepdim"]
        shape = self.x.shape
        spread_y = _spread_tensor(out, shape, axes, keepdim)
        return mul(_spread_tensor(g, shape, axes, keepdim), exp(sub(self.inputs[0], spread_y)))


class Var(Function):
    """``correction=1`` (the default, as in PyTorch) divides by n - 1. With no degrees of
    freedom left (n ≤ correction) the divisor is 0, as in PyTorch: the variance is inf,
    or NaN when every value is equal (0/0)."""

    formula = "y = Σ (x - mean x)² / max(n - correction, 0)"
    grad_formulas = ("dx = dy · 2 (x - mean x) / max(n - correction, 0)",)

    def forward(self, x, axes, correction, keepdim):
        xp = namespace(x)
        self.centered = x - x.mean(axis=axes, keepdims=True) if x.size else x
        self.denom = builtins.max(_count(x.shape, axes) - correction, 0)
        with _quiet(xp):
            return (self.centered**2).sum(axis=axes, keepdims=keepdim) / self.denom

    def backward(self, g):
        p = self.params
        g = _spread(g, self.centered.shape, p["axes"], p["keepdim"])
        with _quiet(namespace(g)):
            return g * (2 / self.denom if self.denom else math.inf) * self.centered

    def differentiable_backward(self, g, out):
        g = _spread_tensor(g, self.centered.shape, self.params["axes"], self.params["keepdim"])
        return mul(g, self._centered_tensor(2 / self.denom if self.denom else math.inf))

    def _centered_tensor(self, scale):
        """``scale · (x - mean x)`` with Tensor ops."""
        x, axes = self.inputs[0], self.params["axes"]
        with _quiet(namespace(x.array)):
            return mul(sub(x, mean(x, axes, True)), scale)


class Std(Var):
    """A primitive rather than ``sqrt(var)``: where the standard deviation is 0 (all values
    equal) its gradient is 0, as in PyTorch; through sqrt it would be ``0 · ∞ = NaN``."""

    formula = "y = √(Σ (x - mean x)² / max(n - correction, 0))"
    grad_formulas = ("dx = dy · (x - mean x) / (max(n - correction, 0) · y)   (0 where y = 0)",)

    def forward(self, x, axes, correction, keepdim):
        xp = namespace(x)
        var = super().forward(x, axes, correction, keepdim)
        with _quiet(xp):
            self.y = xp.sqrt(var)
        return self.y

    def backward(self, g):
        xp = namespace(g)
        with _quiet(xp):
            half = xp.where(self.y == 0, 0, g / (2 * self.y))
        return super().backward(half.astype(g.dtype, copy=False))

    def differentiable_backward(self, g, out):
        axes, keepdim = self.params["axes"], self.params["keepdim"]
        shape = self.centered.shape
        y = _spread_tensor(out, shape, axes, keepdim)
        zero = constant(_spread(self.y == 0, shape, axes, keepdim))
        with _quiet(namespace(g.array)):
            scaled = div(_spread_tensor(g, shape, axes, keepdim), y)
            centred = self._centered_tensor(1 / self.denom if self.denom else math.inf)
            return where(zero, 0.0, mul(scaled, centred))


class Norm(Function):
    """The p-norm for a finite ``p > 0``. Where the norm is 0 (all elements 0) the gradient
    is 0, as in PyTorch (the formula would divide 0 by 0)."""

    formula = "y = (Σ |x|^p)^(1/p)  (over dim)"
    grad_formulas = ("dx = dy · sign(x) · |x|^(p-1) / y^(p-1)   (0 where y = 0)",)

    def forward(self, x, p, axes, keepdim):
        xp = namespace(x)
        self.x = x
        if p == 2:
            y = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        elif p == 1:
            y = xp.abs(x).sum(axis=axes, keepdims=True)
        else:
            y = (xp.abs(x) ** p).sum(axis=axes, keepdims=True) ** (1 / p)
        self.y = y
        return y if keepdim else y.reshape(_dropped(x.shape, axes))

    def backward(self, g):
        xp, p = namespace(g), self.params["p"]
        g = _spread(g, self.y.shape, self.params["axes"], self.params["keepdim"])
        x, y = self.x, self.y
        if p == 1:
            return g * xp.sign(x)
        with _quiet(xp):
            scale = x / y if p == 2 else xp.sign(x) * (xp.abs(x) / y) ** (p - 1)
        return g * xp.where(y == 0, 0, scale)

    def differentiable_backward(self, g, out):
        p, axes, keepdim = self.params["p"], self.params["axes"], self.params["keepdim"]
        x, shape = self.inputs[0], self.x.shape
        g = _spread_tensor(g, shape, axes, keepdim)
        sign = constant(namespace(self.x).sign(self.x))
        if p == 1:
            return mul(g, sign)
        y = _spread_tensor(out, shape, axes, keepdim)
        with _quiet(namespace(self.x)):
            scale = div(x, y) if p == 2 else mul(sign, pow(div(abs(x), y), p - 1))
            return where(constant(_spread(self.y == 0, shape, axes, True)), 0.0, mul(g, scale))


def _reduce(cls, x, dim, keepdim, name, **extra):
    return cls.apply(x, axes=_reduced_axes(dim, x.ndim, name), keepdim=keepdim, **extra)


def _reduced_axes(dim, ndim, name):
    """``dim`` as the axes to reduce: None (all) for ``dim=None``, ``dim=()`` (PyTorch reduces
    everything there) and a 0-d tensor (where dim 0 or -1 names its one element)."""
    axes = normalize_dims(dim, ndim, name)
    return None if axes == () or ndim == 0 else axes


def sum(x, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    """Sum over ``dim`` (all axes when None), in ``dtype`` when given."""
    return _reduce(Sum, x if dtype is None else x.astype(dtype), dim, keepdim, "sum")


def mean(x, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim`` (all axes when None), in ``dtype`` when given. An integer
    tensor needs a floating ``dtype``, as in PyTorch."""
    if dtype is not None:
        x = x.astype(dtype)
    if x.array.dtype.kind != "f":
        raise GlassnetTypeError(f"mean: the input has dtype {x.dtype}; the mean needs a floating dtype "
                                "(x.float().mean(), or mean(dtype=gn.float32)), as PyTorch asks")
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
        xp = namespace(x.array)
        return Tensor._wrap(xp.asarray(getattr(x.array, name)()), False, None)
    (axis,) = normalize_dims(dim, x.ndim, name)
    return Tensor._wrap(getattr(x.array, name)(axis=axis, keepdims=keepdim), False, None)


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
    if x.ndim == 0:  # dim 0 of a 0-d tensor: its one element, at index 0
        return MaxResult(getitem(x, ()), indices if keepdim else squeeze(indices))
    xp = namespace(x.array)
    grids = list(xp.ogrid[tuple(slice(n) for n in indices.shape)])
    grids[axis] = indices.array
    values = getitem(x, tuple(grids))
    if not keepdim:
        values, indices = squeeze(values, axis), squeeze(indices, axis)
    return MaxResult(values, indices)


def logsumexp(x, dim=None, keepdim=False):
    """``log Σ exp(x)`` over ``dim``, without overflow; integer and bool inputs in the default float
    dtype (PyTorch's rule)."""
    if x.array.dtype.kind in "biu":
        x = x.astype(get_default_dtype())
    return _reduce(LogSumExp, x, dim, keepdim, "logsumexp")


def _floating(x, name):
    if x.array.dtype.kind != "f":
        raise GlassnetTypeError(f"{name}: the input must be floating, got dtype {x.dtype}; convert first "
                                "(x.float() or x.double()), as PyTorch asks")


def var(x, dim=None, correction=1, keepdim=False, *, unbiased=None):
    """Variance over ``dim``, dividing by ``n - correction`` (1: unbiased, as PyTorch).
    PyTorch's older ``unbiased=True/False`` is ``correction=1/0``; a bool in ``dim``'s place
    (``x.var(False)``) is ``unbiased`` too, as PyTorch reads it."""
    _floating(x, "var")
    dim, correction = _legacy_unbiased(dim, correction, unbiased)
    return _reduce(Var, x, dim, keepdim, "var", correction=correction)


def std(x, dim=None, correction=1, keepdim=False, *, unbiased=None):
    """Standard deviation ``√var(x)`` over ``dim`` (the :class:`Std` primitive); ``unbiased``
    as in :func:`var`."""
    _floating(x, "std")
    dim, correction = _legacy_unbiased(dim, correction, unbiased)
    return _reduce(Std, x, dim, keepdim, "std", correction=correction)


def _legacy_unbiased(dim, correction, unbiased):
    if isinstance(dim, bool):  # var(input, unbiased): PyTorch's older overload
        dim, unbiased = None, dim
    if unbiased is not None:
        correction = 1 if unbiased else 0
    return dim, correction


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """PyTorch's ``norm``: the 2-norm (``"fro"``) of all elements, or over ``dim``; any
    finite ``p > 0`` (the :class:`Norm` primitive), ``inf`` (largest ``|x|``), ``-inf``
    (smallest) and ``0`` (how many are nonzero); ``"nuc"``: the nuclear norm ``Σ σ_i`` of the
    matrix over the two axes ``dim`` (all of a 2-D input when None), as ``linalg.matrix_norm``."""
    if dtype is not None:
        x = x.astype(dtype)
    if x.array.dtype.kind != "f":
        raise GlassnetTypeError(f"norm: the input must be floating, got dtype {x.dtype}; convert first "
                                "(x.float() or x.double()), as PyTorch asks")
    if p == "nuc":
        return _nuclear_norm(x, dim, keepdim)
    if p in ("fro", None):
        p = 2
    if isinstance(p, str):
        raise GlassnetValueError(f"norm: p={p!r} is not available; use p='fro' (2), 'nuc', a number, or inf")
    if p == math.inf:
        return amax(abs(x), dim, keepdim)
    if p == -math.inf:
        return amin(abs(x), dim, keepdim)
    if p == 0:
        return sum(x != 0, dim, keepdim).astype(x.dtype)
    if p < 0:
        raise GlassnetValueError(f"norm: p must be positive (or 0, inf, -inf), got {p}")
    return _reduce(Norm, x, dim, keepdim, "norm", p=p)


def _nuclear_norm(x, dim, keepdim):
    from glassnet.ops._linalg_norms import matrix_norm  # it builds on norm, defined here

    dims = tuple(range(x.ndim)) if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
    if x.ndim < 2:
        raise GlassnetValueError(f"norm: p='nuc' is the norm of matrices; the input must have at least 2 "
                                 f"dimensions, got shape {tuple(x.shape)}")
    if len(dims) != 2:
        raise GlassnetValueError(f"norm: p='nuc' is the norm of matrices: dim must be two axes, got "
                                 f"dim={dim!r} "
                                 f"for an input of shape {tuple(x.shape)} (pass dim=(-2, -1) for a batch)")
    return matrix_norm(x, "nuc", dims, keepdim)
