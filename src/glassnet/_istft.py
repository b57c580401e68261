"""The inverse short-time Fourier transform ``gn.istft`` (PyTorch's ``torch.istft``).

Each frame's inverse FFT (n_fft points) is multiplied by the window w (zero-padded to n_fft)
and overlap-added at m·hop; the sum is divided by the window envelope (w², also for a complex
window, as PyTorch)::

    y[t] = Σ_m w[t − m·hop] · ifft(X[:, m])[t − m·hop]  /  Σ_m w[t − m·hop]²

which gives the signal back when the envelope is nowhere ~0 (the NOLA condition, checked).
``center=True`` drops the n_fft // 2 points stft padded at each end; ``length`` trims or
zero-pads the result to that many points. ``onesided`` (default: the frequency axis has
n_fft // 2 + 1 rows, not n_fft) takes the real inverse, as does a full spectrum with
``return_complex=False`` (from its first n_fft // 2 + 1 rows, as PyTorch); ``return_complex=True``
keeps a complex signal. Input (freq, frames) or (B, freq, frames), complex. Forward-only, as ``gn.fft``.
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet._stft import _float_array, frame_sizes, padded_window
from glassnet.autograd._tensor import Tensor

__all__ = ["istft"]


def _overlap_add(frames, hop):
    """Σ_m frames[…, m, t − m·hop] over a signal of n_fft + hop·(T − 1) points."""
    xp = namespace(frames)
    n_frames, n_fft = frames.shape[-2:]
    blocks = -(-n_fft // hop)
    frames = xp.pad(frames, [(0, 0)] * (frames.ndim - 1) + [(0, blocks * hop - n_fft)])
    frames = frames.reshape(frames.shape[:-1] + (blocks, hop))
    out = xp.zeros(frames.shape[:-3] + (n_frames + blocks - 1, hop), dtype=frames.dtype)
    for j in range(blocks):  # block j of frame m lands on block m + j: no overlap within one j
        out[..., j:j + n_frames, :] += frames[..., :, j, :]
    return out.reshape(out.shape[:-2] + (-1,))[..., : n_fft + hop * (n_frames - 1)]


def _spectra(input, n_fft, onesided):
    a = _float_array("istft", "the input", input)
    if a.dtype.kind != "c":
        raise GlassnetTypeError(
            f"istft: expected a complex input (…, freq, frames) as stft(..., return_complex=True) gives, got "
            f"{a.dtype} of shape {tuple(input.shape)} (use gn.view_as_complex on a (…, 2) layout)"
        )
    if a.ndim not in (2, 3):
        raise ShapeError(
            f"istft: expected a (freq, frames) or (B, freq, frames) input, got shape {tuple(a.shape)}"
        )
    onesided = a.shape[-2] != n_fft if onesided is None else onesided
    rows = n_fft // 2 + 1 if onesided else n_fft
    if a.shape[-2] != rows:
        raise ShapeError(
            f"istft: with n_fft={n_fft} and onesided={onesided} the frequency axis (-2) must have {rows} "
            "rows, "
            f"got shape {tuple(a.shape)}"
        )
    return a, onesided


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,  # noqa: A002
          normalized=False, onesided=None, length=None, return_complex=False):
    """The signal (L,) or (B, L) whose stft is ``input``; see the module docstring."""
    a, onesided = _spectra(input, n_fft, onesided)
    hop_length, win_length = frame_sizes("istft", n_fft, hop_length, win_length, hop_limit="win_length")
    w = padded_window("istft", window, win_length, n_fft, a)
    if return_complex and onesided:
        raise GlassnetValueError(
            "istft: return_complex=True needs onesided=False (a full spectrum of n_fft rows)"
        )
    if not return_complex and w.dtype.kind == "c":
        raise GlassnetValueError(f"istft: a complex window ({w.dtype}) needs return_complex=True")
    xp = namespace(a)
    norm = "ortho" if normalized else "backward"
    spectra = xp.swapaxes(a, -1, -2)  # (…, frames, freq)
    if return_complex:
        frames = xp.fft.ifft(spectra, n_fft, axis=-1, norm=norm)
    else:
        frames = xp.fft.irfft(spectra[..., : n_fft // 2 + 1], n_fft, axis=-1, norm=norm)
    y = _overlap_add(frames * w, hop_length)
    envelope = _overlap_add(xp.broadcast_to(w * w, (a.shape[-1], n_fft)), hop_length)
    full = y.shape[-1]
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (-(n_fft // 2) if center else full)
    y, envelope = y[..., start:end], envelope[start:end]
    lowest = float(xp.abs(envelope).min()) if envelope.size else 1.0
    if lowest < 1e-11:
        raise GlassnetValueError(
            f"istft: the window envelope Σ_m w²[t − m·hop] drops to {lowest:.3g} (NOLA "
            f"violated) with n_fft={n_fft}, hop_length={hop_length}, win_length={win_length}; use a window "
            "that overlaps itself everywhere (e.g. gn.hann_window with hop_length <= win_length // 2)"
        )
    y = y / envelope
    if end > full:
        y = xp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, end - full)])
    return Tensor._wrap(xp.ascontiguousarray(y), False, None)
