"""The short-time Fourier transform ``gn.stft`` (PyTorch's ``torch.stft``): the spectrum of
each windowed frame of a signal.

For a signal x (L,) or (B, L), frames m = 0 … T−1 of n_fft points taken every ``hop_length``
points, and the window w of ``win_length`` points zero-padded to n_fft in the middle::

    X[ω, m] = Σ_k w[k] · x[m·hop + k] · e^(−2πi·ω·k/n_fft)      T = 1 + (L' − n_fft) // hop

where L' is the length after ``center=True`` pads n_fft // 2 points on each side
(``pad_mode``: reflect, constant, replicate, circular). ``normalized=True`` scales by
1/√n_fft; ``onesided`` keeps the n_fft // 2 + 1 non-negative frequencies (the default for a
real signal and window). The result is complex (…, freq, T), or its ``view_as_real`` layout
(…, freq, T, 2) with ``return_complex=False``. The frames are one gather through a (T, n_fft)
index plan and one FFT over all of them. A real input with a real window and ``return_complex=False`` is
differentiable (a real linear map, :class:`~glassnet.ops._stft.StftReal`); the complex
results are forward-only, as the rest of ``gn.fft``.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._mode import grad_mode
from glassnet.autograd._tensor import Tensor
from glassnet.ops._stft import StftReal, frame_plan, spectra

__all__ = ["stft"]

_PAD_MODES = ("constant", "circular", "reflect", "replicate")


def _float_array(name, what, x, refuse=True):
    """The array of ``x`` (a float or complex tensor of single or double precision)."""
    if not isinstance(x, Tensor):
        raise GlassnetTypeError(f"{name}: expected {what} to be a Tensor, got {type(x).__name__}")
    if refuse and x.requires_grad and grad_mode.enabled:
        raise GlassnetTypeError(
            f"{name}: {what} requires grad, but glassnet differentiates only stft(real input, real window, "
            "return_complex=False) in its input (magnitudes: y[..., 0]**2 + y[..., 1]**2); complex results "
            "are forward-only: compute under gn.no_grad() or on .detach()"
        )
    a = x.array
    if a.dtype.kind not in "fc" or a.dtype.itemsize < 4 or (a.dtype.kind == "c" and a.dtype.itemsize < 8):
        raise GlassnetTypeError(
            f"{name}: expected {what} of float32, float64, complex64 or complex128, got {a.dtype} "
            "(convert with .float() or .double())"
        )
    return a


def frame_sizes(name, n_fft, hop_length, win_length, hop_limit=None):
    """PyTorch's defaults (hop n_fft // 4, win_length n_fft) and checks of the three sizes."""
    for what, size in (("n_fft", n_fft), ("hop_length", hop_length), ("win_length", win_length)):
        if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer))):
            raise GlassnetTypeError(f"{name}: expected {what} to be an int, got {size!r}")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if not 0 < win_length <= n_fft:
        raise GlassnetValueError(
            f"{name}: expected 0 < win_length <= n_fft, got win_length={win_length} with n_fft={n_fft}"
        )
    top = win_length if hop_limit == "win_length" else None
    if hop_length <= 0 or (top is not None and hop_length > top):
        fits = "0 < hop_length <= win_length" if top is not None else "hop_length > 0"
        raise GlassnetValueError(
            f"{name}: expected {fits}, got hop_length={hop_length} (win_length={win_length})"
        )
    return hop_length, win_length


def padded_window(name, window, win_length, n_fft, signal):
    """The window (default rectangular, of ``signal``'s real dtype) of ``win_length`` points,
    zero-padded to n_fft in the middle."""
    if window is None:
        w = namespace(signal).ones(win_length, dtype=signal.real.dtype)
    else:
        w = _float_array(name, "the window", window)
        if w.ndim != 1 or w.shape[0] != win_length:
            raise ShapeError(
                f"{name}: expected a 1-D window of size win_length={win_length}, got shape {tuple(w.shape)}"
            )
    left = (n_fft - win_length) // 2
    xp = namespace(w)
    out = xp.zeros(n_fft, dtype=w.dtype)
    out[left:left + win_length] = w
    return out


