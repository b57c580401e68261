"""Distances and the losses of metric learning and regression that tutorials use
(PyTorch's signatures, re-exported by ``nn.functional``), composed from primitives:

    pairwise_distance:      ‖x1 − x2 + ε‖_p along the last axis
    triplet_margin_loss:    max(d(a, p) − d(a, n) + margin, 0)   (swap: d(a, n) ← min(d(a, n), d(p, n)))
    margin_ranking_loss:    max(−y·(x1 − x2) + margin, 0)
    cosine_embedding_loss:  1 − cos(x1, x2) where y = 1;  max(cos(x1, x2) − margin, 0) where y = −1
    smooth_l1_loss:         ½d²/β where |d| < β, else |d| − ½β   (d = ŷ − y; β = 0: |d|)
    kl_div:                 y·(log y − ŷ) with ŷ a log-probability (log_target: e^y·(y − ŷ))
    hinge_embedding_loss:   x where y = 1, max(margin − x, 0) where y = −1
    soft_margin_loss:       log(1 + e^(−y·x))
    gaussian_nll_loss:      ½(log σ² + (x − y)²/σ²)
    poisson_nll_loss:       e^x − y·x  (x = log λ)
"""

import math
import warnings

import numpy as np

from glassnet import ops
from glassnet._creation import ones_like, zeros_like
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.nn._reduction import legacy_reduction, reduce_loss

__all__ = ["cosine_embedding_loss", "gaussian_nll_loss", "hinge_embedding_loss", "kl_div",
           "margin_ranking_loss", "multilabel_soft_margin_loss", "pairwise_distance", "poisson_nll_loss",
           "smooth_l1_loss", "soft_margin_loss", "triplet_margin_loss"]

def _floating(name, **tensors):
    """PyTorch's rule for these losses: their inputs are real numbers, not integers or bools."""
    for what, t in tensors.items():
        if t.dtype.kind != "f":
            raise GlassnetTypeError(f"{name}: {what} must be a floating-point tensor (as in PyTorch), got "
                                    f"{t.dtype}; convert it with .float() or .double()")


