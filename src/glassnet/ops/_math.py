"""Elementwise math beyond arithmetic: logs and exponentials near 0, erf, softplus, the
rounding family, and compositions (reciprocal, rsqrt, square, frac).

Each primitive keeps what its gradient needs (its input ``x`` or output ``y``) and
returns ``dy`` times the derivative. Integer inputs convert to the default float dtype
first, as in PyTorch (``gn.log1p(int_tensor)`` is float32); the rounding family keeps
integers as they are.
"""

import math

from glassnet._backend import namespace
from glassnet._special import erf as _erf
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._activation import sigmoid
from glassnet.ops._convert import floating, write_out
from glassnet.ops._elementwise import _quiet, add, constant, div, exp, mul, neg, pow, where

__all__ = ["log1p", "expm1", "log2", "log10", "erf", "softplus", "sign", "floor", "ceil", "round",
           "trunc", "frac", "reciprocal", "rsqrt", "square"]

_LN2, _LN10, _TWO_OVER_SQRT_PI = math.log(2), math.log(10), 2 / math.sqrt(math.pi)


class Log1p(Function):
    formula = "y = log(1 + x)"
    grad_formulas = ("dx = dy / (1 + x)",)

    def forward(self, x):
        self.x = x
        with _quiet(namespace(x)):
            return namespace(x).log1p(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return g / (1 + self.x)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        with _quiet(namespace(x.array)):
            return div(g, add(x, 1.0))


class Expm1(Function):
    formula = "y = exp(x) - 1"
    grad_formulas = ("dx = dy · (y + 1)",)

    def forward(self, x):
        self.y = namespace(x).expm1(x)
        return self.y

    def backward(self, g):
        return g * (self.y + 1)

    def differentiable_backward(self, g, out):
        return mul(g, add(out, 1.0))


class Log2(Function):
    formula = "y = log₂ x"
    grad_formulas = ("dx = dy / (x · ln 2)",)

    def forward(self, x):
        self.x = x
        with _quiet(namespace(x)):
            return namespace(x).log2(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return g / (self.x * _LN2)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        with _quiet(namespace(x.array)):
            return div(g, mul(x, _LN2))


class Log10(Function):
    formula = "y = log₁₀ x"
    grad_formulas = ("dx = dy / (x · ln 10)",)

    def forward(self, x):
        self.x = x
        with _quiet(namespace(x)):
            return namespace(x).log10(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return g / (self.x * _LN10)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        with _quiet(namespace(x.array)):
            return div(g, mul(x, _LN10))


class Erf(Function):
    formula = "y = erf(x) = (2/√π) ∫₀ˣ exp(-t²) dt"
    grad_formulas = ("dx = dy · (2/√π) · exp(-x²)",)

    def forward(self, x):
        self.x = x
        return _erf(x)

    def backward(self, g):
        return g * (_TWO_OVER_SQRT_PI * namespace(g).exp(-self.x * self.x))

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        return mul(g, mul(exp(neg(mul(x, x))), _TWO_OVER_SQRT_PI))


class Softplus(Function):
    """PyTorch's softplus: for ``β·x > threshold`` the output is ``x`` itself (where
    ``log(1 + e^{βx})`` and ``x`` agree to the last bit)."""

    formula = "y = log(1 + exp(β·x)) / β   (y = x where β·x > threshold)"
    grad_formulas = ("dx = dy · σ(β·x)   (dy where β·x > threshold)",)

    def forward(self, x, beta, threshold):
        xp = namespace(x)
        self.bx = bx = x * beta
        soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
        return xp.where(bx > threshold, x, soft)

    def backward(self, g):
        xp = namespace(g)
        bx = self.bx
        e = xp.exp(-xp.abs(bx))
        sigma = xp.where(bx >= 0, 1 / (1 + e), e / (1 + e))
        return g * xp.where(bx > self.params["threshold"], 1, sigma)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        p = self.params
        slope = sigmoid(mul(x, p['beta']))
        return mul(g, where(constant(self.bx > p['threshold']), 1.0, slope))


class _Step:
    """Mixed into piecewise-constant primitives: the gradient is 0 wherever it is defined
    (PyTorch returns 0 at the jumps too)."""

    grad_formulas = ("dx = 0",)

    def backward(self, g):
        return namespace(g).zeros_like(g)

    def differentiable_backward(self, g, out):
        return mul(g, 0.0)


class Sign(_Step, Function):
    formula = "y = sign(x) ∈ {-1, 0, 1}"

    def forward(self, x):
        return namespace(x).sign(x)


class Floor(_Step, Function):
    formula = "y = ⌊x⌋"

    def forward(self, x):
        return namespace(x).floor(x)


class Ceil(_Step, Function):
    formula = "y = ⌈x⌉"

    def forward(self, x):
        return namespace(x).ceil(x)


class Round(_Step, Function):
    """Halves round to the even neighbour (2.5 → 2), as in PyTorch and NumPy."""

    formula = "y = x rounded to `decimals` decimals (halves to even)"

    def forward(self, x, decimals):
        return namespace(x).round(x, decimals)


class Trunc(_Step, Function):
    formula = "y = x with its fractional part dropped (towards 0)"

    def forward(self, x):
        return namespace(x).trunc(x)


def log1p(x, *, out=None):
    """``log(1 + x)``, accurate for small ``x``."""
    return write_out(Log1p.apply(floating(x, "log1p")), out, "log1p")


def expm1(x, *, out=None):
    """``exp(x) - 1``, accurate for small ``x``."""
    return write_out(Expm1.apply(floating(x, "expm1")), out, "expm1")


def log2(x, *, out=None):
    """Base-2 logarithm."""
    return write_out(Log2.apply(floating(x, "log2")), out, "log2")


def log10(x, *, out=None):
    """Base-10 logarithm."""
    return write_out(Log10.apply(floating(x, "log10")), out, "log10")


def erf(x, *, out=None):
    """The error function."""
    return write_out(Erf.apply(floating(x, "erf")), out, "erf")


def softplus(x, beta=1.0, threshold=20.0):
    """``log(1 + exp(β·x)) / β``, linear above ``threshold`` (PyTorch's ``F.softplus``)."""
    return Softplus.apply(floating(x, "softplus"), beta=beta, threshold=threshold)


def _step(cls, x, name, out, **params):
    if not isinstance(x, Tensor):
        floating(x, name)  # the error for a non-tensor
    if x.array.dtype.kind != "f":  # integers are already whole: PyTorch returns a copy (or their sign)
        values = namespace(x.array).sign(x.array) if cls is Sign else x.array.copy()
        return write_out(Tensor._wrap(values, False, None), out, name)
    return write_out(cls.apply(x, **params), out, name)


def sign(x, *, out=None):
    """-1, 0 or 1 by the sign of each element (gradient 0)."""
    return _step(Sign, x, "sign", out)


def floor(x, *, out=None):
    """Largest integer ≤ x (gradient 0)."""
    return _step(Floor, x, "floor", out)


def ceil(x, *, out=None):
    """Smallest integer ≥ x (gradient 0)."""
    return _step(Ceil, x, "ceil", out)


def round(x, decimals=0, *, out=None):  # noqa: A001  (PyTorch's name)
    """Round to ``decimals`` decimals, halves to even (gradient 0)."""
    return _step(Round, x, "round", out, decimals=decimals)


def trunc(x, *, out=None):
    """Round towards 0 (gradient 0)."""
    return _step(Trunc, x, "trunc", out)


def frac(x, *, out=None):
    """The fractional part ``x - trunc(x)`` (gradient 1), composed."""
    return write_out(x - trunc(x), out, "frac")


def reciprocal(x, *, out=None):
    """``1 / x`` (composed from :func:`~glassnet.ops.div`; integers give floats)."""
    return write_out(div(1.0, floating(x, "reciprocal")), out, "reciprocal")


def rsqrt(x, *, out=None):
    """``1 / √x`` (composed: ``x ** -0.5``)."""
    return write_out(pow(floating(x, "rsqrt"), -0.5), out, "rsqrt")


def square(x, *, out=None):
    """``x²`` (composed: ``x ** 2``; integers stay integers)."""
    return write_out(pow(x, 2), out, "square")
