"""Activation primitives and the numerically stable softmax family.

ReLU, sigmoid and tanh could be composed, but each is one line forward and one line
backward as a primitive, and an MLP calls them on every layer: a primitive saves the
intermediate arrays a composition would allocate.
"""

import math

from glassnet._backend import namespace
from glassnet.autograd._function import Function
from glassnet.ops._convert import normalize_dims

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax"]


class ReLU(Function):
    formula = "y = max(x, 0)"
    grad_formulas = ("dx = dy · [x > 0]",)

    def forward(self, x):
        self.mask = x > 0
        return namespace(x).maximum(x, 0)

    def backward(self, g):
        # dtype=g's: the float loop (bool mask cast to 0/1) without a mixed-type lookup
        return namespace(g).multiply(g, self.mask, dtype=g.dtype)


class LeakyReLU(Function):
    formula = "y = x if x > 0 else a·x"
    grad_formulas = ("dx = dy if x > 0 else a·dy",)

    def forward(self, x, negative_slope):
        xp = namespace(x)
        self.mask = x > 0
        self.slope = negative_slope
        return xp.where(self.mask, x, x * negative_slope)

    def backward(self, g):
        return namespace(g).where(self.mask, g, g * self.slope)


class Sigmoid(Function):
    formula = "y = 1 / (1 + exp(-x))"
    grad_formulas = ("dx = dy · y · (1 - y)",)

    def forward(self, x):
        xp = namespace(x)
        # exp of a non-positive number only: no overflow for large |x|
        e = xp.exp(-xp.abs(x))
        self.y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)


class Tanh(Function):
    formula = "y = tanh(x)"
    grad_formulas = ("dx = dy · (1 - y²)",)

    def forward(self, x):
        self.y = namespace(x).tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class GELU(Function):
    """Exact GELU ``x·Φ(x)`` (Φ the normal CDF), or its tanh approximation."""

    formula = "y = x · Φ(x)"
    grad_formulas = ("dx = dy · (Φ(x) + x · φ(x))",)

    def forward(self, x, approximate):
        xp = namespace(x)
        self.x = x
        if approximate == "tanh":
            self.inner = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self.inner)
        self.cdf = 0.5 * (1 + erf(x * _INV_SQRT_2))
        return x * self.cdf

    def backward(self, g):
        xp = namespace(g)
        x = self.x
        if self.params["approximate"] == "tanh":
            t = self.inner
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return g * (self.cdf + x * pdf)


def erf(x):
    """The error function, elementwise, from SciPy (CuPy on a GPU) when installed."""
    xp = namespace(x)
    if xp.__name__ == "cupy":
        from cupyx.scipy.special import erf as cupy_erf

        return cupy_erf(x)
    try:
        from scipy.special import erf as scipy_erf
    except ImportError:
        return xp.vectorize(math.erf, otypes=[x.dtype])(x)
    return scipy_erf(x).astype(x.dtype, copy=False)


class Softmax(Function):
    """Fused primitive: composing exp/sum/div would keep three arrays for backward and
    lose stability; here ``y = exp(x - max x) / Σ exp(x - max x)`` and one formula back."""

    formula = "y_i = exp(x_i) / Σ_j exp(x_j)"
    grad_formulas = ("dx = y · (dy - Σ_j dy_j·y_j)",)

    def forward(self, x, axis):
        xp = namespace(x)
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        self.y = e / e.sum(axis=axis, keepdims=True)
        return self.y

    def backward(self, g):
        y = self.y
        return y * (g - (g * y).sum(axis=self.params["axis"], keepdims=True))


class LogSoftmax(Function):
    """Fused and stable: ``y = x - max x - log Σ exp(x - max x)``."""

    formula = "y_i = x_i - log Σ_j exp(x_j)"
    grad_formulas = ("dx = dy - softmax(x) · Σ_j dy_j",)

    def forward(self, x, axis):
        xp = namespace(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        self.y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        return self.y

    def backward(self, g):
        xp = namespace(g)
        return g - xp.exp(self.y) * g.sum(axis=self.params["axis"], keepdims=True)


def relu(x):
    """``max(x, 0)`` elementwise."""
    return ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01):
    """``x`` for positive entries, ``negative_slope·x`` otherwise."""
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def sigmoid(x):
    """``1 / (1 + e^-x)`` elementwise, stable for large |x|."""
    return Sigmoid.apply(x)


def tanh(x):
    """Hyperbolic tangent elementwise."""
    return Tanh.apply(x)


def gelu(x, approximate="none"):
    """Gaussian error linear unit; ``approximate="tanh"`` for the tanh formula."""
    return GELU.apply(x, approximate=approximate)


def softmax(x, dim=-1):
    """Probabilities along ``dim``: ``exp(x_i) / Σ_j exp(x_j)``, computed stably."""
    return Softmax.apply(x, axis=_one_axis(dim, x.ndim, "softmax"))


def log_softmax(x, dim=-1):
    """``log(softmax(x))`` along ``dim``, computed without overflow."""
    return LogSoftmax.apply(x, axis=_one_axis(dim, x.ndim, "log_softmax"))


def _one_axis(dim, ndim, op_name):
    return None if ndim == 0 else normalize_dims(dim, ndim, op_name)[0]
