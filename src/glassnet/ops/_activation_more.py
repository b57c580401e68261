"""More elementwise activations PyTorch programs use: ELU, SiLU, Mish, Hardtanh, Softsign,
LogSigmoid, Tanhshrink. Each is one :class:`~glassnet.ops.Activation` subclass (forward,
derivative and both formulas), with PyTorch's names, defaults and numbers.

Exponentials are taken of non-positive numbers only (``exp(-|x|)``), so large ``|x|``
neither overflows nor loses the small tail."""

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.ops._activation import Activation, _floating

__all__ = ["elu", "silu", "mish", "hardtanh", "softsign", "logsigmoid", "tanhshrink"]


def _sigmoid(x):
    """σ(x) = 1 / (1 + exp(-x)), stable for large |x|."""
    xp = namespace(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), without overflow."""
    xp = namespace(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class ELU(Activation):
    formula = "y = x if x > 0 else alpha·(exp(x) - 1)"
    derivative_formula = "(1 if x > 0 else alpha·exp(x))"
    keeps = ("x",)

    @staticmethod
    def f(x, alpha=1.0):
        xp = namespace(x)
        return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))

    @staticmethod
    def derivative(x, y, alpha=1.0):
        xp = namespace(x)
        return xp.where(x > 0, 1.0, alpha * xp.exp(xp.minimum(x, 0)))

    @staticmethod
    def second_derivative(x, y, alpha=1.0):
        xp = namespace(x)
        return xp.where(x > 0, 0.0, alpha * xp.exp(xp.minimum(x, 0)))


class SiLU(Activation):
    formula = "y = x · σ(x)"
    derivative_formula = "σ(x) · (1 + x · (1 - σ(x)))"
    keeps = ("x",)

    @staticmethod
    def f(x):
        return x * _sigmoid(x)

    @staticmethod
    def derivative(x, y):
        s = _sigmoid(x)
        return s * (1 + x * (1 - s))

    @staticmethod
    def second_derivative(x, y):
        s = _sigmoid(x)
        return s * (1 - s) * (2 + x * (1 - 2 * s))


class Mish(Activation):
    formula = "y = x · tanh(softplus(x))"
    derivative_formula = "tanh(softplus(x)) + x · σ(x) · (1 - tanh²(softplus(x)))"
    keeps = ("x",)

    @staticmethod
    def f(x):
        return x * namespace(x).tanh(_softplus(x))

    @staticmethod
    def derivative(x, y):
        t = namespace(x).tanh(_softplus(x))
        return t + x * _sigmoid(x) * (1 - t * t)

    @staticmethod
    def second_derivative(x, y):
        t, s = namespace(x).tanh(_softplus(x)), _sigmoid(x)
        return s * (1 - t * t) * (2 + x * (1 - s) - 2 * x * s * t)


class Hardtanh(Activation):
    formula = "y = clamp(x, min_val, max_val)"
    derivative_formula = "[min_val < x < max_val]"
    keeps = ("x",)
    piecewise_linear = True

    @staticmethod
    def f(x, min_val=-1.0, max_val=1.0):
        return namespace(x).clip(x, min_val, max_val).astype(x.dtype, copy=False)

    @staticmethod
    def derivative(x, y, min_val=-1.0, max_val=1.0):
        return (x > min_val) & (x < max_val)  # PyTorch: zero gradient at the limits too


class Softsign(Activation):
    formula = "y = x / (1 + |x|)"
    derivative_formula = "1 / (1 + |x|)²"
    keeps = ("x",)

    @staticmethod
    def f(x):
        return x / (1 + namespace(x).abs(x))

    @staticmethod
    def derivative(x, y):
        d = 1 + namespace(x).abs(x)
        return 1 / (d * d)

    @staticmethod
    def second_derivative(x, y):
        xp = namespace(x)
        d = 1 + xp.abs(x)
        return -2 * xp.sign(x) / (d * d * d)


class LogSigmoid(Activation):
    formula = "y = log σ(x) = min(x, 0) - log(1 + exp(-|x|))"
    derivative_formula = "σ(-x)"
    keeps = ("x",)

    @staticmethod
    def f(x):
        xp = namespace(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def derivative(x, y):
        return _sigmoid(-x)

    @staticmethod
    def second_derivative(x, y):
        return -_sigmoid(x) * _sigmoid(-x)


class Tanhshrink(Activation):
    formula = "y = x - tanh(x)"
    derivative_formula = "tanh²(x)"
    keeps = ("x",)

    @staticmethod
    def f(x):
        return x - namespace(x).tanh(x)

    @staticmethod
    def derivative(x, y):
        t = namespace(x).tanh(x)
        return t * t

    @staticmethod
    def second_derivative(x, y):
        t = namespace(x).tanh(x)
        return 2 * t * (1 - t * t)


def _not_inplace(name, inplace):
    if inplace:
        raise GlassnetValueError(f"{name}: inplace=True is not supported (got inplace=True); glassnet "
                                 f"returns a new tensor — write y = {name}(x) with inplace=False")


def _refuse(x, name, kinds):
    """PyTorch refuses these dtypes (``kinds``: NumPy kind letters, ``b`` bool, ``iu`` integers)."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind in kinds:
        raise GlassnetTypeError(f"{name}: not defined for {dtype} tensors (as in PyTorch); convert first, "
                                f"e.g. {name}(x.float())")


def elu(x, alpha=1.0, inplace=False):
    """``x`` for positive entries, ``alpha·(eˣ - 1)`` otherwise (PyTorch's ``F.elu``)."""
    _refuse(x, "elu", "biu")
    _not_inplace("elu", inplace)
    return ELU.apply(x, alpha=alpha)


def silu(x, inplace=False):
    """``x · σ(x)`` (swish), PyTorch's ``F.silu``."""
    _refuse(x, "silu", "biu")
    _not_inplace("silu", inplace)
    return SiLU.apply(_floating(x))


def mish(x, inplace=False):
    """``x · tanh(softplus(x))``, PyTorch's ``F.mish``."""
    _refuse(x, "mish", "biu")
    _not_inplace("mish", inplace)
    return Mish.apply(_floating(x))


def hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    """``x`` clamped to ``[min_val, max_val]``; gradient 1 strictly inside, 0 elsewhere."""
    _refuse(x, "hardtanh", "b")
    _not_inplace("hardtanh", inplace)
    if min_val > max_val:
        raise GlassnetValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return Hardtanh.apply(x, min_val=min_val, max_val=max_val)


def softsign(x):
    """``x / (1 + |x|)``."""
    _refuse(x, "softsign", "b")
    return Softsign.apply(_floating(x))


def logsigmoid(x):
    """``log σ(x)``, stable for large |x| (PyTorch's ``F.logsigmoid``)."""
    _refuse(x, "logsigmoid", "biu")
    return LogSigmoid.apply(_floating(x))


def tanhshrink(x):
    """``x - tanh(x)``."""
    _refuse(x, "tanhshrink", "b")
    return Tanhshrink.apply(_floating(x))
