"""Gradient utilities (``gn.nn.utils``); padding and packing of sequences in
:mod:`glassnet.nn.utils.rnn`; reparametrisations (:mod:`~glassnet.nn.utils.parametrize`,
:mod:`~glassnet.nn.utils.parametrizations`, the old hooks ``weight_norm`` and ``spectral_norm``); BatchNorm
folding (:mod:`~glassnet.nn.utils.fusion`); ``stateless.functional_call``; pruning
(:mod:`~glassnet.nn.utils.prune`)."""

import math
import warnings

import numpy as np

from glassnet._backend import get_default_dtype, namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.nn._nearest import nearest
from glassnet.nn.utils import fusion, parametrizations, parametrize, prune, rnn, stateless
from glassnet.nn.utils._grad_norm import clip_grads_with_norm_, get_total_norm
from glassnet.nn.utils._spectral_norm import remove_spectral_norm, spectral_norm
from glassnet.nn.utils._weight_norm import remove_weight_norm, weight_norm
from glassnet.nn.utils.fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights",
           "fusion", "get_total_norm", "nearest", "parameters_to_vector", "parametrizations",
           "parametrize", "prune", "remove_spectral_norm", "remove_weight_norm", "rnn", "skip_init",
           "spectral_norm", "stateless", "vector_to_parameters", "weight_norm"]


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so their joint norm is at most ``max_norm``.

    ``total = (Σ_p ‖g_p‖^k)^(1/k)``; if ``total > max_norm`` every gradient is multiplied
    by ``max_norm / (total + 1e-6)``. Returns ``total`` (before clipping) as a 0-d tensor
    in the gradients' dtype, as PyTorch (``norm.item()``, ``float(norm)``, ``f"{norm:.3f}"``).
    ``error_if_nonfinite`` raises when the total is nan or inf; ``foreach`` is accepted.
    """
    params = _with_grads(parameters)
    if not params:
        return Tensor._wrap(np.asarray(0.0, dtype=get_default_dtype()), False, None)
    if norm_type == math.inf:
        total = max(float(namespace(p.grad.array).abs(p.grad.array).max()) for p in params)
    else:
        total = sum(
            float((namespace(p.grad.array).abs(p.grad.array) ** norm_type).sum()) for p in params
        ) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise GlassnetValueError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients "
                                 "is non-finite, so it cannot be clipped; pass error_if_nonfinite=False to "
                                 "scale them by it anyway")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            p.grad = Tensor._wrap(p.grad.array * p.grad.dtype.type(coef), False, None)
    return Tensor._wrap(np.asarray(total, dtype=params[0].grad.dtype), False, None)


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


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated: :func:`clip_grad_norm_` (PyTorch's old name; it warns as PyTorch does)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (in place, without
    recording): the inverse of :func:`parameters_to_vector`."""
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise GlassnetValueError(f"vector_to_parameters: expected a 1-D tensor of the parameters' {total} "
                                 f"values, got shape {tuple(vec.shape)}")
    start = 0
    with no_grad():
        for p in params:
            p.array[...] = vec.array[start:start + p.numel()].reshape(p.shape)
            start += p.numel()


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)``: PyTorch skips the initialisation to save time and
    leaves the values undefined; glassnet initialises as usual (the values are defined, and
    the code that follows overwrites them either way)."""
    return module_cls(*args, **kwargs)
