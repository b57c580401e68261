"""PyTorch's window functions for spectral analysis: ``hann_window``, ``hamming_window``,
``blackman_window``, ``bartlett_window``, ``kaiser_window``.

With ``periodic=True`` (PyTorch's default) a window of length N is the symmetric window of
length N + 1 without its last point (what a DFT of length N wants); ``periodic=False`` gives
the symmetric window. For n = 0 … M−1 with M the symmetric length:

- Hann: ½ − ½·cos(2πn/(M−1));  Hamming: α − β·cos(2πn/(M−1));
- Blackman: 0.42 − 0.5·cos(2πn/(M−1)) + 0.08·cos(4πn/(M−1));
- Bartlett: 1 − |2n/(M−1) − 1|;  Kaiser: I₀(β·√(1 − (2n/(M−1) − 1)²)) / I₀(β).
"""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


def _window(name, length, periodic, symmetric, dtype, device, requires_grad):
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise GlassnetValueError(f"{name}: window_length must be a non-negative int, got {length!r}")
    if length <= 1:
        values = np.ones(length)
    else:
        values = symmetric(length + 1)[:-1] if periodic else symmetric(length)
    t = Tensor(values.astype(np.dtype(dtype or get_default_dtype())))
    return (t if device is None else t.to(device)).requires_grad_(requires_grad)


def _cosines(m, *weights):
    n = np.arange(m)
    return sum(w * np.cos(2 * np.pi * k * n / (m - 1)) for k, w in enumerate(weights))


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False, layout=None):
    """The Hann window ½ − ½·cos(2πn/(M−1))."""
    return _window("hann_window", window_length, periodic, lambda m: _cosines(m, 0.5, -0.5), dtype, device,
                   requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, device=None,
                   requires_grad=False, layout=None):
    """The Hamming window α − β·cos(2πn/(M−1))."""
    return _window("hamming_window", window_length, periodic, lambda m: _cosines(m, alpha, -beta), dtype,
                   device,
                   requires_grad)


def blackman_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False,
                    layout=None):
    """The Blackman window 0.42 − 0.5·cos(2πn/(M−1)) + 0.08·cos(4πn/(M−1))."""
    return _window("blackman_window", window_length, periodic, lambda m: _cosines(m, 0.42, -0.5, 0.08), dtype,
                   device, requires_grad)


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False,
                    layout=None):
    """The triangular Bartlett window 1 − |2n/(M−1) − 1|."""
    return _window("bartlett_window", window_length, periodic,
                   lambda m: 1 - np.abs(2 * np.arange(m) / (m - 1) - 1), dtype, device, requires_grad)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None, requires_grad=False,
                  layout=None):
    """The Kaiser window I₀(β·√(1 − (2n/(M−1) − 1)²)) / I₀(β)."""
    return _window("kaiser_window", window_length, periodic, lambda m: np.kaiser(m, beta), dtype, device,
                   requires_grad)
