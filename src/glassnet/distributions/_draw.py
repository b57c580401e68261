"""Parameter-free noise and non-reparameterisable draws for the distributions, from
glassnet's generator (``gn.manual_seed``) in the parameters' dtype and device."""

import numpy as np

from glassnet._backend import generator_or_default, to_numpy
from glassnet._creation import rand
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import to_device

__all__ = ["numpy_draw", "open_uniform", "host"]


def host(t):
    """A tensor's values as a float64 NumPy array."""
    return np.asarray(to_numpy(t.detach().array), dtype=np.float64)


def numpy_draw(like, draw, shape):
    """``draw(rng, shape)`` (a NumPy array) as a tensor of ``like``'s dtype and device, no gradient."""
    values = np.asarray(draw(generator_or_default(None, "distributions"), tuple(shape)))
    t = Tensor._wrap(values.astype(np.dtype(str(like.dtype))), False, None)
    return t if like.device.type == "cpu" else to_device(t, like.device)


def open_uniform(shape, like):
    """u ~ U(0, 1) kept inside [tiny, 1 − eps] so log u and log(1 − u) are finite."""
    finfo = np.finfo(np.dtype(str(like.dtype)))
    u = rand(tuple(shape), dtype=like.dtype, device=like.device)
    return u.clamp(min=float(finfo.tiny), max=1 - float(finfo.eps))
