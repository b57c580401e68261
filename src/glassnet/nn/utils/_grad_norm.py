"""The gradient-norm pieces of ``torch.nn.utils`` that ``clip_grad_norm_`` is made of:
``get_total_norm`` and ``clip_grads_with_norm_``.

``total = ‖(‖g₁‖_p, ‖g₂‖_p, …)‖_p`` (for p = 2: the square root of every squared gradient
entry summed); clipping multiplies every gradient by ``min(max_norm / (total + 1e-6), 1)``.
"""

import math

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor

__all__ = ["get_total_norm", "clip_grads_with_norm_"]


def _vector_norm(xp, a, p):
    a = xp.abs(a.reshape(-1))
    if p == math.inf:
        return a.max() if a.size else xp.asarray(0.0, dtype=a.dtype)
    if p == -math.inf:
        return a.min()
    if p == 0:
        return xp.asarray((a != 0).sum(), dtype=a.dtype)
    return (a**p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of the p-norms of ``tensors`` — their joint norm, as one 0-d tensor.

    Args:
        tensors: a tensor or an iterable of tensors (usually the gradients).
        norm_type: p (default 2; ``inf`` the largest absolute entry).
        error_if_nonfinite: raise when the norm is nan or inf (default False).
        foreach: accepted for PyTorch code (one path here).

    Example:
        >>> import glassnet as gn
        >>> gn.nn.utils.get_total_norm([gn.tensor([3.0]), gn.tensor([4.0])]).item()
        5.0
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32), False, None)
    xp = namespace(tensors[0].array)
    norms = xp.stack([_vector_norm(xp, t.array, norm_type) for t in tensors])
    total = _vector_norm(xp, norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise GlassnetValueError(f"get_total_norm: the total norm of order {norm_type} of the gradients "
                                 "is non-finite, so it cannot be clipped; pass error_if_nonfinite=False to "
                                 "scale the gradients by it anyway")
    return Tensor._wrap(xp.asarray(total), False, None)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every gradient by ``min(max_norm / (total_norm + 1e-6), 1)``, in place
    (``total_norm`` from :func:`get_total_norm`, perhaps all-reduced first)."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coef = min(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        g.array *= g.dtype.type(coef)

