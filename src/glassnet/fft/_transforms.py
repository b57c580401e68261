"""The discrete Fourier transforms under PyTorch's names and arguments, computed by the
backend's FFT (``numpy.fft``: pocketfft, as PyTorch's CPU build).

For a signal x of length n (``norm="backward"``, the default)::

    X[k] = Σ_t x[t] · e^(−2πi·k·t/n)          (fft)
    x[t] = (1/n) · Σ_k X[k] · e^(+2πi·k·t/n)  (ifft)

``norm="ortho"`` scales both ways by 1/√n, ``norm="forward"`` puts 1/n on the forward
transform. ``rfft`` keeps the n//2 + 1 non-negative frequencies of a real signal (the rest
are their complex conjugates) and ``irfft`` turns them back into n real numbers.

Dtypes as PyTorch's: float32 → complex64, float64 → complex128, integers and bools are
read as the default float dtype first; the inverse real transforms return real tensors.
The transforms are forward-only: an input that requires grad is refused with a message
(glassnet does not differentiate through complex numbers).
"""

from glassnet._backend import get_default_dtype, namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._complex import refuse_gradients

__all__ = [
    "fft",
    "ifft",
    "rfft",
    "irfft",
    "fft2",
    "ifft2",
    "rfft2",
    "irfft2",
    "fftn",
    "ifftn",
    "rfftn",
    "irfftn",
]

_NORMS = (None, "backward", "ortho", "forward")


def _signal(name, x, real_only):
    """``x``'s array, ready for the transform: floats or complex of single or double precision."""
    if not isinstance(x, Tensor):
        raise GlassnetTypeError(
            f"fft.{name}: expected a Tensor, got {type(x).__name__} (wrap it: gn.tensor(...))"
        )
    refuse_gradients(f"fft.{name}", x)
    a = x.array
    if a.dtype.kind == "c" and real_only:
        raise GlassnetTypeError(
            f"fft.{name} expects a real input tensor, but got {a.dtype} (use "
            f"fft.fft{name[-1] if name[-1] in '2n' else ''} for complex signals)"
        )
    if a.dtype.kind in "biu":
        return a.astype(get_default_dtype())
    if a.dtype.itemsize < 4 or (a.dtype.kind == "c" and a.dtype.itemsize < 8):
        raise GlassnetTypeError(
            f"fft.{name}: unsupported dtype {a.dtype} (NumPy's FFT computes in single or "
            "double precision); convert with x.float() or x.double()"
        )
    return a


def _run(name, x, transform, real_only=False, **kwargs):
    a = _signal(name, x, real_only)
    if kwargs.get("norm") not in _NORMS:
        raise GlassnetValueError(
            f"fft.{name}: norm must be 'backward', 'ortho' or 'forward', got {kwargs['norm']!r}"
        )
    try:
        run = getattr(namespace(a).fft, transform) if isinstance(transform, str) else transform
        out = run(a, **kwargs)
    except (ValueError, IndexError) as exc:
        raise GlassnetValueError(
            f"fft.{name}: {exc} (input shape {tuple(x.shape)}, arguments {kwargs})"
        ) from None
    return Tensor._wrap(out, False, None)


def _sizes_and_dims(s, dim, ndim):
    """PyTorch's rule for the n-dimensional transforms: ``dim=None`` with ``s`` given means the
    last ``len(s)`` axes; with neither, every axis."""
    if dim is None and s is not None:
        dim = tuple(range(ndim - len(s), ndim))
    if isinstance(dim, int):
        dim = (dim,)
    return (None if s is None else tuple(s)), (None if dim is None else tuple(dim))


# -- one dimension ----------------------------------------------------------------------------
def fft(input, n=None, dim=-1, norm=None):  # noqa: A002  (PyTorch's names)
    """The discrete Fourier transform along ``dim``; ``n`` crops or zero-pads the signal first."""
    return _run("fft", input, "fft", n=n, axis=dim, norm=norm)


def ifft(input, n=None, dim=-1, norm=None):  # noqa: A002
    """The inverse discrete Fourier transform along ``dim``."""
    return _run("ifft", input, "ifft", n=n, axis=dim, norm=norm)


def rfft(input, n=None, dim=-1, norm=None):  # noqa: A002
    """The transform of a real signal: the n//2 + 1 non-negative frequencies."""
    return _run("rfft", input, "rfft", real_only=True, n=n, axis=dim, norm=norm)


def irfft(input, n=None, dim=-1, norm=None):  # noqa: A002
    """The real signal of length ``n`` (default 2·(m − 1)) whose rfft is ``input`` (m frequencies)."""
    return _run("irfft", input, "irfft", n=n, axis=dim, norm=norm)


# -- two and n dimensions ---------------------------------------------------------------------------
def fftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """The transform over the axes ``dim`` (all when None), each cropped or padded to ``s``."""
    s, dim = _sizes_and_dims(s, dim, input.ndim)
    return _run("fftn", input, "fftn", s=s, axes=dim, norm=norm)


def ifftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """The inverse transform over the axes ``dim`` (all when None)."""
    s, dim = _sizes_and_dims(s, dim, input.ndim)
    return _run("ifftn", input, "ifftn", s=s, axes=dim, norm=norm)


def rfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """The transform of a real signal over ``dim``, halved (n//2 + 1) along the last of them."""
    s, dim = _sizes_and_dims(s, dim, input.ndim)
    return _run("rfftn", input, "rfftn", real_only=True, s=s, axes=dim, norm=norm)


def irfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """The real signal whose rfftn is ``input``; the last axis has ``s[-1]`` (default 2·(m − 1)) points."""
    s, dim = _sizes_and_dims(s, dim, input.ndim)
    return _run("irfftn", input, "irfftn", s=s, axes=dim, norm=norm)


def fft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """:func:`fftn` over the last two axes."""
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """:func:`ifftn` over the last two axes."""
    return ifftn(input, s, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """:func:`rfftn` over the last two axes."""
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """:func:`irfftn` over the last two axes."""
    return irfftn(input, s, dim, norm)
