"""``gn.fft``: PyTorch's ``torch.fft`` — the discrete Fourier transforms (``fft``, ``rfft``,
their inverses, 2-D and n-D forms) with ``n``/``s``, ``dim`` and ``norm``, and the
frequency helpers (``fftfreq``, ``rfftfreq``, ``fftshift``, ``ifftshift``).

The transforms return complex tensors (complex64 from float32, complex128 from float64):
glassnet holds them, prints them, takes ``.real``, ``.imag``, ``.abs()``, ``.angle()``,
``gn.view_as_real`` of them and lets them through elementwise arithmetic, but does not
differentiate through complex numbers — a transform of an input that requires grad is
refused with a message. The shifts and frequencies are real and differentiable.

>>> import glassnet as gn
>>> gn.fft.rfft(gn.tensor([1.0, 0.0, -1.0, 0.0])).real.tolist()
[0.0, 2.0, 0.0]

The Hermitian transforms ``hfft``/``ihfft`` (and ``hfft2``, ``ihfft2``, ``hfftn``, ``ihfftn``)
take or give the half spectrum of a Hermitian-symmetric signal (see ``_hermitian``).
"""

from glassnet.fft._frequencies import fftfreq, fftshift, ifftshift, rfftfreq
from glassnet.fft._hermitian import hfft, hfft2, hfftn, ihfft, ihfft2, ihfftn
from glassnet.fft._transforms import (
    fft,
    fft2,
    fftn,
    ifft,
    ifft2,
    ifftn,
    irfft,
    irfft2,
    irfftn,
    rfft,
    rfft2,
    rfftn,
)

__all__ = [
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "hfft2",
    "hfftn",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "ihfft",
    "ihfft2",
    "ihfftn",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
]
