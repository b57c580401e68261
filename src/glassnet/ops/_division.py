"""Division with rounding: the remainder (``%``), C's ``fmod``, floor division (``//``) and
``div(..., rounding_mode=)``.

``x // y`` has no gradient, as in PyTorch, where its backward raises; the remainders are
differentiable almost everywhere (the rounded quotient is piecewise constant).
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import pair, write_out
from glassnet.ops._elementwise import Div, constant, mul, neg
from glassnet.ops._math import floor, trunc

__all__ = ["remainder", "fmod", "floor_divide", "rounded_quotient"]


def rounded_quotient(x, y, mode):
    if mode not in ("floor", "trunc"):
        raise GlassnetValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {mode!r}")
    xp = namespace(x.array)
    if x.array.dtype.kind != "f":  # integers: exact, not differentiable
        q = xp.floor_divide(x.array, y.array)
        if mode == "trunc":
            q = q + ((q < 0) & (q * y.array != x.array))
        return Tensor._wrap(q, False, None)
    return floor(Div.apply(x, y)) if mode == "floor" else trunc(Div.apply(x, y))


class FloorDivide(Function):
    """``x // y`` has no gradient in PyTorch (its backward raises); neither has it here.
    ``div(x, y, rounding_mode="floor")`` is the same value with a zero gradient."""

    formula = "z = ⌊x / y⌋"
    grad_formulas = ("none: backward raises, as in PyTorch",)

    def forward(self, x, y):
        return namespace(x).floor_divide(x, y)

    def backward(self, g):
        raise GlassnetValueError(
            "floor_divide (x // y): no gradient is defined, as in PyTorch (its backward raises too); for the "
            "same values with a zero gradient write gn.div(x, y, rounding_mode='floor'), or detach x first")


def floor_divide(x, y, *, out=None):
    """``x // y``: the quotient rounded down (PyTorch's ``floor_divide``; not differentiable)."""
    result = FloorDivide.apply(*pair(x, y))
    return result if out is None else write_out(result, out, "floor_divide")


class Remainder(Function):
    formula = "z = x - ⌊x / y⌋ · y   (the sign of y, as Python's %)"
    grad_formulas = ("dx = dz", "dy = -dz · ⌊x / y⌋")

    def forward(self, x, y):
        self.x, self.y = x, y
        return namespace(x).remainder(x, y)

    def backward(self, g):
        dy = -g * namespace(g).floor_divide(self.x, self.y) if self.needs_grad[1] else None
        return g, dy

    def differentiable_backward(self, g, out):
        quotient = namespace(self.x).floor_divide(self.x, self.y)
        return g, (neg(mul(g, constant(quotient))) if self.needs_grad[1] else None)


class Fmod(Function):
    formula = "z = x - trunc(x / y) · y   (the sign of x, as C's fmod)"
    grad_formulas = ("dx = dz", "dy = -dz · trunc(x / y)")

    def forward(self, x, y):
        self.x, self.y = x, y
        return namespace(x).fmod(x, y)

    def backward(self, g):
        dy = -g * namespace(g).trunc(self.x / self.y) if self.needs_grad[1] else None
        return g, dy

    def differentiable_backward(self, g, out):
        quotient = namespace(self.x).trunc(self.x / self.y)
        return g, (neg(mul(g, constant(quotient))) if self.needs_grad[1] else None)


def remainder(x, y, *, out=None):
    """``x % y`` with the sign of ``y`` (Python's and PyTorch's ``%``)."""
    result = Remainder.apply(*pair(x, y))
    return result if out is None else write_out(result, out, "remainder")


def fmod(x, y, *, out=None):
    """The remainder of ``x / y`` with the sign of ``x`` (C's ``fmod``)."""
    result = Fmod.apply(*pair(x, y))
    return result if out is None else write_out(result, out, "fmod")
