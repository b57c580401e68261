"""Op-registry entries for the differentiable part of ``gn.fft``: the shifts, which are rolls
of real tensors, and ``gn.stft`` of a real signal with ``return_complex=False`` (a real linear
map); the complex transforms themselves are forward-only: tests/test_fft.py, tests/test_stft.py."""

import numpy as np

import glassnet as gn

__all__ = ["fft_ops"]


def _torch_fft():
    import torch.fft

    return torch.fft


def _torch_stft(x, window, **kw):
    import torch

    spectra = torch.stft(x, 8, 3, window=torch.tensor(window, dtype=x.dtype), return_complex=True, **kw)
    return torch.view_as_real(spectra)  # return_complex=False's layout, without its deprecation warning


def _np_stft(x, n_fft, hop, window, normalized=False, onesided=True):
    """Centred (reflect) frames, windowed, each transformed: the view_as_real layout (…, freq, T, 2)."""
    half = n_fft // 2
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(half, half)], mode="reflect")
    starts = range(0, padded.shape[-1] - n_fft + 1, hop)
    frames = np.stack([padded[..., s:s + n_fft] * window for s in starts], axis=-2)
    out = np.fft.fft(frames, axis=-1)[..., : (half + 1 if onesided else n_fft)]
    out = np.swapaxes(out, -1, -2) / (np.sqrt(n_fft) if normalized else 1)
    return np.stack([out.real, out.imag], axis=-1)


def _stft_ops(O):  # noqa: N803
    window = np.hanning(10)[1:-1] + 0.1  # 8 points, nowhere zero
    shapes = (((12,),), ((2, 9),), ((3, 16),))
    cases = [("fft_stft", {}), ("fft_stft_normalized_twosided", {"normalized": True, "onesided": False})]
    return [
        O(name,
          lambda x, kw=kw: gn.stft(x, 8, 3, window=gn.tensor(window, dtype=x.dtype), return_complex=False,
                                   **kw),
          lambda x, kw=kw: _np_stft(x, 8, 3, window, **kw),
          lambda x, kw=kw: _torch_stft(x, window, **kw),
          "StftReal", domain="smooth", shapes=shapes, large=((2, 24),))
        for name, kw in cases
    ]


def fft_ops(O):  # noqa: N803  (the registry's OpSpec)
    shapes = (((2,),), ((3, 2),), ((5, 4),))
    return [
        O("fft_fftshift", gn.fft.fftshift, np.fft.fftshift, lambda x: _torch_fft().fftshift(x), "roll",
          shapes=shapes, large=((5, 7),)),
        O("fft_ifftshift_dim0", lambda x: gn.fft.ifftshift(x, 0), lambda x: np.fft.ifftshift(x, 0),
          lambda x: _torch_fft().ifftshift(x, 0), "roll", shapes=shapes, large=((5, 7),)),
        *_stft_ops(O),
    ]
