"""The rest of PyTorch's elementwise functions, each composed from glassnet's primitives
(so each gradient is that of its formula), plus a few without a gradient.

- fused updates: ``addcmul`` (x + v·a·b), ``addcdiv`` (x + v·a/b), ``lerp`` (x + w·(end − x));
- logs and exponentials: ``xlogy`` (x·log y, 0 where x = 0), ``logaddexp``
  (log(eˣ + eʸ) = max + log1p(e^−|x−y|)), ``logaddexp2``, ``exp2`` (2ˣ), ``logit``
  (log(p / (1 − p))), ``ldexp`` (x·2ⁿ), ``float_power`` (xʸ in float64);
- geometry and signs: ``hypot`` (√(x² + y²)), ``copysign`` (|x| with the sign of y),
  ``deg2rad``/``rad2deg``, ``sinc`` (sin(πx)/(πx), 1 at 0);
- NaN-aware: ``nan_to_num``, ``fmax``/``fmin`` (the other operand where one is NaN);
- no gradient (as in PyTorch): ``signbit``, ``heaviside``, ``gcd``, ``lcm``, ``nextafter``,
  ``frexp``.
"""

import math
from collections import namedtuple

import numpy as np

from glassnet._backend import get_default_dtype, namespace
from glassnet._errors import GlassnetTypeError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import as_tensor_like, cast, floating, pair, write_out
from glassnet.ops._elementwise import (
    _quiet,
    abs,
    add,
    clip,
    constant,
    div,
    exp,
    log,
    maximum,
    mul,
    pow,
    sqrt,
    sub,
    where,
)
from glassnet.ops._math import log1p, log2
from glassnet.ops._trig import sin

__all__ = ["addcmul", "addcdiv", "lerp", "clamp_min", "clamp_max", "masked_fill", "nan_to_num", "xlogy",
           "hypot", "logaddexp", "logaddexp2", "exp2", "logit", "ldexp", "float_power", "copysign",
           "deg2rad", "rad2deg", "sinc", "fmax", "fmin", "signbit", "heaviside", "gcd", "lcm", "nextafter",
           "frexp", "positive", "sgn", "is_nonzero", "isreal"]

FrexpResult = namedtuple("FrexpResult", ["mantissa", "exponent"])


def _tensor(x, name):
    if not isinstance(x, Tensor):
        raise GlassnetTypeError(f"{name}: expected a Tensor, got {type(x).__name__} (wrap it: "
                                f"gn.tensor(...))")
    return x


def _scaled(value, t):
    return t if isinstance(value, (int, float)) and value == 1 else mul(t, value)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002  (PyTorch's names)
    """``input + value · tensor1 · tensor2`` (all three broadcast)."""
    return write_out(add(input, _scaled(value, mul(tensor1, tensor2))), out, "addcmul")


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002
    """``input + value · tensor1 / tensor2`` (all three broadcast; as in PyTorch, two integer
    tensors are refused: their division would round)."""
    if all(isinstance(t, Tensor) and t.dtype.kind in "iub" for t in (tensor1, tensor2)):
        raise GlassnetTypeError("addcdiv: integer division of tensor1 by tensor2 is not supported (as in "
                                "PyTorch); convert them to a floating dtype first (.float())")
    return write_out(add(input, _scaled(value, div(tensor1, tensor2))), out, "addcdiv")


def lerp(input, end, weight, *, out=None):  # noqa: A002
    """Linear interpolation ``input + weight · (end − input)``; ``weight`` a number or tensor."""
    return write_out(add(input, mul(weight, sub(end, input))), out, "lerp")


def clamp_min(input, min, *, out=None):  # noqa: A002
    """``max(input, min)`` elementwise (``clamp(input, min=min)``)."""
    return clip(input, min=min, out=out)


def clamp_max(input, max, *, out=None):  # noqa: A002
    """``min(input, max)`` elementwise (``clamp(input, max=max)``)."""
    return clip(input, max=max, out=out)


def masked_fill(input, mask, value):  # noqa: A002
    """A copy of ``input`` with ``value`` where ``mask`` (broadcast to it) is true; the result
    keeps ``input``'s dtype and shape. Differentiable in ``input`` (and a tensor ``value``)."""
    _tensor(input, "masked_fill")
    mask = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype.kind != "b":
        raise GlassnetTypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask.dtype}")
    value = value if isinstance(value, Tensor) else as_tensor_like(value, input)
    if value.dtype != input.dtype:
        value = cast(value, input.dtype)
    filled = where(constant(mask), value, input)
    return filled if filled.shape == input.shape else _fit_error("masked_fill", mask, input)


