"""Complex tensors as values: the two real numbers of each element and back.

glassnet holds complex tensors (complex64, complex128) for the results of ``gn.fft`` and
lets them through the elementwise ops, but it does not differentiate through them: a
complex tensor never requires grad, and these functions refuse an input that does.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, ShapeError
from glassnet.autograd._mode import grad_mode
from glassnet.autograd._tensor import Tensor

__all__ = ["view_as_real", "view_as_complex", "real", "imag", "refuse_gradients", "COMPLEX_OF"]

COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128)}


def refuse_gradients(name, x):
    """Complex results carry no gradient: an input that requires one (with grad mode on) is
    refused rather than silently cut from the graph."""
    if x.requires_grad and grad_mode.enabled:
        raise GlassnetTypeError(
            f"{name}: the input requires grad, but glassnet does not differentiate through complex numbers "
            "(the FFT and complex views are forward-only); compute it under gn.no_grad() or on x.detach()"
        )


def _complex_input(name, x):
    if not isinstance(x, Tensor) or x.array.dtype.kind != "c":
        raise GlassnetTypeError(
            f"{name}: expected a complex tensor, got {x.dtype if isinstance(x, Tensor) else type(x).__name__}"
        )


def view_as_real(input):  # noqa: A002  (PyTorch's names)
    """A complex tensor (...) as a real one (..., 2): the real parts, then the imaginary parts
    (a copy, where PyTorch returns a view)."""
    _complex_input("view_as_real", input)
    a = input.array
    return Tensor._wrap(namespace(a).stack([a.real, a.imag], axis=-1), False, None)


def view_as_complex(input):  # noqa: A002
    """A real tensor (..., 2) of float32/float64 as a complex one (...): ``x[..., 0] + i·x[..., 1]``."""
    if not isinstance(input, Tensor) or input.array.dtype not in COMPLEX_OF:
        raise GlassnetTypeError(
            "view_as_complex: expected a float32 or float64 tensor, got "
            f"{input.dtype if isinstance(input, Tensor) else type(input).__name__}"
        )
    if not input.ndim or input.shape[-1] != 2:
        raise ShapeError(
            f"view_as_complex: the last dimension must have size 2, got shape {tuple(input.shape)}"
        )
    refuse_gradients("view_as_complex", input)
    a = input.array
    out = a[..., 0].astype(COMPLEX_OF[a.dtype])
    out.imag = a[..., 1]
    return Tensor._wrap(out, False, None)


def real(input):  # noqa: A002
    """The real parts of a complex tensor (a real tensor is returned as it is)."""
    if input.array.dtype.kind != "c":
        return input
    return Tensor._wrap(input.array.real.copy(), False, None)


def imag(input):  # noqa: A002
    """The imaginary parts of a complex tensor (PyTorch refuses real tensors, and so does glassnet)."""
    _complex_input("imag", input)
    return Tensor._wrap(input.array.imag.copy(), False, None)
