"""Gradient utilities (``gn.nn.utils``); padding and packing of sequences in
:mod:`glassnet.nn.utils.rnn`."""

import math

from glassnet._backend import namespace
from glassnet.autograd._tensor import Tensor
from glassnet.nn._nearest import nearest
from glassnet.nn.utils import rnn

__all__ = ["clip_grad_norm_", "clip_grad_value_", "nearest", "parameters_to_vector", "rnn"]


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Scale all gradients together so their joint norm is at most ``max_norm``.

    ``total = (Σ_p ‖g_p‖^k)^(1/k)``; if ``total > max_norm`` every gradient is multiplied
    by ``max_norm / (total + 1e-6)``. Returns ``total`` (before clipping) as a float.
    """
    params = _with_grads(parameters)
    if not params:
        return 0.0
    if norm_type == math.inf:
        total = max(float(namespace(p.grad.array).abs(p.grad.array).max()) for p in params)
    else:
        total = sum(
            float((namespace(p.grad.array).abs(p.grad.array) ** norm_type).sum()) for p in params
        ) ** (1.0 / norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            p.grad = Tensor._wrap(p.grad.array * p.grad.dtype.type(coef), False, None)
    return total


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient element to ``[-clip_value, clip_value]``."""
    for p in _with_grads(parameters):
        xp = namespace(p.grad.array)
        p.grad = Tensor._wrap(xp.clip(p.grad.array, -clip_value, clip_value), False, None)


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-D tensor (a copy)."""
    params = list(parameters)
    xp = namespace(params[0].array)
    return Tensor._wrap(xp.concatenate([p.array.reshape(-1) for p in params]), False, None)
