"""Op-registry entries for the differentiable part of ``gn.fft``: the shifts, which are rolls
of real tensors (the transforms themselves are forward-only: tests/test_fft.py)."""

import numpy as np

import glassnet as gn

__all__ = ["fft_ops"]


def _torch_fft():
    import torch.fft

    return torch.fft


def fft_ops(O):  # noqa: N803  (the registry's OpSpec)
    shapes = (((2,),), ((3, 2),), ((5, 4),))
    return [
        O("fft_fftshift", gn.fft.fftshift, np.fft.fftshift, lambda x: _torch_fft().fftshift(x), "roll",
          shapes=shapes, large=((5, 7),)),
        O("fft_ifftshift_dim0", lambda x: gn.fft.ifftshift(x, 0), lambda x: np.fft.ifftshift(x, 0),
          lambda x: _torch_fft().ifftshift(x, 0), "roll", shapes=shapes, large=((5, 7),)),
    ]
