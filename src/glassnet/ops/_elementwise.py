"""Elementwise primitives: arithmetic, exp/log, comparisons that select (max/min/where/clip).

Binary ops broadcast like NumPy; their backward returns output-shaped gradients and the
engine sums them back to each input's shape.
"""

import numpy as np

from glassnet._backend import get_default_dtype, namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import as_tensor_like, cast, floating, pair, promote, write_out

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "maximum", "minimum",
           "where", "clip", "clamp"]

_PY_NUMBERS = (int, float)


class Add(Function):
    formula = "z = x + y"
    grad_formulas = ("dx = dz", "dy = dz")
    linear = True

    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g, g


class Sub(Function):
    formula = "z = x - y"
    grad_formulas = ("dx = dz", "dy = -dz")
    linear = True

    def forward(self, x, y):
        return x - y

    def backward(self, g):
        return g, (-g if self.needs_grad[1] else None)


class Mul(Function):
    formula = "z = x * y"
    grad_formulas = ("dx = dz * y", "dy = dz * x")

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, g):
        dx = g * self.y if self.needs_grad[0] else None
        dy = g * self.x if self.needs_grad[1] else None
        return dx, dy

    def differentiable_backward(self, g, out):
        x, y = self.inputs
        return (mul(g, y) if self.needs_grad[0] else None), (mul(g, x) if self.needs_grad[1] else None)


class Div(Function):
    formula = "z = x / y"
    grad_formulas = ("dx = dz / y", "dy = -dz * x / y²")

    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, g):
        gy = g / self.y
        dy = -gy * self.x / self.y if self.needs_grad[1] else None
        return gy, dy

    def differentiable_backward(self, g, out):
        y = self.inputs[1]
        gy = div(g, y)
        return gy, (neg(mul(gy, out)) if self.needs_grad[1] else None)


class Neg(Function):
    formula = "y = -x"
    grad_formulas = ("dx = -dy",)

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g

    linear = True


class Pow(Function):
    """Tensor exponent: both base and exponent may need gradients. Where the exponent is
    0 the base's gradient is 0, also at x = 0 (PyTorch's rule; ``0 · 0⁻¹`` would be NaN)."""

    formula = "z = x ** y"
    grad_formulas = ("dx = dz * y * x ** (y - 1)  (0 where y = 0)", "dy = dz * z * log(x)")

    def forward(self, x, y):
        self.x, self.y = x, y
        self.z = x**y
        return self.z

    def backward(self, g):
        xp = namespace(g)
        x, y = self.x, self.y
        dx = dy = None
        with _quiet(xp):
            if self.needs_grad[0]:
                dx = xp.where(y == 0, 0, g * y * x ** (y - 1))
            if self.needs_grad[1]:
                dy = g * self.z * xp.log(x)
                dy = xp.where((x == 0) & (y >= 0), 0, dy)  # PyTorch's convention at x = 0
        return dx, dy

    def differentiable_backward(self, g, out):
        x, y = self.inputs
        xp = namespace(g.array)
        dx = dy = None
        with _quiet(xp):
            if self.needs_grad[0]:
                dx = where(constant(self.y == 0), 0.0, mul(mul(g, y), pow(x, sub(y, 1))))
            if self.needs_grad[1]:
                dy = where(constant((self.x == 0) & (self.y >= 0)), 0.0, mul(mul(g, out), log(x)))
        return dx, dy


class PowScalar(Function):
    """Constant exponent p (``x ** 2``): cheaper than :class:`Pow`, no log needed.
    ``x ** 0`` has gradient 0 everywhere, x = 0 included (PyTorch's rule)."""

    formula = "y = x ** p"
    grad_formulas = ("dx = dy * p * x ** (p - 1)",)

    def forward(self, x, p):
        self.x, self.p = x, p
        return x**p

    def backward(self, g):
        p = self.p
        if p == 2:
            return g * 2 * self.x
        if p == 0:
            return namespace(g).zeros_like(g)
        with _quiet(namespace(g)):
            return g * p * self.x ** (p - 1)

    def differentiable_backward(self, g, out):
        p, x = self.p, self.inputs[0]
        if p == 0:
            return mul(g, 0.0)
        with _quiet(namespace(g.array)):
            return mul(g, mul(pow(x, p - 1), p)) if p != 1 else g