def _norm(d, p, keepdim):
    if p == 2:
        return ((d * d).sum(dim=-1, keepdim=keepdim)).sqrt()
    if p == 1:
        return d.abs().sum(dim=-1, keepdim=keepdim)
    if p == float("inf"):
        return d.abs().amax(dim=-1, keepdim=keepdim)
    return (d.abs() ** p).sum(dim=-1, keepdim=keepdim) ** (1.0 / p)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``‖x1 − x2 + eps‖_p`` over the last axis (shapes broadcast): (N, D), (N, D) → (N,)
    ((N, 1) with ``keepdim``). ``eps`` keeps the gradient finite when x1 = x2.

    Example:
        >>> import glassnet as gn
        >>> a, b = gn.tensor([[0.0, 0.0]]), gn.tensor([[3.0, 4.0]])
        >>> print(gn.nn.functional.pairwise_distance(a, b, eps=0.0).numpy())
        [5.]
    """
    if p < 0:
        raise GlassnetValueError(f"pairwise_distance: p must be non-negative, got {p}")
    return _norm(x1 - x2 + eps, p, keepdim)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(d(a, p) − d(a, n) + margin, 0)`` with d the :func:`pairwise_distance`; (N, D)
    each → a number (or (N,) with ``reduction='none'``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    shapes = {tuple(t.shape) for t in (anchor, positive, negative)}
    if len(shapes) != 1 or anchor.ndim not in (1, 2):
        raise ShapeError(f"triplet_margin_loss: anchor, positive and negative must share one shape (N, D) or "
                         f"(D,), got {[tuple(t.shape) for t in (anchor, positive, negative)]}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return reduce_loss((margin + d_pos - d_neg).clamp(min=0.0), reduction, "triplet_margin_loss")


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``max(−y·(x1 − x2) + margin, 0)``: y = 1 asks x1 to rank above x2, y = −1 below."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not (tuple(input1.shape) == tuple(input2.shape) == tuple(target.shape)):
        raise ShapeError(f"margin_ranking_loss: input1 {tuple(input1.shape)}, input2 "
                         f"{tuple(input2.shape)} and target {tuple(target.shape)} must have the same shape")
    loss = (-target * (input1 - input2) + margin).clamp(min=0.0)
    return reduce_loss(loss, reduction, "margin_ranking_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """``1 − cos`` where y = 1, ``max(cos − margin, 0)`` where y = −1, with PyTorch's
    ``cos = Σx1·x2 / √((Σx1² + 1e−12)(Σx2² + 1e−12))`` over the last axis: (N, D) → (N,)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if tuple(input1.shape) != tuple(input2.shape) or input1.ndim not in (1, 2):
        raise ShapeError(f"cosine_embedding_loss: input1 {tuple(input1.shape)} and input2 "
                         f"{tuple(input2.shape)} must share one shape (N, D) or (D,)")
    eps = 1e-12
    squares = ((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps)
    cos = (input1 * input2).sum(-1) / squares.sqrt()
    if tuple(target.shape) != tuple(cos.shape):
        raise ShapeError(f"cosine_embedding_loss: target must have shape {tuple(cos.shape)} "
                         f"(one ±1 per pair), got {tuple(target.shape)}")
    loss = ops.where(target == 1, 1 - cos, zeros_like(cos)) + \
        ops.where(target == -1, (cos - margin).clamp(min=0.0), zeros_like(cos))
    return reduce_loss(loss, reduction, "cosine_embedding_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``½d²/β`` where ``|d| < β``, else ``|d| − ½β`` (d = ŷ − y); ``β = 0`` is the L1 loss.
    Equal to ``huber_loss(delta=β) / β``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise GlassnetValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(f"smooth_l1_loss: input {tuple(input.shape)} and target {tuple(target.shape)} "
                         "must have the same shape")
    d = (input - target).abs()
    if beta == 0:
        return reduce_loss(d, reduction, "smooth_l1_loss")
    loss = ops.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return reduce_loss(loss, reduction, "smooth_l1_loss")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """``y·(log y − ŷ)`` per element, ``input`` ŷ holding log-probabilities (0 where y = 0);
    ``log_target=True``: ``e^y·(y − ŷ)``. ``reduction='batchmean'`` divides the sum by the
    batch size (the KL divergence); ``'mean'`` divides by the element count and warns, as
    PyTorch."""
    legacy = size_average is not None or reduce is not None
    reduction = legacy_reduction(size_average, reduce, reduction)
    if input.dtype.kind != "f" and target.dtype.kind != "f":
        raise GlassnetTypeError(f"kl_div: integral inputs are not supported (as in PyTorch), got "
                                f"{input.dtype} and {target.dtype}; convert them with .float() or .double()")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = ops.where(positive, target, ones_like(target))
        loss = ops.where(positive, target * (safe.log() - input), zeros_like(input * target))
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    if reduction == "mean" and not legacy:
        warnings.warn("kl_div: reduction='mean' divides the total by the number of elements, not the "
                      "batch size; reduction='batchmean' gives the KL divergence (PyTorch warns likewise)",
                      UserWarning, stacklevel=2)
    return reduce_loss(loss, reduction, "kl_div")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``x`` where y = 1, ``max(margin − x, 0)`` where y = −1 (x a distance, y = ±1)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _floating("hinge_embedding_loss", input=input)
    zeros = zeros_like(input)
    loss = ops.where(target != 1, (margin - input).clamp(min=0.0), zeros) + \
        ops.where(target != -1, input, zeros)
    return reduce_loss(loss, reduction, "hinge_embedding_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + e^(−y·x))`` for y = ±1 (the two-class logistic loss)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _floating("soft_margin_loss", input=input)
    return reduce_loss(ops.softplus(-target * input), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``−mean_c [y·log σ(x) + (1 − y)·log σ(−x)]`` per sample (N, C) → (N,), optionally
    weighted per class, then reduced over the batch."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = -(target * ops.logsigmoid(input) + (1 - target) * ops.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss.mean(dim=-1), reduction, "multilabel_soft_margin_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``½(log max(σ², eps) + (x − y)²/max(σ², eps))`` (+ ½ log 2π with ``full``): the
    negative log-likelihood of y under N(x, σ²). As PyTorch, the clamp of σ² to ``eps``
    changes its value only: the gradient passes as if unclamped. ``var`` may lack the last
    axis of ``input`` or have size 1 there."""
    _floating("gaussian_nll_loss", input=input, var=var)
    if var.ndim == input.ndim - 1 and tuple(var.shape) == tuple(input.shape[:-1]):
        var = var.unsqueeze(-1)
    try:
        np.broadcast_shapes(tuple(var.shape), tuple(input.shape))
    except ValueError:
        raise ShapeError(f"gaussian_nll_loss: var {tuple(var.shape)} must broadcast with input "
                         f"{tuple(input.shape)}") from None
    if bool((var < 0).any()):
        raise GlassnetValueError("gaussian_nll_loss: var has negative entries")
    var = var + (var.clamp(min=eps) - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction, "gaussian_nll_loss")


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """``e^x − y·x`` (``log_input``: x is log λ) or ``x − y·log(x + eps)`` (x is λ); with
    ``full`` Stirling's ``y·log y − y + ½ log(2πy)`` is added where y > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if input.dtype == bool:
        raise GlassnetTypeError("poisson_nll_loss: input must be a number tensor, not bool (as in PyTorch); "
                                "convert it with .float()")
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        safe = ops.where(target > 1, target, ones_like(target))
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + ops.where(target > 1, stirling, zeros_like(stirling))
    return reduce_loss(loss, reduction, "poisson_nll_loss")
