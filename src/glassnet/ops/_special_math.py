"""Special functions PyTorch has at the top level: ``erfc``, ``erfinv``, ``lgamma`` and
``digamma``, each a primitive (none composes from the others exactly).

The values come from SciPy (CuPy's ``cupyx.scipy.special`` on a GPU) when installed, and
otherwise from the standard library (``math.erfc``, ``math.lgamma``) or a short series
(``digamma``, ``trigamma``) and Newton's method (``erfinv``), elementwise. Integer inputs
convert to the default float dtype, as in PyTorch.
"""

import math

import numpy as np

from glassnet._backend import namespace
from glassnet._special import erf as _erf
from glassnet.autograd._function import Function
from glassnet.ops._convert import floating, write_out
from glassnet.ops._elementwise import _quiet, exp, mul, neg

__all__ = ["erfc", "erfinv", "lgamma", "digamma"]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2


def _scipy(name, x):
    """``scipy.special.<name>(x)`` in ``x``'s dtype, or None without SciPy."""
    if namespace(x).__name__ == "cupy":
        import cupyx.scipy.special as special

        return getattr(special, name)(x)
    try:
        import scipy.special as special
    except ImportError:
        return None
    return getattr(special, name)(x).astype(x.dtype, copy=False)


def _elementwise(f, x):
    return np.vectorize(f, otypes=[x.dtype])(x) if x.size else x.copy()


def erfc_array(x):
    found = _scipy("erfc", x)
    return found if found is not None else _elementwise(math.erfc, x)


def lgamma_array(x):
    found = _scipy("gammaln", x)
    if found is not None:
        return found
    return _elementwise(lambda v: math.lgamma(v) if v != math.floor(v) or v > 0 else math.inf, x)


def _polygamma_series(x, order):
    """ψ(x) (order 0) or ψ'(x) (order 1): the recurrence moves x above 6, then the asymptotic
    series; x < 0.5 by reflection is left to SciPy (NaN at the poles, as SciPy)."""
    xp = namespace(x)
    x = x.astype(np.float64)
    shift = xp.zeros_like(x)
    with _quiet(xp):
        for _ in range(6):
            small = x < 6
            shift = shift + xp.where(small, 1 / x if order == 0 else 1 / (x * x), 0)
            x = xp.where(small, x + 1, x)
        inv2 = 1 / (x * x)
        if order == 0:
            series = xp.log(x) - 0.5 / x - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 / 252))
            return series - shift
        series = 1 / x + 0.5 * inv2 + (1 / x) * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 / 42))
        return series + shift


def digamma_array(x):
    found = _scipy("digamma", x)
    return found if found is not None else _polygamma_series(x, 0).astype(x.dtype)


def trigamma_array(x):
    if namespace(x).__name__ != "cupy":
        try:
            from scipy.special import polygamma
        except ImportError:
            return _polygamma_series(x, 1).astype(x.dtype)
        return polygamma(1, x).astype(x.dtype, copy=False)
    from cupyx.scipy.special import polygamma

    return polygamma(1, x)


def erfinv_array(x):
    found = _scipy("erfinv", x)
    if found is not None:
        return found
    xp = namespace(x)
    with _quiet(xp):
        w = -xp.log((1 - x) * (1 + x))
        y = xp.sign(x) * xp.sqrt(xp.sqrt((4.33 + w / 2) ** 2 - w / 0.147) - (4.33 + w / 2))
        for _ in range(3):  # Newton on erf(y) = x
            y = y - (_erf(y) - x) / (_TWO_OVER_SQRT_PI * xp.exp(-y * y))
    return xp.where(xp.abs(x) == 1, xp.sign(x) * xp.inf, y).astype(x.dtype)


class Erfc(Function):
    formula = "y = erfc(x) = 1 - erf(x)"
    grad_formulas = ("dx = -dy · (2/√π) · exp(-x²)",)

    def forward(self, x):
        self.x = x
        return erfc_array(x)

    def backward(self, g):
        return -g * (_TWO_OVER_SQRT_PI * namespace(g).exp(-self.x * self.x))

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        return neg(mul(g, mul(exp(neg(mul(x, x))), _TWO_OVER_SQRT_PI)))


class Erfinv(Function):
    formula = "y = erf⁻¹(x)   (erf(y) = x, for -1 < x < 1)"
    grad_formulas = ("dx = dy · (√π/2) · exp(y²)",)

    def forward(self, x):
        with _quiet(namespace(x)):
            self.y = erfinv_array(x)
        return self.y

    def backward(self, g):
        with _quiet(namespace(g)):
            return g * (_SQRT_PI_OVER_2 * namespace(g).exp(self.y * self.y))

    def differentiable_backward(self, g, out):
        return mul(g, mul(exp(mul(out, out)), _SQRT_PI_OVER_2))


class Lgamma(Function):
    formula = "y = log |Γ(x)|"
    grad_formulas = ("dx = dy · ψ(x)   (ψ: digamma)",)

    def forward(self, x):
        self.x = x
        with _quiet(namespace(x)):
            return lgamma_array(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return g * digamma_array(self.x)

    def differentiable_backward(self, g, out):
        return mul(g, Digamma.apply(self.inputs[0]))


class Digamma(Function):
    formula = "y = ψ(x) = d/dx log Γ(x)"
    grad_formulas = ("dx = dy · ψ'(x)   (ψ': trigamma)",)

    def forward(self, x):
        self.x = x
        with _quiet(namespace(x)):
            return digamma_array(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return g * trigamma_array(self.x)


def erfc(x, *, out=None):
    """The complementary error function ``1 - erf(x)``, accurate where it is tiny (x ≫ 1)."""
    return write_out(Erfc.apply(floating(x, "erfc")), out, "erfc")


def erfinv(x, *, out=None):
    """The inverse error function on ``(-1, 1)`` (±inf at ±1, NaN outside)."""
    return write_out(Erfinv.apply(floating(x, "erfinv")), out, "erfinv")


def lgamma(x, *, out=None):
    """``log |Γ(x)|`` (inf at 0 and the negative integers)."""
    return write_out(Lgamma.apply(floating(x, "lgamma")), out, "lgamma")


def digamma(x, *, out=None):
    """ψ(x), the derivative of ``lgamma`` (its own gradient, trigamma, is first order only)."""
    return write_out(Digamma.apply(floating(x, "digamma")), out, "digamma")