class Exp(Function):
    formula = "y = exp(x)"
    grad_formulas = ("dx = dy * y",)

    def forward(self, x):
        self.y = namespace(x).exp(x)
        return self.y

    def backward(self, g):
        return g * self.y

    def differentiable_backward(self, g, out):
        return mul(g, out)


class Log(Function):
    """log(0) = -inf and log(x < 0) = NaN without NumPy warnings, as in PyTorch;
    ``gn.detect_anomaly()`` names the op instead."""

    formula = "y = log(x)"
    grad_formulas = ("dx = dy / x",)

    def forward(self, x):
        self.x = x
        xp = namespace(x)
        with _quiet(xp):
            return xp.log(x)

    def backward(self, g):
        with _quiet(namespace(g)):
            return g / self.x

    def differentiable_backward(self, g, out):
        with _quiet(namespace(g.array)):
            return div(g, self.inputs[0])


class Sqrt(Function):
    """√x for x < 0 is NaN and its gradient at 0 is inf, without NumPy warnings."""

    formula = "y = √x"
    grad_formulas = ("dx = dy / (2·y)",)

    def forward(self, x):
        xp = namespace(x)
        with _quiet(xp):
            self.y = xp.sqrt(x)
        return self.y

    def backward(self, g):
        with _quiet(namespace(g)):
            return g / (2 * self.y)

    def differentiable_backward(self, g, out):
        with _quiet(namespace(g.array)):
            return div(g, mul(out, 2.0))


class Abs(Function):
    formula = "y = |x|"
    grad_formulas = ("dx = dy · sign(x)",)

    def forward(self, x):
        self.x = x
        return namespace(x).abs(x)

    def backward(self, g):
        return g * namespace(g).sign(self.x)

    def differentiable_backward(self, g, out):
        return mul(g, constant(namespace(self.x).sign(self.x)))


class Maximum(Function):
    """Ties send half the gradient to each side (PyTorch's rule)."""

    formula = "z = max(x, y)"
    grad_formulas = ("dx = dz · [x > y] + dz/2 · [x = y]", "dy = dz · [y > x] + dz/2 · [x = y]")

    def forward(self, x, y):
        self.x, self.y = x, y
        return namespace(x).maximum(x, y)

    def backward(self, g):
        share = (self.x > self.y) + 0.5 * (self.x == self.y)
        return g * share, g * (1 - share)

    def differentiable_backward(self, g, out):
        return _shared(g, (self.x > self.y) + 0.5 * (self.x == self.y))


class Minimum(Function):
    formula = "z = min(x, y)"
    grad_formulas = ("dx = dz · [x < y] + dz/2 · [x = y]", "dy = dz · [y < x] + dz/2 · [x = y]")

    def forward(self, x, y):
        self.x, self.y = x, y
        return namespace(x).minimum(x, y)

    def backward(self, g):
        share = (self.x < self.y) + 0.5 * (self.x == self.y)
        return g * share, g * (1 - share)

    def differentiable_backward(self, g, out):
        return _shared(g, (self.x < self.y) + 0.5 * (self.x == self.y))


class Where(Function):
    """``condition`` is a constant boolean array, not an input."""

    formula = "z = x where condition else y"
    linear = True
    grad_formulas = ("dx = dz where condition else 0", "dy = 0 where condition else dz")

    def forward(self, x, y, condition):
        self.condition = condition
        return namespace(x).where(condition, x, y)

    def backward(self, g):
        xp = namespace(g)
        zero = xp.zeros((), dtype=g.dtype)
        dx = xp.where(self.condition, g, zero) if self.needs_grad[0] else None
        dy = xp.where(self.condition, zero, g) if self.needs_grad[1] else None
        return dx, dy


