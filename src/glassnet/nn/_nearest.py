"""``gn.nn.utils.nearest``: the k rows of an embedding table closest to a query."""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor

__all__ = ["nearest"]

_METRICS = ("cosine", "dot", "euclidean")


def _array(x):
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _scores(E, Q, metric, xp):
    """(Q, V) scores, higher = nearer: cosine and dot are one GEMM ``Q·Eᵀ``; euclidean is
    the negative distance, ``‖q‖² - 2 q·e + ‖e‖²`` from the same GEMM."""
    S = Q @ E.T
    if metric == "dot":
        return S
    if metric == "cosine":
        qn = xp.maximum(xp.sqrt((Q * Q).sum(axis=1, keepdims=True)), 1e-8)
        en = xp.maximum(xp.sqrt((E * E).sum(axis=1)), 1e-8)
        return S / qn / en
    d2 = (Q * Q).sum(axis=1, keepdims=True) - 2 * S + (E * E).sum(axis=1)
    return -xp.sqrt(xp.maximum(d2, 0))


def nearest(embeddings, query, k=5, metric="cosine"):
    """``(indices, scores)`` of the ``k`` rows of ``embeddings`` (V, D) nearest to ``query``
    (D,) or to each row of (Q, D), best first.

    ``metric``: ``"cosine"`` (scores = cosine similarities, eps 1e-8 as
    ``F.cosine_similarity``), ``"dot"`` (inner products) or ``"euclidean"`` (scores =
    distances, smallest first). Shapes (k,) or (Q, k); no gradient flows.
    """
    if metric not in _METRICS:
        raise GlassnetValueError(f"nearest: metric must be one of {_METRICS}, got {metric!r}")
    E, Q = _array(embeddings), _array(query)
    single = Q.ndim == 1
    Q = Q[None] if single else Q
    if E.ndim != 2 or Q.ndim != 2 or Q.shape[1] != E.shape[1]:
        raise ShapeError(
            f"nearest: embeddings (V, D) and query (D,) or (Q, D) with the same D; got "
            f"{tuple(E.shape)} and {tuple(_array(query).shape)}"
        )
    if not 1 <= k <= E.shape[0]:
        raise GlassnetValueError(f"nearest: k must be in 1..{E.shape[0]} (the table's rows), got {k}")
    xp = namespace(E)
    S = _scores(E, Q.astype(E.dtype, copy=False), metric, xp)
    top = xp.argpartition(-S, k - 1, axis=1)[:, :k]
    top_scores = xp.take_along_axis(S, top, axis=1)
    order = xp.argsort(-top_scores, axis=1, kind="stable")
    idx = xp.take_along_axis(top, order, axis=1)
    scores = xp.take_along_axis(top_scores, order, axis=1)
    if metric == "euclidean":
        scores = -scores
    if single:
        idx, scores = idx[0], scores[0]
    return Tensor._wrap(idx.astype(np.int64), False, None), Tensor._wrap(scores, False, None)
