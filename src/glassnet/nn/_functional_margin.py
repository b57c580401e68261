"""Margin losses over classes, and the triplet loss with any distance (PyTorch's signatures),
composed from ops:

    multi_margin_loss:                  Σ_{i ≠ y} w_y·max(0, margin − x_y + x_i)^p / C
    multilabel_margin_loss:             Σ_{j ∈ targets} Σ_{i ∉ targets} max(0, 1 − (x_j − x_i)) / C
    triplet_margin_with_distance_loss:  max(d(a, p) − d(a, n) + margin, 0)

For ``multilabel_margin_loss`` a sample's targets are the class indices of its target row
up to the first −1 (a class listed twice counts twice, as in PyTorch's loop).
"""

import numpy as np

from glassnet import ops
from glassnet._backend import to_numpy
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._functional_fold import constant
from glassnet.nn._functional_metric import pairwise_distance
from glassnet.nn._reduction import legacy_reduction, reduce_loss

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss"]

def _labels(target):
    return to_numpy(target.array if isinstance(target, Tensor) else np.asarray(target)).astype(np.int64)


def _as_rows(input, target, name):  # noqa: A002
    """(N, C) input and (N, …) target; a 1-D input is one sample."""
    if input.ndim not in (1, 2):
        raise ShapeError(f"{name}: expected input (N, C) or (C,), got {tuple(input.shape)}")
    return (input, target) if input.ndim == 2 else (input.unsqueeze(0), target.reshape(1, -1))


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,  # noqa: A002
                      reduction="mean"):
    """The multi-class hinge loss: each wrong class i within ``margin`` of the right class y
    costs ``max(0, margin − x_y + x_i)^p`` (times ``weight[y]``), averaged over the C classes.

    Args:
        input: scores (N, C) or (C,).
        target: the right class of each sample (N,) (or a single one).
        p: 1 or 2 (default 1).
        margin: the required gap (default 1).
        weight: a weight per class (C,) (default None).
        size_average, reduce: PyTorch's deprecated pair; when given, they choose the reduction
            (:func:`glassnet.nn._reduction.legacy_reduction`), with PyTorch's warning.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'`` (N,).

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> round(gn.nn.functional.multi_margin_loss(x, gn.tensor([3])).item(), 4)   # (0.3+0.4+0.6)/4
        0.325
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise GlassnetValueError(f"multi_margin_loss: p must be 1 or 2, got {p}")
    x, labels = _as_rows(input, target, "multi_margin_loss")
    labels = _labels(labels).reshape(-1)
    n, c = x.shape
    if labels.shape != (n,) or (labels.size and (labels.min() < 0 or labels.max() >= c)):
        raise ShapeError(f"multi_margin_loss: target must hold one class in [0, {c}) per sample ({n},), got "
                         f"{labels.tolist()}")
    right = ops.gather(x, 1, constant(x, labels[:, None]))  # x_y (N, 1)
    hinge = (margin - right + x).clamp(min=0.0)
    if p == 2:
        hinge = hinge * hinge
    others = constant(x, (np.arange(c)[None, :] != labels[:, None]).astype(x.dtype))
    if weight is not None:
        hinge = hinge * weight[constant(x, labels)].unsqueeze(1)
    loss = (hinge * others).sum(dim=1) / c
    return reduce_loss(loss if input.ndim == 2 else loss[0], reduction, "multi_margin_loss")


def _target_counts(labels, c):
    """(N, C): how often each class is listed before the row's first −1."""
    valid = np.cumprod(labels >= 0, axis=1).astype(bool)
    counts = np.zeros(labels.shape[:1] + (c,), dtype=np.int64)
    rows = np.broadcast_to(np.arange(labels.shape[0])[:, None], labels.shape)
    np.add.at(counts, (rows[valid], labels[valid]), 1)
    return counts


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """The multi-label hinge loss: every (target j, non-target i) pair of classes costs
    ``max(0, 1 − (x_j − x_i))``, summed and divided by C.

    Args:
        input: scores (N, C) or (C,).
        target: integer class lists (N, C) (or (C,)), each read up to its first −1.
        size_average, reduce: PyTorch's deprecated pair; when given, they choose the reduction
            (:func:`glassnet.nn._reduction.legacy_reduction`), with PyTorch's warning.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'`` (N,).

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> y = gn.tensor([[3, 0, -1, 1]])                 # targets 3 and 0
        >>> round(gn.nn.functional.multilabel_margin_loss(x, y).item(), 4)
        0.85
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    x, labels = _as_rows(input, target, "multilabel_margin_loss")
    labels = _labels(labels)
    n, c = x.shape
    if labels.shape != (n, c) or labels.max(initial=-1) >= c:
        raise ShapeError(f"multilabel_margin_loss: target must be (N, C) = {(n, c)} class indices below {c} "
                         f"(−1 ends a row), got shape {labels.shape}")
    counts = _target_counts(labels, c)
    pairs = counts[:, :, None] * (counts == 0)[:, None, :]  # (N, j, i): j a target (× count), i not
    hinge = (1.0 - x.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0.0)  # (N, j, i): 1 − (x_j − x_i)
    loss = (hinge * constant(x, pairs.astype(x.dtype))).sum(dim=(1, 2)) / c
    return reduce_loss(loss if input.ndim == 2 else loss[0], reduction, "multilabel_margin_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """``max(d(a, p) − d(a, n) + margin, 0)`` with any distance ``d`` (default:
    :func:`pairwise_distance`); ``swap`` uses the nearer of d(a, n) and d(p, n).

    Args:
        anchor: (N, D) or (D,).
        positive: like anchor.
        negative: like anchor.
        distance_function: ``d(x1, x2)`` → (N,) non-negative distances (default: the 2-norm).
        margin: the required gap (default 1).
        swap: the distance swap of Balntas et al. (default False).
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'`` (N,).

    Example:
        >>> import glassnet as gn
        >>> a, p, n = gn.tensor([[0.0, 0.0]]), gn.tensor([[3.0, 4.0]]), gn.tensor([[1.0, 0.0]])
        >>> l1 = lambda x, y: (x - y).abs().sum(dim=-1)
        >>> gn.nn.functional.triplet_margin_with_distance_loss(a, p, n, distance_function=l1).item()
        7.0
    """
    if margin <= 0:
        raise GlassnetValueError(f"triplet_margin_with_distance_loss: margin must be > 0, got {margin}")
    distance = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        d_neg = ops.minimum(d_neg, distance(positive, negative))
    hinge = (margin + d_pos - d_neg).clamp(min=0.0)
    return reduce_loss(hinge, reduction, "triplet_margin_with_distance_loss")