class Clip(Function):
    formula = "y = min(max(x, low), high)"
    grad_formulas = ("dx = dy · [low ≤ x ≤ high]",)

    def forward(self, x, low, high):
        self.x, self.low, self.high = x, low, high
        return namespace(x).clip(x, low, high)

    def backward(self, g):
        inside = True
        if self.low is not None:
            inside = self.x >= self.low
        if self.high is not None:
            inside = inside & (self.x <= self.high)
        return g * inside

    def differentiable_backward(self, g, out):
        return mul(g, constant(self.backward(namespace(self.x).ones_like(self.x))))


class ClipTensor(Function):
    """Clip to tensor bounds (a missing bound is -inf or +inf). The gradient goes to
    whichever of x, low, high the output equals, x winning ties (PyTorch's rule: ``x = low``
    sends it to x). Composing :func:`maximum` and :func:`minimum` would split a tie in two."""

    formula = "y = min(max(x, low), high)"
    grad_formulas = (
        "dx = dy · [low ≤ x ≤ high]",
        "dlow = dy · [x < low < high]",
        "dhigh = dy · [x > high or high < low]",
    )

    def forward(self, x, low, high):
        self.x, self.low, self.high = x, low, high
        xp = namespace(x)
        return xp.minimum(xp.maximum(x, low), high)

    def backward(self, g):
        x, low, high = self.x, self.low, self.high
        need = self.needs_grad
        dx = g * ((x >= low) & (x <= high)) if need[0] else None
        dlow = g * ((x < low) & (low < high)) if need[1] else None
        dhigh = g * ((x > high) | (high < low)) if need[2] else None
        return dx, dlow, dhigh

    def differentiable_backward(self, g, out):
        masks = self.backward(namespace(self.x).ones_like(out.array))
        return tuple(None if m is None else mul(g, constant(m)) for m in masks)


def constant(array):
    """A Tensor holding ``array`` outside any graph: a mask or factor in a differentiable
    backward that is constant where it is defined (``[x > 0]``, ``sign(x)``)."""
    return Tensor._wrap(array, False, None)


def _shared(g, share):
    """Maximum/minimum: ``dx = g·share``, ``dy = g·(1 - share)`` with Tensor ops."""
    share = share.astype(g.dtype)
    return mul(g, constant(share)), mul(g, constant(1 - share))


class _quiet:
    """Silence NumPy's divide/invalid warnings where NaN/-inf is the intended result."""

    def __init__(self, xp):
        self.xp = xp

    def __enter__(self):
        if hasattr(self.xp, "errstate"):
            self.state = self.xp.errstate(divide="ignore", invalid="ignore")
            self.state.__enter__()

    def __exit__(self, *exc):
        if hasattr(self, "state"):
            self.state.__exit__(*exc)


def add(x, y, *, alpha=1, out=None):
    """``x + alpha·y`` elementwise, broadcasting."""
    result = Add.apply(*pair(x, y if alpha == 1 else mul(y, alpha)))
    return result if out is None else write_out(result, out, "add")


def sub(x, y, *, alpha=1, out=None):
    """``x - alpha·y`` elementwise, broadcasting."""
    result = Sub.apply(*pair(x, y if alpha == 1 else mul(y, alpha)))
    return result if out is None else write_out(result, out, "sub")


def mul(x, y, *, out=None):
    """``x * y`` elementwise, broadcasting."""
    result = Mul.apply(*pair(x, y))
    return result if out is None else write_out(result, out, "mul")


def div(x, y, *, rounding_mode=None, out=None):
    """``x / y`` elementwise, broadcasting; integers divide as the default float dtype.
    ``rounding_mode="floor"`` or ``"trunc"`` rounds the quotient (integers stay integers)."""
    x, y = pair(x, y)
    if rounding_mode is not None:
        from glassnet.ops._division import rounded_quotient  # it builds on Div, defined here

        result = rounded_quotient(x, y, rounding_mode)
        return result if out is None else write_out(result, out, "div")
    if x.array.dtype.kind != "f":
        x, y = cast(x, get_default_dtype()), cast(y, get_default_dtype())
    result = Div.apply(x, y)
    return result if out is None else write_out(result, out, "div")


def neg(x, *, out=None):
    """``-x``."""
    result = Neg.apply(x)
    return result if out is None else write_out(result, out, "neg")


