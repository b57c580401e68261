"""Special functions on arrays, shared by the reference primitives and the kernels."""

import math

from glassnet._backend import namespace

__all__ = ["erf", "normal_cdf", "normal_pdf", "tanh_cdf"]

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
INV_SQRT_2 = 1 / math.sqrt(2)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


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


def normal_cdf(x):
    """Φ(x) = ½·(1 + erf(x/√2))."""
    return 0.5 * (1 + erf(x * INV_SQRT_2))


def normal_pdf(x):
    """φ(x) = e^(−x²/2)/√(2π)."""
    return INV_SQRT_2PI * namespace(x).exp(-0.5 * x * x)


def tanh_cdf(x):
    """The tanh approximation of Φ: ½·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³); returns
    (Φ ≈, tanh(u))."""
    t = namespace(x).tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3))
    return 0.5 * (1 + t), t
