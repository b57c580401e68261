"""Functional forms for embeddings and similarity (re-exported by ``nn.functional``).

``embedding`` uses the lookup primitive; ``normalize`` and ``cosine_similarity`` are
composed from primitives, with PyTorch's ``eps`` semantics.
"""

import numpy as np

from glassnet import ops
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._embedding import embedding_lookup

__all__ = ["embedding", "normalize", "cosine_similarity"]


def _indices(input):
    if isinstance(input, Tensor):
        return input.array
    return np.asarray(input)


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (V, D) at the integer ``input`` (any shape) → (*input.shape, D).

    Repeated indices add their gradients; the ``padding_idx`` row gets none."""
    if padding_idx is not None:
        rows = weight.shape[0]
        if not -rows <= padding_idx < rows:
            raise GlassnetValueError(
                f"embedding: padding_idx {padding_idx} out of range for {rows} rows"
            )
        padding_idx %= rows
    return embedding_lookup(weight, _indices(input), padding_idx)


def _clamped_norm(x, dim, eps, p=2):
    """``max(‖x‖_p, eps)`` along dim (kept). For p = 2 as ``sqrt(max(Σx², eps²))``: the same
    value, and a zero vector gets a zero gradient instead of 0/0."""
    if p == 2:
        return ops.sqrt(ops.maximum((x * x).sum(dim=dim, keepdim=True), eps * eps))
    s = (ops.abs(x) ** p).sum(dim=dim, keepdim=True)
    return ops.maximum(ops.maximum(s, eps**p) ** (1.0 / p), eps)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """``x / max(‖x‖_p, eps)`` along ``dim`` (PyTorch's ``F.normalize``)."""
    return input / _clamped_norm(input, dim, eps, p)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``Σ x1·x2 / (max(‖x1‖, eps) · max(‖x2‖, eps))`` along ``dim`` (shapes broadcast).

    As PyTorch, each norm is clamped separately, so a zero vector has similarity 0 with
    everything, and the vectors are scaled to unit length before the sum (precision).

    Args:
        x1: the first vectors.
        x2: the second vectors (broadcastable with ``x1``).
        dim: the dimension holding the vectors' components (default 1).
        eps: the smallest norm a vector is divided by (default 1e-8).

    Shape:
        ``x1`` and ``x2`` broadcast to ``(*, D, *)`` with D at ``dim`` → output ``(*, *)``
        (``dim`` removed).

    Example:
        >>> import glassnet as gn
        >>> a = gn.tensor([[1.0, 0.0], [1.0, 1.0]])
        >>> b = gn.tensor([[0.0, 1.0], [2.0, 2.0]])
        >>> print(gn.nn.functional.cosine_similarity(a, b).numpy().round(4))   # 90°, 0°
        [0. 1.]
    """
    shape = _broadcast(x1, x2)
    x1 = x1 if tuple(x1.shape) == shape else ops.broadcast_to(x1, shape)
    x2 = x2 if tuple(x2.shape) == shape else ops.broadcast_to(x2, shape)
    u = x1 / _clamped_norm(x1, dim, eps)
    v = x2 / _clamped_norm(x2, dim, eps)
    return (u * v).sum(dim=dim)


def _broadcast(a, b):
    try:
        return np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError as exc:
        raise ShapeError(
            f"cosine_similarity: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot broadcast"
        ) from exc