def pow(x, exponent, *, out=None):  # noqa: A001
    """``x ** exponent``; a Python-number exponent uses the cheaper :class:`PowScalar`.
    An integer tensor raised to a float gives the default float dtype (as PyTorch)."""
    if isinstance(x, Tensor) and isinstance(exponent, _PY_NUMBERS):
        if isinstance(exponent, float) and x.array.dtype.kind != "f":
            x = cast(x, get_default_dtype())
        result = PowScalar.apply(x, p=exponent)
        return result if out is None else write_out(result, out, "pow")
    result = Pow.apply(*pair(x, exponent))
    return result if out is None else write_out(result, out, "pow")


def exp(x, *, out=None):
    """``e ** x`` elementwise."""
    result = Exp.apply(x if type(x) is Tensor and x.array.dtype.kind == "f" else floating(x, "exp"))
    return result if out is None else write_out(result, out, "exp")


def log(x, *, out=None):
    """Natural logarithm elementwise."""
    result = Log.apply(x if type(x) is Tensor and x.array.dtype.kind == "f" else floating(x, "log"))
    return result if out is None else write_out(result, out, "log")


def sqrt(x, *, out=None):
    """Square root elementwise."""
    result = Sqrt.apply(x if type(x) is Tensor and x.array.dtype.kind == "f" else floating(x, "sqrt"))
    return result if out is None else write_out(result, out, "sqrt")


def abs(x, *, out=None):  # noqa: A001
    """``|x|`` elementwise (gradient ``sign(x)``, 0 at 0)."""
    result = Abs.apply(x)
    return result if out is None else write_out(result, out, "abs")


def maximum(x, y, *, out=None):
    """Elementwise larger of ``x`` and ``y``."""
    result = Maximum.apply(*pair(x, y))
    return result if out is None else write_out(result, out, "maximum")


def minimum(x, y, *, out=None):
    """Elementwise smaller of ``x`` and ``y``."""
    result = Minimum.apply(*pair(x, y))
    return result if out is None else write_out(result, out, "minimum")


def where(condition, x=None, y=None):
    """``x`` where ``condition`` holds, else ``y`` (broadcasting all three). With the
    condition alone, the indices where it holds (one tensor per dimension), as PyTorch."""
    if x is None and y is None:
        from glassnet.ops._select import nonzero

        return nonzero(condition, as_tuple=True)
    x, y = pair(x, y)
    cond = condition.array if isinstance(condition, Tensor) else condition
    cond = namespace(x.array).asarray(cond, dtype=bool)
    return Where.apply(x, y, condition=cond)


def clip(x, min=None, max=None, *, out=None):  # noqa: A002
    """Limit ``x`` to ``[min, max]`` (either may be None, a number or a tensor). Dtypes
    follow PyTorch: an integer tensor with a float bound gives the default float dtype."""
    if min is None and max is None:
        raise GlassnetValueError("clamp: at least one of min and max must be given (as PyTorch asks)")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = _clip_tensor(x, min, max)
        return result if out is None else write_out(result, out, "clamp")
    if x.array.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        x = cast(x, get_default_dtype())
    result = Clip.apply(x, low=min, high=max)
    return result if out is None else write_out(result, out, "clamp")


def _clip_tensor(x, low, high):
    bounds = [as_tensor_like(b, x) for b in (low, high) if b is not None]
    x, *bounds = promote(x, *bounds)
    if low is None:
        bounds.insert(0, _unbounded(x, -1))
    if high is None:
        bounds.append(_unbounded(x, 1))
    return ClipTensor.apply(x, *bounds)


def _unbounded(x, sign):
    """A 0-d constant below (sign -1) or above (+1) every value of ``x``'s dtype."""
    dtype = x.array.dtype
    if dtype.kind == "f":
        value = sign * float("inf")
    elif dtype.kind == "b":
        value = sign > 0
    else:
        value = np.iinfo(dtype).max if sign > 0 else np.iinfo(dtype).min
    return Tensor._wrap(namespace(x.array).asarray(value, dtype=dtype), False, None)


clamp = clip
