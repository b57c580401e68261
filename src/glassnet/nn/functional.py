"""Functional forms of layers and losses (``import glassnet.nn.functional as F``).

Everything here is composed from :mod:`glassnet.ops` primitives, except cross-entropy,
which uses the fused softmax + cross-entropy primitive (``dZ = Ŷ − Y``).
"""

import math
import warnings

import numpy as np

from glassnet import ops
from glassnet._backend import default_generator, namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._alpha_dropout import alpha_dropout, feature_alpha_dropout
from glassnet.nn._functional_activation import (
    activate,
    elu,
    elu_,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    mish,
    relu,
    relu_,
    silu,
)
from glassnet.nn._functional_activation_more import (
    celu,
    celu_,
    dropout1d,
    dropout2d,
    dropout3d,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    prelu,
    relu6,
    selu,
    selu_,
    softmin,
    softshrink,
    threshold,
    threshold_,
)
from glassnet.nn._functional_attention import scaled_dot_product_attention
from glassnet.nn._functional_bilinear import bilinear, pdist
from glassnet.nn._functional_classic import (
    channel_shuffle,
    local_response_norm,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
)
from glassnet.nn._functional_conv import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    batch_norm,
    conv1d,
    conv2d,
    conv3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)
from glassnet.nn._functional_ctc import ctc_loss
from glassnet.nn._functional_embedding import embedding
from glassnet.nn._functional_embedding_bag import embedding_bag
from glassnet.nn._functional_fold import fold, unfold
from glassnet.nn._functional_margin import (
    multi_margin_loss,
    multilabel_margin_loss,
    triplet_margin_with_distance_loss,
)
from glassnet.nn._functional_metric import (
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    kl_div,
    margin_ranking_loss,
    multilabel_soft_margin_loss,
    pairwise_distance,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from glassnet.nn._functional_norm import group_norm, instance_norm, layer_norm, rms_norm
from glassnet.nn._functional_pool_more import (
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_unpool1d,
    max_unpool2d,
)
from glassnet.nn._functional_random import gumbel_softmax, rrelu, rrelu_
from glassnet.nn._functional_resample import (
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    interpolate,
    pad,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from glassnet.nn._functional_sampling import affine_grid, grid_sample
from glassnet.nn._functional_seq import cosine_similarity, normalize
from glassnet.nn._reduction import REDUCTIONS, legacy_reduction, reduce_loss
from glassnet.ops import (
    gelu,
    log_softmax,
    logsigmoid,
    sigmoid,
    softmax,
    softplus,
    softsign,
    tanh,
    tanhshrink,
)
from glassnet.ops._linear import linear
from glassnet.ops._loss import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    SoftmaxCrossEntropy,
    SoftmaxCrossEntropyIndex,
)

__all__ = [
    "channel_shuffle",
    "local_response_norm",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices",
    "affine_grid",
    "alpha_dropout",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "celu_",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "ctc_loss",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "elu",
    "elu_",
    "embedding",
    "embedding_bag",
    "feature_alpha_dropout",
    "fold",
    "gaussian_nll_loss",
    "gelu",
    "glu",
    "grid_sample",
    "gumbel_softmax",
    "group_norm",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "hinge_embedding_loss",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "leaky_relu_",
    "linear",
    "log_softmax",
    "logsigmoid",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool2d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "mish",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "pdist",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "rms_norm",
    "rrelu",
    "rrelu_",
    "scaled_dot_product_attention",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "threshold_",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "unfold",
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
]



def dropout(x, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)``
    (inverted dropout), so evaluation needs no rescaling. Identity when not training
    (``x`` itself returned). ``inplace=True`` writes the result into ``x``."""
    if not 0 <= p <= 1:
        raise GlassnetValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    return activate(x, lambda t: _dropout(t, p), inplace, "dropout")


def _dropout(x, p):
    """The training-time draw: a mask of ``1/(1-p)`` (kept) and 0 (dropped) times ``x``."""
    if p == 1:
        return x * 0
    xp = namespace(x.array)
    draw = default_generator().random(x.shape, dtype=np.float32 if x.dtype == np.float32 else np.float64)
    mask = xp.asarray(draw >= p).astype(x.dtype)
    mask *= x.dtype.type(1.0 / (1.0 - p))
    return x * Tensor._wrap(mask, False, None)




def _check_same_shape(input, target, name):
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(
            f"{name}: input {tuple(input.shape)} and target {tuple(target.shape)} must have the "
            "same shape (reshape the target, e.g. y.reshape(-1, 1))"
        )


def _check_broadcast(input, target, name):
    """As PyTorch: a target whose shape differs from the input's but broadcasts with it is
    used broadcast, with a UserWarning (``(N, 1)`` against ``(N,)`` silently becomes N×N)."""
    shape, other = tuple(input.shape), tuple(target.shape)
    if shape == other:
        return
    try:
        both = np.broadcast_shapes(shape, other)
    except ValueError:
        raise ShapeError(
            f"{name}: input {shape} and target {other} must have the same shape and cannot "
            "even broadcast (reshape the target, e.g. y.reshape(-1, 1))"
        ) from None
    warnings.warn(
        f"{name}: target shape {other} differs from input shape {shape}; both are broadcast "
        f"to {both}, which is likely not what you want (reshape the target to {shape})",
        UserWarning, stacklevel=3,
    )


def _as_target(target, like):
    return target if isinstance(target, Tensor) else Tensor(np.asarray(target), dtype=like.dtype)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error ``(ŷ - y)²`` (a target of another shape broadcasts, with a warning)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    _check_broadcast(input, target, "mse_loss")
    return reduce_loss((input - target) ** 2, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error ``|ŷ - y|``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    _check_broadcast(input, target, "l1_loss")
    return reduce_loss(ops.abs(input - target), reduction, "l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0):
    """``½d²`` where ``|d| < δ``, else ``δ(|d| - ½δ)``, with ``d = ŷ - y``."""
    target = _as_target(target, input)
    _check_broadcast(input, target, "huber_loss")
    d = input - target
    a = ops.abs(d)
    loss = ops.where(a.array < delta, 0.5 * d * d, delta * (a - 0.5 * delta))
    return reduce_loss(loss, reduction, "huber_loss")


def one_hot(labels, num_classes=-1):
    """Integer labels (N,) → a (N, C) int64 tensor with a 1 in each label's column."""
    y = labels.array if isinstance(labels, Tensor) else np.asarray(labels)
    xp = namespace(y)
    if num_classes < 0:
        num_classes = int(y.max()) + 1 if y.size else 0
    y, _ = _class_targets(y, num_classes, None, "one_hot")
    return Tensor._wrap(xp.eye(num_classes, dtype=np.int64)[y], False, None)


def _class_targets(target, n_classes, ignore_index, name):
    y = target.array if isinstance(target, Tensor) else np.asarray(target)
    if y.dtype.kind not in "iu":
        raise GlassnetTypeError(
            f"{name}: class targets must be integers (got dtype {y.dtype}); "
            "for probability targets pass a float tensor shaped like the logits"
        )
    valid = y != ignore_index
    bad = valid & ((y < 0) | (y >= n_classes))
    if bad.any():
        xp = namespace(y)
        value = int(y[bad][0]) if xp.__name__ == "numpy" else int(y[bad][0].get())
        raise GlassnetValueError(
            f"{name}: target {value} is out of range for {n_classes} classes "
            f"(valid labels are 0..{n_classes - 1}; check the model's output size)"
        )
    return y, valid


def _flatten_classes(input, target):
    """(N, C, d1, …) logits → (N·d1·…, C); targets likewise."""
    if input.ndim <= 2:
        return input, target
    n_classes = input.shape[1]
    moved = ops.permute(input, 0, *range(2, input.ndim), 1).reshape(-1, n_classes)
    if isinstance(target, Tensor) and target.dtype.kind == "f" and target.ndim == input.ndim:
        target = ops.permute(target, 0, *range(2, target.ndim), 1).reshape(-1, n_classes)
    elif isinstance(target, Tensor):
        target = target.reshape(-1)
    else:
        target = np.asarray(target).reshape(-1)
    return moved, target


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits ``input`` (N, C) or (N, C, d1, …) against class indices
    (N,) / (N, d1, …) or class probabilities shaped like the logits, as PyTorch: optional
    class ``weight`` (C,), ``ignore_index``, ``label_smoothing`` ε (targets become
    ``(1-ε)·y + ε/C``); ``reduction='none'`` gives (N,) / (N, d1, …). Backward: ``Ŷ − Y``.

    For one sample with logits z and class c: ``loss = log Σ_j exp(z_j) − z_c``.

    Args:
        input: the logits (unnormalised scores), (N, C), (N, C, d1, …) or one sample (C,).
        target: class indices (N,) / (N, d1, …), or class probabilities shaped like
            ``input``.
        weight: a rescaling weight for each class (C,) (default None: all 1).
        ignore_index: a class-index target that contributes nothing (default −100).
        reduction: ``'mean'`` (default; weighted mean), ``'sum'`` or ``'none'``.
        label_smoothing: ε in [0, 1] (default 0).

    Shape:
        input ``(N, C)`` or ``(N, C, d1, …)``; target ``(N,)`` / ``(N, d1, …)`` or like the
        input → a scalar, or ``(N,)`` / ``(N, d1, …)`` with ``reduction='none'``.

    Example:
        >>> import glassnet as gn
        >>> import glassnet.nn.functional as F
        >>> logits = gn.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
        >>> print(F.cross_entropy(logits, gn.tensor([0, 2]), reduction="none").numpy().round(4))
        [0.2395 0.0949]
        >>> round(F.cross_entropy(logits, gn.tensor([0, 2])).item(), 4)
        0.1672
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if input.ndim == 0:
        raise ShapeError("cross_entropy: logits need shape (C,), (N, C) or (N, C, d1, …); "
                         "got a 0-d tensor")
    if input.ndim == 1:  # one unbatched sample
        out = cross_entropy(input.reshape(1, -1), _to_batch(target), weight, ignore_index=ignore_index,
                            reduction=reduction, label_smoothing=label_smoothing)
        return out.reshape(()) if reduction == "none" else out
    batch_shape = (input.shape[0], *input.shape[2:])
    input, target = _flatten_classes(input, target)
    n, n_classes = input.shape
    xp = namespace(input.array)
    w = None if weight is None else xp.asarray(_array(weight), dtype=input.dtype)
    eps = float(label_smoothing)
    if _is_class_target(target):
        y, valid = _class_targets(target, n_classes, ignore_index, "cross_entropy")
        if y.shape != (n,):
            raise ShapeError(
                f"cross_entropy: logits {(batch_shape[0], n_classes, *batch_shape[1:])} need "
                f"class targets of shape {batch_shape}, got {tuple(y.shape)}"
            )
        if w is None and eps == 0 and reduction in REDUCTIONS and bool(valid.all()):
            losses = SoftmaxCrossEntropyIndex.apply(input, labels=y, reduction=reduction)
            return losses.reshape(batch_shape) if reduction == "none" else losses
        coef, denom = _class_coefficients(xp, y, valid, n_classes, w, eps, input.dtype)
        counted = bool(valid.any())
    else:
        q = xp.asarray(_array(target), dtype=input.dtype)
        if q.shape != (n, n_classes):
            raise ShapeError(
                f"cross_entropy: probability targets must match the logits' shape "
                f"{(n, n_classes)}, got {q.shape}"
            )
        coef = q * (1.0 - eps) + eps / n_classes
        if w is not None:
            coef = coef * w
        denom, counted = n, n > 0
    losses = SoftmaxCrossEntropy.apply(input, Tensor._wrap(coef, False, None))
    if reduction == "mean":
        return _weighted_mean(losses, denom, counted)
    return reduce_loss(losses.reshape(batch_shape), reduction, "cross_entropy")


def _class_coefficients(xp, y, valid, n_classes, w, eps, dtype):
    """The (N, C) target coefficients of class labels (label smoothing, class weights,
    ignored rows all zero) and the mean's divisor: the summed weights of the kept rows."""
    n = y.shape[0]
    coef = xp.zeros((n, n_classes), dtype=dtype)
    rows = xp.arange(n)[valid]
    coef[rows, y[valid]] = 1.0 - eps
    coef[valid] += eps / n_classes
    if w is not None:
        coef *= w
    return coef, (w[y[valid]].sum() if w is not None else valid.sum())


def _weighted_mean(losses, denom, counted):
    """``Σ losses / denom``. When no row is ``counted`` (every target ignored, or no rows)
    the loss is NaN (0/0) but its gradient is 0, as PyTorch — not ``∞ · 0 = NaN``."""
    if not counted:
        return losses.sum() * 0.0 + math.nan
    return losses.sum() / float(denom)


def _is_class_target(target):
    dtype = target.dtype if hasattr(target, "dtype") else np.asarray(target).dtype
    return dtype.kind in "iu"


def _to_batch(target):
    if isinstance(target, Tensor):
        return target.reshape(1, *target.shape) if target.dtype.kind == "f" else target.reshape(1)
    arr = np.asarray(target)
    return arr.reshape(1, *arr.shape) if arr.dtype.kind == "f" else arr.reshape(1)


def _array(value):
    return value.array if isinstance(value, Tensor) else np.asarray(value)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C) or (N, C, d1, …) at
    class indices (N,) / (N, d1, …); ``reduction='none'`` keeps the target's shape."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if input.ndim == 1:  # one unbatched sample
        out = nll_loss(input.reshape(1, -1), _to_batch(target), weight, ignore_index=ignore_index,
                       reduction=reduction)
        return out.reshape(()) if reduction == "none" else out
    batch_shape = (input.shape[0], *input.shape[2:])
    input, target = _flatten_classes(input, target)
    n, n_classes = input.shape
    y, valid = _class_targets(target, n_classes, ignore_index, "nll_loss")
    xp = namespace(input.array)
    rows = xp.arange(n)
    safe_y = xp.where(valid, y, 0)
    if weight is None:
        w = xp.ones(n_classes, dtype=input.dtype)
    else:
        w = xp.asarray(_array(weight), dtype=input.dtype)
    row_w = w[safe_y] * valid
    picked = input[rows, safe_y]
    losses = -picked * Tensor._wrap(row_w.astype(input.dtype), False, None)
    if reduction == "mean":
        return _weighted_mean(losses, row_w.sum(), bool(valid.any()))
    return reduce_loss(losses.reshape(batch_shape), reduction, "nll_loss")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(y·log p + (1-y)·log(1-p))`` for probabilities ``p``, each log clamped at -100 and
    the gradient ``(p - y) / max(p(1-p), 1e-12)``, as PyTorch (:class:`BinaryCrossEntropy`)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    _check_same_shape(input, target, "binary_cross_entropy")
    data = input.array
    if bool(((data < 0) | (data > 1)).any()):
        raise GlassnetValueError(
            "binary_cross_entropy: input must be probabilities in [0, 1] (apply sigmoid "
            "first, or use binary_cross_entropy_with_logits on raw scores)"
        )
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * _as_target(weight, input)
    return reduce_loss(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable primitive
    (:class:`BinaryCrossEntropyWithLogits`): ``(1-y)·z + (1 + (w_pos-1)·y)·softplus(-z)``,
    gradient ``σ(z) - y`` (with ``pos_weight``: ``(1 + (w_pos-1)·y)·σ(z) - w_pos·y``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    pw = None if pos_weight is None else _as_target(pos_weight, input).array
    loss = BinaryCrossEntropyWithLogits.apply(input, target, pos_weight=pw)
    if weight is not None:
        loss = loss * _as_target(weight, input)
    return reduce_loss(loss, reduction, "binary_cross_entropy_with_logits")