def _padding(length, n_fft, win_length, center, pad_mode, align_to_window, shape):
    """``(mode, left, right)`` of the signal's padding, or None."""
    if align_to_window:  # the window sits at the start of each hop, not n_fft's middle
        left = (n_fft - win_length) // 2
        return "constant", left, n_fft - win_length - left
    if not center:
        return None
    if pad_mode not in _PAD_MODES:
        raise GlassnetValueError(f"stft: pad_mode must be one of {_PAD_MODES}, got {pad_mode!r}")
    half = n_fft // 2
    shortest = max({"reflect": half + 1, "circular": half}.get(pad_mode, 1), 1)
    if length < shortest:
        raise GlassnetValueError(
            f"stft: center=True pads n_fft // 2 = {half} points on each side in {pad_mode!r} mode, which "
            f"needs a signal of at least {shortest} points, got shape {shape}"
        )
    return pad_mode, half, half


def _output_kind(a, w, onesided, return_complex, align_to_window, center):
    """PyTorch's defaults and checks of ``onesided`` and ``return_complex``."""
    is_complex = a.dtype.kind == "c" or w.dtype.kind == "c"
    if return_complex is None and not is_complex:
        raise GlassnetValueError(
            "stft: return_complex must be given for a real input and window (as in PyTorch 2.x): pass "
            "return_complex=True for complex (…, freq, frames) or False for its view_as_real layout"
        )
    if align_to_window is not None and center:
        raise GlassnetValueError(f"stft: align_to_window={align_to_window} applies only with center=False")
    onesided = not is_complex if onesided is None else onesided
    if onesided and is_complex:
        raise GlassnetValueError(
            f"stft: onesided=True needs a real input and window, got input {a.dtype} and window {w.dtype}; "
            "pass onesided=False"
        )
    return onesided, (True if return_complex is None else return_complex), is_complex


def _padding_of(a, shape, n_fft, win_length, center, pad_mode, align_to_window):
    """The signal's padding, once its shape and n_fft are checked against it."""
    if a.ndim not in (1, 2):
        raise ShapeError(f"stft: expected a 1-D (L,) or 2-D (B, L) signal, got shape {shape}")
    pad = _padding(a.shape[-1], n_fft, win_length, center, pad_mode, align_to_window, shape)
    extra = 0 if pad is None else pad[1] + pad[2]
    if not 0 < n_fft <= a.shape[-1] + extra:
        raise GlassnetValueError(
            f"stft: expected 0 < n_fft <= {a.shape[-1] + extra} (the signal's {a.shape[-1]} points and "
            f"{extra} of padding), got n_fft={n_fft} for a signal of shape {shape}"
        )
    return pad


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,  # noqa: A002
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None, align_to_window=None):
    """The spectra (…, freq, frames) of the windowed frames of ``input`` (L,) or (B, L); see the
    module docstring for the formula."""
    a = _float_array("stft", "the input", input, refuse=False)
    hop_length, win_length = frame_sizes("stft", n_fft, hop_length, win_length)
    w = padded_window("stft", window, win_length, n_fft, a)
    onesided, return_complex, is_complex = _output_kind(a, w, onesided, return_complex, align_to_window,
                                                        center)
    pad = _padding_of(a, tuple(input.shape), n_fft, win_length, center, pad_mode, align_to_window)
    idx, weights = frame_plan(a.shape[-1], n_fft, hop_length, w, pad)
    norm = "ortho" if normalized else "backward"
    if not return_complex and not is_complex:  # real to real: differentiable in the signal
        return StftReal.apply(input, idx=idx, weights=weights, onesided=onesided, norm=norm)
    _float_array("stft", "the input", input)  # complex results: refuse an input that requires grad
    out = spectra(a, idx, weights, onesided, norm)
    xp = namespace(a)
    if not return_complex:
        out = xp.stack([out.real, out.imag], axis=-1)
    return Tensor._wrap(xp.ascontiguousarray(out), False, None)