def _fit_error(name, mask, input):  # noqa: A002
    raise GlassnetTypeError(f"{name}: the mask of shape {tuple(mask.shape)} does not broadcast to the "
                            f"input's "
                            f"shape {tuple(input.shape)}; only the mask may be broadcast")


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):  # noqa: A002
    """NaN → ``nan``, +inf → ``posinf``, −inf → ``neginf`` (defaults: 0 and the dtype's largest
    and lowest finite values). Gradient 1 where the value was kept, 0 where replaced."""
    _tensor(input, "nan_to_num")
    if input.dtype.kind not in "fc":
        return write_out(Tensor._wrap(input.array.copy(), False, None), out, "nan_to_num")
    info = np.finfo(input.dtype)
    x, xp = input.array, namespace(input.array)
    result = input
    for hit, value in ((xp.isnan(x), nan), (xp.isposinf(x), info.max if posinf is None else posinf),
                       (xp.isneginf(x), info.min if neginf is None else neginf)):
        result = where(constant(hit), as_tensor_like(float(value), input), result)
    return write_out(result, out, "nan_to_num")


def xlogy(input, other, *, out=None):  # noqa: A002
    """``input · log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    x, y = _floats(input, other, "xlogy")
    zero = constant((x.array == 0) & ~namespace(y.array).isnan(y.array))
    safe_y = where(zero, as_tensor_like(1.0, y), y)
    return write_out(where(zero, as_tensor_like(0.0, x), mul(x, log(safe_y))), out, "xlogy")


def _floats(a, b, name):
    """Both operands as tensors of their common floating dtype (integers give the default)."""
    a, b = pair(a, b)
    if a.dtype.kind != "f":
        a, b = cast(a, get_default_dtype()), cast(b, get_default_dtype())
    return a, b


def hypot(input, other, *, out=None):  # noqa: A002
    """``√(input² + other²)`` elementwise."""
    x, y = _floats(input, other, "hypot")
    return write_out(sqrt(add(mul(x, x), mul(y, y))), out, "hypot")


def logaddexp(input, other, *, out=None):  # noqa: A002
    """``log(eˣ + eʸ)`` without overflow: ``max(x, y) + log1p(exp(−|x − y|))``."""
    x, y = _floats(input, other, "logaddexp")
    return write_out(add(maximum(x, y), log1p(exp(mul(abs(sub(x, y)), -1.0)))), out, "logaddexp")


def logaddexp2(input, other, *, out=None):  # noqa: A002
    """``log₂(2ˣ + 2ʸ)`` without overflow: ``max(x, y) + log₂(1 + 2^−|x − y|)``."""
    x, y = _floats(input, other, "logaddexp2")
    return write_out(add(maximum(x, y), log2(add(exp2(mul(abs(sub(x, y)), -1.0)), 1.0))), out, "logaddexp2")


def exp2(input, *, out=None):  # noqa: A002
    """``2ˣ`` elementwise (``e^(x·ln 2)``)."""
    return write_out(exp(mul(floating(input, "exp2"), math.log(2))), out, "exp2")


def logit(input, eps=None, *, out=None):  # noqa: A002
    """``log(p / (1 − p))``; with ``eps`` the input is clamped to ``[eps, 1 − eps]`` first
    (gradient 0 outside, as in PyTorch)."""
    p = floating(input, "logit")
    if eps is not None:
        p = clip(p, eps, 1 - eps)
    else:  # outside [0, 1] the value and (as PyTorch) the gradient are NaN: p · (NaN there, 1 elsewhere)
        outside = (p.array < 0) | (p.array > 1)
        if outside.any():
            p = mul(p, constant(namespace(p.array).where(outside, np.nan, 1.0).astype(p.dtype)))
    with _quiet(namespace(p.array)):
        return write_out(log(div(p, sub(1.0, p))), out, "logit")


def ldexp(input, other, *, out=None):  # noqa: A002
    """``input · 2^other`` (the result is floating)."""
    x, n = _floats(input, other, "ldexp")
    return write_out(mul(x, exp2(n)), out, "ldexp")


def float_power(input, exponent, *, out=None):  # noqa: A002
    """``input ** exponent`` computed in float64 (PyTorch's ``float_power``)."""
    def as64(v):
        return cast(v, np.float64) if isinstance(v, Tensor) else float(v)

    x, p = as64(input), as64(exponent)
    if not isinstance(x, Tensor):
        x = Tensor._wrap(np.asarray(x), False, None)
    return write_out(pow(x, p), out, "float_power")


def copysign(input, other, *, out=None):  # noqa: A002
    """``|input|`` with the sign bit of ``other`` (−0.0 counts as negative); floating result."""
    x, y = _floats(input, other, "copysign")
    sign = constant(namespace(y.array).where(namespace(y.array).signbit(y.array), -1.0, 1.0).astype(x.dtype))
    return write_out(mul(abs(x), sign), out, "copysign")


def deg2rad(input, *, out=None):  # noqa: A002
    """Degrees to radians: ``x · π/180``."""
    return write_out(mul(floating(input, "deg2rad"), math.pi / 180), out, "deg2rad")


def rad2deg(input, *, out=None):  # noqa: A002
    """Radians to degrees: ``x · 180/π``."""
    return write_out(mul(floating(input, "rad2deg"), 180 / math.pi), out, "rad2deg")


def sinc(input, *, out=None):  # noqa: A002
    """The normalised sinc ``sin(πx)/(πx)``, 1 at x = 0 (gradient 0 there)."""
    x = floating(input, "sinc")
    zero = constant(x.array == 0)
    safe = mul(where(zero, as_tensor_like(1.0, x), x), math.pi)
    return write_out(where(zero, as_tensor_like(1.0, x), div(sin(safe), safe)), out, "sinc")


def fmax(input, other, *, out=None):  # noqa: A002
    """The larger of the two; where one is NaN, the other (NaN only where both are)."""
    return write_out(_nan_aware(input, other, maximum), out, "fmax")


def fmin(input, other, *, out=None):  # noqa: A002
    """The smaller of the two; where one is NaN, the other (NaN only where both are)."""
    from glassnet.ops._elementwise import minimum

    return write_out(_nan_aware(input, other, minimum), out, "fmin")


def _nan_aware(a, b, pick):
    a, b = pair(a, b)
    if a.dtype.kind != "f":
        return pick(a, b)
    xp = namespace(a.array)
    a_nan, b_nan = xp.isnan(a.array), xp.isnan(b.array)
    return where(constant(b_nan), a, where(constant(a_nan), b, pick(a, b)))


def _no_grad(name, values):
    return Tensor._wrap(values, False, None)


def signbit(input, *, out=None):  # noqa: A002
    """True where the sign bit is set (negative values and −0.0); not differentiable."""
    x = _tensor(input, "signbit").array
    return write_out(_no_grad("signbit", namespace(x).signbit(x)), out, "signbit")


def heaviside(input, values, *, out=None):  # noqa: A002
    """The step function: 0 for x < 0, ``values`` at 0, 1 for x > 0 (no gradient, as in PyTorch)."""
    x, v = pair(_tensor(input, "heaviside"), values)
    xp = namespace(x.array)
    step = xp.where(x.array == 0, v.array, (x.array > 0).astype(x.dtype))
    return write_out(_no_grad("heaviside", step.astype(x.dtype)), out, "heaviside")


def _integers(a, b, name):
    a, b = pair(a, b)
    if a.dtype.kind not in "iu":
        raise GlassnetTypeError(f"{name}: integer tensors only, got dtype {a.dtype} (as in PyTorch)")
    return a.array, b.array


def gcd(input, other, *, out=None):  # noqa: A002
    """The greatest common divisor, elementwise (integers)."""
    a, b = _integers(input, other, "gcd")
    return write_out(_no_grad("gcd", namespace(a).gcd(a, b)), out, "gcd")


def lcm(input, other, *, out=None):  # noqa: A002
    """The least common multiple, elementwise (integers)."""
    a, b = _integers(input, other, "lcm")
    return write_out(_no_grad("lcm", namespace(a).lcm(a, b)), out, "lcm")


def nextafter(input, other, *, out=None):  # noqa: A002
    """The next floating value after ``input`` towards ``other``."""
    a, b = pair(input, other)
    return write_out(_no_grad("nextafter", namespace(a.array).nextafter(a.array, b.array)), out, "nextafter")


def frexp(input):  # noqa: A002
    """``(mantissa, exponent)`` with ``input = mantissa · 2^exponent``, 0.5 ≤ |mantissa| < 1
    (exponent int32, as in PyTorch)."""
    x = _tensor(input, "frexp")
    if x.dtype.kind != "f":
        raise GlassnetTypeError(f"frexp: floating tensors only, got dtype {x.dtype} (as in PyTorch)")
    mantissa, exponent = namespace(x.array).frexp(x.array)
    return FrexpResult(_no_grad("frexp", mantissa), _no_grad("frexp", exponent.astype(np.int32)))


def positive(input):  # noqa: A002
    """``input`` itself (PyTorch's ``+x``); bool tensors are refused, as in PyTorch."""
    if _tensor(input, "positive").dtype.kind == "b":
        raise GlassnetTypeError("positive: not defined for bool tensors (as in PyTorch); "
                                "use x.logical_not() or convert to an integer dtype")
    return input


def sgn(input, *, out=None):  # noqa: A002
    """The sign of each element (for real tensors PyTorch's ``sgn`` is ``sign``)."""
    from glassnet.ops._math import sign

    return sign(input, out=out)


def is_nonzero(input):  # noqa: A002
    """The truth of a one-element tensor (an error for any other size, as PyTorch)."""
    if _tensor(input, "is_nonzero").numel() != 1:
        raise GlassnetTypeError(f"is_nonzero: only a one-element tensor has a truth value; this one has "
                                f"shape "
                                f"{tuple(input.shape)}")
    return bool(input.array.reshape(()) != 0)


def isreal(input):  # noqa: A002
    """True where the element is real (imaginary part 0; every element of a real tensor)."""
    x = _tensor(input, "isreal").array
    xp = namespace(x)
    return _no_grad("isreal", x.imag == 0 if x.dtype.kind == "c" else xp.ones(x.shape, dtype=bool))
