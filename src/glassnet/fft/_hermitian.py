"""The Hermitian transforms: ``hfft`` (of a signal whose spectrum is real, given by its
n//2 + 1 non-negative-frequency half) and its inverse ``ihfft``, in 1, 2 and n dimensions,
with PyTorch's ``n``/``s``, ``dim`` and ``norm``.

With ``norm="backward"`` (the default), x (m points, Hermitian-symmetric once extended to n)::

    hfft(x, n)[k] = Σ_t x_full[t] · e^(−2πi·k·t/n) = n · irfft(conj(x), n)[k]      (real, n points)
    ihfft(y)      = conj(rfft(y)) / n = the first n//2 + 1 points of ifft(y)        (y real)

so ``hfftn(x) = irfftn(conj(x))`` and ``ihfftn(y) = conj(rfftn(y))`` with the normalisation
moved to the other side (``backward ↔ forward``, ``ortho`` stays). Forward-only, as the rest
of ``gn.fft``.
"""

from glassnet._backend import namespace
from glassnet.fft._transforms import _run, _sizes_and_dims

__all__ = ["hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn"]

_DUAL = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _hermitian_inverse(a, norm, **kwargs):
    """hfft: the inverse real transform of the conjugate, scaled the other way."""
    return namespace(a).fft.irfftn(a.conj(), norm=_DUAL[norm], **kwargs)


def _hermitian_forward(a, norm, **kwargs):
    """ihfft: the conjugate of the forward real transform, scaled the other way."""
    return namespace(a).fft.rfftn(a, norm=_DUAL[norm], **kwargs).conj()


def hfft(input, n=None, dim=-1, norm=None):  # noqa: A002  (PyTorch's names)
    """The real spectrum (n points, default 2·(m − 1)) of the Hermitian signal whose first half
    is ``input`` (m points) along ``dim``."""
    return _run("hfft", input, _hermitian_inverse, s=None if n is None else (n,), axes=(dim,), norm=norm)


def ihfft(input, n=None, dim=-1, norm=None):  # noqa: A002
    """The inverse of :func:`hfft` for a real ``input``: the n//2 + 1 non-negative frequencies
    of its inverse transform; ``n`` crops or zero-pads the signal first."""
    return _run(
        "ihfft",
        input,
        _hermitian_forward,
        real_only=True,
        s=None if n is None else (n,),
        axes=(dim,),
        norm=norm,
    )


def hfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """:func:`hfft` over the axes ``dim`` (all when None): the last of them is the Hermitian
    half (output ``s[-1]`` points, default 2·(m − 1)), the others full."""
    s, dim = _sizes_and_dims(s, dim, input.ndim)
    return _run("hfftn", input, _hermitian_inverse, s=s, axes=dim, norm=norm)


def ihfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """:func:`ihfft` over the axes ``dim`` (all when None), halved along the last of them."""
    s, dim = _sizes_and_dims(s, dim, input.ndim)
    return _run("ihfftn", input, _hermitian_forward, real_only=True, s=s, axes=dim, norm=norm)


def hfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """:func:`hfftn` over the last two axes."""
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """:func:`ihfftn` over the last two axes."""
    return ihfftn(input, s, dim, norm)
