"""The framing of the short-time Fourier transform and its one differentiable form.

A frame plan turns a signal of L points into T frames of n_fft points: ``idx[m, k]`` is the
signal point that frame m reads at k (after ``center``'s padding, which is itself a choice of
points: reflect, replicate, circular), and ``weights[m, k]`` the window value there (0 where
constant padding put a zero). Then, with s = 1 (or 1/√n_fft when normalized)::

    X[…, ω, m] = s · Σ_k weights[m, k] · x[…, idx[m, k]] · e^(−2πi·ω·k/n_fft)

:class:`StftReal` is that map for a real signal, giving the real and imaginary parts side by
side (…, freq, T, 2) — PyTorch's ``return_complex=False`` layout. It is linear and real, so its
gradient is exact: the adjoint, dF[m, k] = s · Re Σ_ω G[ω, m] · e^(+2πi·ω·k/n_fft) (G = g₀ + i·g₁),
weighted and added back onto the points each frame read.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet.autograd._function import Function

__all__ = ["StftReal", "frame_plan", "spectra"]

_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def frame_plan(length, n_fft, hop, window, pad):
    """``(idx, weights)``, each (T, n_fft), for a signal of ``length`` points; ``window`` has n_fft
    points; ``pad`` is None, ``(mode, left, right)``."""
    source = np.arange(length)
    if pad is not None:
        mode, left, right = pad
        if mode == "constant":
            source = np.pad(source, (left, right), constant_values=-1)
        else:
            source = np.pad(source, (left, right), mode=_NUMPY_MODES[mode])
    frames = 1 + (source.shape[0] - n_fft) // hop
    idx = source[hop * np.arange(frames)[:, None] + np.arange(n_fft)]
    xp = namespace(window)
    valid = xp.asarray(idx >= 0)
    return xp.asarray(np.maximum(idx, 0)), window * valid


def spectra(x, idx, weights, onesided, norm):
    """The complex spectra (…, freq, T) of the frames of ``x`` (…, L)."""
    xp = namespace(x)
    frames = x[..., idx] * weights  # (…, T, n_fft)
    out = xp.fft.rfft(frames, axis=-1, norm=norm) if onesided else xp.fft.fft(frames, axis=-1, norm=norm)
    return xp.swapaxes(out, -1, -2)


_DUAL = {"backward": "forward", "ortho": "ortho"}


class StftReal(Function):
    """The stft of a real signal (…, L) in the view_as_real layout (…, freq, T, 2)."""

    formula = "y[…, ω, m, :] = (Re, Im) of s·Σ_k w[m, k]·x[…, idx[m, k]]·e^(−2πi·ω·k/n_fft)"
    grad_formulas = ("dx[…, idx[m, k]] += w[m, k] · s·Re Σ_ω (dy₀ + i·dy₁)[…, ω, m]·e^(+2πi·ω·k/n_fft)",)
    linear = True

    def forward(self, x, idx, weights, onesided, norm):
        out = spectra(x, idx, weights, onesided, norm)
        return namespace(x).stack([out.real, out.imag], axis=-1)

    def backward(self, g):
        (x,) = self.inputs
        idx, weights, norm = self.params["idx"], self.params["weights"], self.params["norm"]
        xp = namespace(g)
        n_fft = idx.shape[-1]
        dy = xp.swapaxes(g[..., 0] + 1j * g[..., 1], -1, -2)  # (…, T, freq)
        d_frames = xp.fft.ifft(dy, n=n_fft, axis=-1, norm=_DUAL[norm]).real * weights
        batch, length = x.shape[:-1], x.shape[-1]
        rows = int(np.prod(batch))
        flat = (xp.arange(rows)[:, None] * length + idx.reshape(1, -1)).reshape(-1)
        dx = xp.bincount(flat, weights=d_frames.reshape(-1), minlength=rows * length)
        return (dx.reshape(tuple(batch) + (length,)).astype(x.dtype, copy=False),)
