"""Tests, logic and counts (never differentiable): comparisons by name, NaN and infinity
tests, closeness, logical and bitwise operators, counting nonzeros and values.

Each returns a tensor that does not require grad (or, for :func:`allclose` and
:func:`equal`, a Python bool), as in PyTorch.
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import compare, pair, write_out

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
           "isclose", "allclose", "equal", "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "count_nonzero", "bincount"]


def _bool(array):
    return Tensor._wrap(array, False, None)


def _tensor(x, name):
    if not isinstance(x, Tensor):
        raise GlassnetTypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    return x


def eq(input, other, *, out=None):  # noqa: A002  (PyTorch's names)
    """``input == other`` elementwise (bool)."""
    return write_out(compare(input, other, "eq"), out, "eq")


def ne(input, other, *, out=None):  # noqa: A002
    """``input != other`` elementwise (bool)."""
    return write_out(compare(input, other, "ne"), out, "ne")


def lt(input, other, *, out=None):  # noqa: A002
    """``input < other`` elementwise (bool)."""
    return write_out(compare(input, other, "lt"), out, "lt")


def le(input, other, *, out=None):  # noqa: A002
    """``input <= other`` elementwise (bool)."""
    return write_out(compare(input, other, "le"), out, "le")


def gt(input, other, *, out=None):  # noqa: A002
    """``input > other`` elementwise (bool)."""
    return write_out(compare(input, other, "gt"), out, "gt")


def ge(input, other, *, out=None):  # noqa: A002
    """``input >= other`` elementwise (bool)."""
    return write_out(compare(input, other, "ge"), out, "ge")


def isnan(input):  # noqa: A002
    """True where the element is NaN."""
    x = _tensor(input, "isnan").array
    return _bool(namespace(x).isnan(x))


def isinf(input):  # noqa: A002
    """True where the element is +inf or -inf."""
    x = _tensor(input, "isinf").array
    return _bool(namespace(x).isinf(x))


def isposinf(input):  # noqa: A002
    """True where the element is +inf."""
    x = _tensor(input, "isposinf").array
    return _bool(namespace(x).isposinf(x))


def isneginf(input):  # noqa: A002
    """True where the element is -inf."""
    x = _tensor(input, "isneginf").array
    return _bool(namespace(x).isneginf(x))


def isfinite(input):  # noqa: A002
    """True where the element is neither NaN nor infinite."""
    x = _tensor(input, "isfinite").array
    return _bool(namespace(x).isfinite(x))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """``|input - other| ≤ atol + rtol · |other|`` elementwise (bool), PyTorch's defaults."""
    a, b = pair(input, other)
    return _bool(namespace(a.array).isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """True if :func:`isclose` holds everywhere (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


def equal(input, other):  # noqa: A002
    """True if both tensors have the same shape and the same elements (a Python bool)."""
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool((input.array == other.array).all())


def _logical(how, input, other):
    a, b = pair(input, other)
    return _bool(getattr(namespace(a.array), how)(a.array, b.array))


def logical_and(input, other, *, out=None):  # noqa: A002
    """Elementwise ``and`` of the truth values (nonzero is true)."""
    return write_out(_logical("logical_and", input, other), out, "logical_and")


def logical_or(input, other, *, out=None):  # noqa: A002
    """Elementwise ``or`` of the truth values."""
    return write_out(_logical("logical_or", input, other), out, "logical_or")


def logical_xor(input, other, *, out=None):  # noqa: A002
    """Elementwise ``xor`` of the truth values."""
    return write_out(_logical("logical_xor", input, other), out, "logical_xor")


def logical_not(input, *, out=None):  # noqa: A002
    """Elementwise ``not`` (zero becomes True)."""
    x = _tensor(input, "logical_not").array
    return write_out(_bool(namespace(x).logical_not(x)), out, "logical_not")


def _bitwise(how, input, other, name):
    a, b = pair(input, other)
    if a.array.dtype.kind not in "biu" or b.array.dtype.kind not in "biu":
        raise GlassnetTypeError(f"{name}: works on bool and integer tensors, got {a.dtype} and {b.dtype}; "
                                "for masks compare first ((x > 0) & (y < 1))")
    return _bool(getattr(namespace(a.array), how)(a.array, b.array))


def bitwise_and(input, other):  # noqa: A002
    """``input & other``: logical on bools, bitwise on integers."""
    return _bitwise("bitwise_and", input, other, "bitwise_and")


def bitwise_or(input, other):  # noqa: A002
    """``input | other``."""
    return _bitwise("bitwise_or", input, other, "bitwise_or")


def bitwise_xor(input, other):  # noqa: A002
    """``input ^ other``."""
    return _bitwise("bitwise_xor", input, other, "bitwise_xor")


def bitwise_not(input):  # noqa: A002
    """``~input``: logical not on bools, bitwise on integers."""
    x = _tensor(input, "bitwise_not").array
    if x.dtype.kind not in "biu":
        raise GlassnetTypeError(f"bitwise_not: works on bool and integer tensors, got {x.dtype}")
    return _bool(namespace(x).invert(x))


def count_nonzero(input, dim=None):  # noqa: A002
    """How many elements are nonzero (over ``dim``, or all)."""
    x = _tensor(input, "count_nonzero").array
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    return _bool(namespace(x).asarray(namespace(x).count_nonzero(x, axis=axis), dtype="int64"))


def bincount(input, weights=None, minlength=0):  # noqa: A002
    """How often each value 0, 1, … occurs in a 1-D non-negative integer tensor (int64), or
    the sums of ``weights`` per value."""
    x = _tensor(input, "bincount").array
    if x.ndim != 1 or x.dtype.kind not in "iu" or (x.size and int(x.min()) < 0):
        raise GlassnetTypeError(f"bincount: expects a 1-D tensor of non-negative integers, got shape "
                                f"{tuple(x.shape)}, dtype {x.dtype}")
    w = None if weights is None else weights.array
    counts = namespace(x).bincount(x, weights=w, minlength=minlength)
    return _bool(counts if w is not None else counts.astype("int64"))
