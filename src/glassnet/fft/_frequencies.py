"""The sample frequencies of a transform and the shifts that put frequency 0 in the middle.

``fftfreq(n, d)`` = [0, 1, …, ⌈n/2⌉ − 1, −⌊n/2⌋, …, −1] / (d·n), the frequency of each
output of ``fft``; ``rfftfreq(n, d)`` = [0, 1, …, n//2] / (d·n), those of ``rfft``.
``fftshift`` rolls each axis by n//2 (frequency 0 to the centre), ``ifftshift`` back; both
are rolls, so they are differentiable on real tensors.
"""

from glassnet._backend import get_default_dtype
from glassnet._creation import arange
from glassnet._errors import GlassnetValueError
from glassnet.ops._arrange import roll

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def _check_n(name, n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise GlassnetValueError(f"fft.{name}: n must be a non-negative integer, got {n!r}")


def fftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, **_torch_only):
    """The frequencies of the n outputs of ``fft`` for samples ``d`` apart (default dtype)."""
    _check_n("fftfreq", n)
    k = arange(n, dtype="float64", device=device)
    k = k - n * (k >= (n + 1) // 2)
    return _frequencies(k / (d * n), dtype, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, **_torch_only):
    """The frequencies of the n//2 + 1 outputs of ``rfft`` for samples ``d`` apart."""
    _check_n("rfftfreq", n)
    k = arange(n // 2 + 1, dtype="float64", device=device)
    return _frequencies(k / (d * n) if n else k * float("nan"), dtype, requires_grad)  # n = 0: 0/0, as torch


def _frequencies(values, dtype, requires_grad):
    result = values.astype(get_default_dtype() if dtype is None else dtype)
    return result.requires_grad_(requires_grad) if requires_grad else result


def _axes(x, dim):
    if dim is None:
        return tuple(range(x.ndim))
    return (dim,) if isinstance(dim, int) else tuple(dim)


def fftshift(input, dim=None):  # noqa: A002  (PyTorch's names)
    """Roll each axis of ``dim`` (all when None) by n//2: frequency 0 moves to the centre."""
    dims = _axes(input, dim)
    if not dims:
        return input * 1
    return roll(input, tuple(input.shape[d] // 2 for d in dims), dims)


def ifftshift(input, dim=None):  # noqa: A002
    """The inverse of :func:`fftshift`: roll each axis by −(n//2)."""
    dims = _axes(input, dim)
    if not dims:
        return input * 1
    return roll(input, tuple(-(input.shape[d] // 2) for d in dims), dims)
