"""Trigonometric and hyperbolic functions and their inverses, elementwise.

Each is a primitive: forward is the NumPy function, backward the derivative written in
``grad_formulas``, from the input ``x`` (or the output ``y`` where that is cheaper).
Outside a function's domain (``asin(2)``) the result is NaN without a NumPy warning, as
in PyTorch. Integer inputs convert to the default float dtype.
"""

from glassnet._backend import namespace
from glassnet.autograd._function import Function
from glassnet.ops._convert import floating, pair, write_out
from glassnet.ops._elementwise import _quiet, add, div, mul, neg, sqrt, sub

__all__ = ["sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh"]


class Sin(Function):
    formula = "y = sin x"
    grad_formulas = ("dx = dy · cos x",)

    def forward(self, x):
        self.x = x
        return namespace(x).sin(x)

    def backward(self, g):
        return g * namespace(g).cos(self.x)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        return mul(g, cos(x))


class Cos(Function):
    formula = "y = cos x"
    grad_formulas = ("dx = -dy · sin x",)

    def forward(self, x):
        self.x = x
        return namespace(x).cos(x)

    def backward(self, g):
        return -g * namespace(g).sin(self.x)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        return neg(mul(g, sin(x)))


class Tan(Function):
    formula = "y = tan x"
    grad_formulas = ("dx = dy · (1 + y²)",)

    def forward(self, x):
        self.y = namespace(x).tan(x)
        return self.y

    def backward(self, g):
        return g * (1 + self.y * self.y)

    def differentiable_backward(self, g, out):
        return mul(g, add(mul(out, out), 1.0))


class Asin(Function):
    formula = "y = arcsin x"
    grad_formulas = ("dx = dy / √(1 - x²)",)

    def forward(self, x):
        self.x = x
        with _quiet(namespace(x)):
            return namespace(x).arcsin(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return g / namespace(g).sqrt(1 - self.x * self.x)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        with _quiet(namespace(x.array)):
            return div(g, sqrt(sub(1.0, mul(x, x))))


class Acos(Function):
    formula = "y = arccos x"
    grad_formulas = ("dx = -dy / √(1 - x²)",)

    def forward(self, x):
        self.x = x
        with _quiet(namespace(x)):
            return namespace(x).arccos(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return -g / namespace(g).sqrt(1 - self.x * self.x)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        with _quiet(namespace(x.array)):
            return neg(div(g, sqrt(sub(1.0, mul(x, x)))))


class Atan(Function):
    formula = "y = arctan x"
    grad_formulas = ("dx = dy / (1 + x²)",)

    def forward(self, x):
        self.x = x
        return namespace(x).arctan(x)

    def backward(self, g):
        return g / (1 + self.x * self.x)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        return div(g, add(mul(x, x), 1.0))


class Atan2(Function):
    formula = "z = atan2(y, x)  (the angle of the point (x, y))"
    grad_formulas = ("dy = dz · x / (x² + y²)", "dx = -dz · y / (x² + y²)")

    def forward(self, y, x):
        self.y, self.x = y, x
        return namespace(x).arctan2(y, x)

    def backward(self, g):
        with _quiet(namespace(g)):
            r2 = self.x * self.x + self.y * self.y
            return g * self.x / r2, -g * self.y / r2

    def differentiable_backward(self, g, out):
        y, x = self.inputs
        with _quiet(namespace(x.array)):
            r2 = add(mul(x, x), mul(y, y))
            return div(mul(g, x), r2), neg(div(mul(g, y), r2))


class Sinh(Function):
    formula = "y = sinh x"
    grad_formulas = ("dx = dy · cosh x",)

    def forward(self, x):
        self.x = x
        return namespace(x).sinh(x)

    def backward(self, g):
        return g * namespace(g).cosh(self.x)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        return mul(g, cosh(x))


class Cosh(Function):
    formula = "y = cosh x"
    grad_formulas = ("dx = dy · sinh x",)

    def forward(self, x):
        self.x = x
        return namespace(x).cosh(x)

    def backward(self, g):
        return g * namespace(g).sinh(self.x)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        return mul(g, sinh(x))


class Asinh(Function):
    formula = "y = arsinh x"
    grad_formulas = ("dx = dy / √(x² + 1)",)

    def forward(self, x):
        self.x = x
        return namespace(x).arcsinh(x)

    def backward(self, g):
        return g / namespace(g).sqrt(self.x * self.x + 1)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        return div(g, sqrt(add(mul(x, x), 1.0)))


class Acosh(Function):
    formula = "y = arcosh x"
    grad_formulas = ("dx = dy / √(x² - 1)",)

    def forward(self, x):
        self.x = x
        with _quiet(namespace(x)):
            return namespace(x).arccosh(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return g / namespace(g).sqrt(self.x * self.x - 1)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        with _quiet(namespace(x.array)):
            return div(g, sqrt(sub(mul(x, x), 1.0)))


class Atanh(Function):
    formula = "y = artanh x"
    grad_formulas = ("dx = dy / (1 - x²)",)

    def forward(self, x):
        self.x = x
        with _quiet(namespace(x)):
            return namespace(x).arctanh(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return g / (1 - self.x * self.x)

    def differentiable_backward(self, g, out):
        x = self.inputs[0]
        with _quiet(namespace(x.array)):
            return div(g, sub(1.0, mul(x, x)))


def sin(x, *, out=None):
    """Sine (radians)."""
    return write_out(Sin.apply(floating(x, "sin")), out, "sin")


def cos(x, *, out=None):
    """Cosine (radians)."""
    return write_out(Cos.apply(floating(x, "cos")), out, "cos")


def tan(x, *, out=None):
    """Tangent (radians)."""
    return write_out(Tan.apply(floating(x, "tan")), out, "tan")


def asin(x, *, out=None):
    """Inverse sine, in [-π/2, π/2]; NaN outside [-1, 1]."""
    return write_out(Asin.apply(floating(x, "asin")), out, "asin")


def acos(x, *, out=None):
    """Inverse cosine, in [0, π]; NaN outside [-1, 1]."""
    return write_out(Acos.apply(floating(x, "acos")), out, "acos")


def atan(x, *, out=None):
    """Inverse tangent, in (-π/2, π/2)."""
    return write_out(Atan.apply(floating(x, "atan")), out, "atan")


def atan2(input, other, *, out=None):  # noqa: A002  (PyTorch's names)
    """The angle of the point ``(other, input)``: ``atan2(y, x)``, in (-π, π]."""
    y, x = pair(input, other)
    return write_out(Atan2.apply(floating(y, "atan2"), floating(x, "atan2")), out, "atan2")


def sinh(x, *, out=None):
    """Hyperbolic sine."""
    return write_out(Sinh.apply(floating(x, "sinh")), out, "sinh")


def cosh(x, *, out=None):
    """Hyperbolic cosine."""
    return write_out(Cosh.apply(floating(x, "cosh")), out, "cosh")


def asinh(x, *, out=None):
    """Inverse hyperbolic sine."""
    return write_out(Asinh.apply(floating(x, "asinh")), out, "asinh")


def acosh(x, *, out=None):
    """Inverse hyperbolic cosine; NaN below 1."""
    return write_out(Acosh.apply(floating(x, "acosh")), out, "acosh")


def atanh(x, *, out=None):
    """Inverse hyperbolic tangent; NaN outside [-1, 1]."""
    return write_out(Atanh.apply(floating(x, "atanh")), out, "atanh")
