"""The CTC loss (PyTorch's ``F.ctc_loss``): its arguments checked and brought to one form,
the per-sample losses from the :class:`~glassnet.ops._ctc.CtcLoss` primitive, then reduced."""

import numpy as np

from glassnet._backend import to_numpy
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._functional_fold import constant
from glassnet.nn._reduction import REDUCTIONS, reduce_loss
from glassnet.ops._ctc import CtcLoss

__all__ = ["ctc_loss"]


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist temporal classification: ``loss_n = −log p(target_n | input_n)``, summed
    over every alignment of the target to the input (labels repeated, blanks between).

    Args:
        log_probs: (T, N, C) log-probabilities (a ``log_softmax`` over C), or (T, C) for one
            sample.
        targets: padded (N, S) class indices, S ≥ max(target_lengths); or all targets
            concatenated, 1-D of size sum(target_lengths); (S,) for one sample. No blank.
        input_lengths: (N,) ints ≤ T (a tensor, tuple or list).
        target_lengths: (N,) ints (a tensor, tuple or list).
        blank: the blank's class (default 0).
        reduction: ``'mean'`` (default: each loss divided by its target length, at least 1,
            then the batch mean), ``'sum'`` or ``'none'`` (N,).
        zero_infinity: an impossible alignment (target too long for its input) costs 0 and
            gets no gradient, instead of inf and NaN gradients.

    Example:
        >>> import glassnet as gn
        >>> lp = gn.full((2, 1, 2), 0.5).log()            # T = 2, C = 2: p = 1/2 each step
        >>> loss = gn.nn.functional.ctc_loss(lp, gn.tensor([[1]]), [2], [1], reduction="none")
        >>> round(loss.item(), 4)                          # −log P(11, 01, 10) = −log(3/4)
        0.2877
    """
    if reduction not in REDUCTIONS:
        raise GlassnetValueError(f"ctc_loss: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if not isinstance(log_probs, Tensor) or log_probs.ndim not in (2, 3) or log_probs.dtype.kind != "f":
        got = (f"{tuple(log_probs.shape)} {log_probs.dtype}" if isinstance(log_probs, Tensor)
               else type(log_probs).__name__)
        raise ShapeError(f"ctc_loss: log_probs must be a floating tensor (T, N, C) or (T, C), got {got}")
    if log_probs.numel() == 0:
        raise ShapeError(f"ctc_loss: log_probs must not be empty (at least one step, sample and class), got "
                         f"{tuple(log_probs.shape)}")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    steps, n_batch, classes = lp.shape
    if not 0 <= blank < classes:
        raise GlassnetValueError(f"ctc_loss: blank must be a class in [0, {classes}), got {blank}")
    in_len = _lengths(input_lengths, n_batch, "input_lengths")
    tgt_len = _lengths(target_lengths, n_batch, "target_lengths")
    if in_len.size and in_len.max() > steps:
        raise GlassnetValueError(f"ctc_loss: input_lengths must be at most T = {steps} (log_probs "
                                 f"{tuple(log_probs.shape)}), got {in_len.tolist()}")
    labels = _padded_targets(targets, tgt_len, unbatched, classes, blank)
    losses = CtcLoss.apply(lp, labels=labels, input_lengths=in_len, target_lengths=tgt_len, blank=blank,
                           zero_infinity=bool(zero_infinity))
    if reduction == "mean":
        losses = losses / constant(lp, np.maximum(tgt_len, 1).astype(lp.dtype))
    if unbatched and reduction == "none":
        return losses[0]
    return reduce_loss(losses, reduction, "ctc_loss")


def _integers(value, name, whole_floats=False):
    """A host int64 array of ``value`` (a tensor, array, sequence or int); floats refused, or
    with ``whole_floats`` (as PyTorch takes targets) accepted where every value is whole."""
    array = to_numpy(value.array) if isinstance(value, Tensor) else np.asarray(value)
    whole = whole_floats and array.dtype.kind == "f" and bool(np.all(array == np.round(array)))
    if array.dtype.kind not in "iub" and not whole:
        raise GlassnetTypeError(f"ctc_loss: {name} must hold integers, got dtype {array.dtype}")
    return array.astype(np.int64)


def _lengths(value, n_batch, name):
    lengths = _integers(value, name).reshape(-1)
    if lengths.shape != (n_batch,):
        raise ShapeError(f"ctc_loss: {name} must hold one length per sample ({n_batch},), got "
                         f"{lengths.tolist()}")
    if lengths.size and lengths.min() < 0:
        raise GlassnetValueError(f"ctc_loss: {name} must be ≥ 0, got {lengths.tolist()}")
    return lengths


def _padded_targets(targets, tgt_len, unbatched, classes, blank):
    """(N, S) labels, S = max target length, from padded (N, S') or concatenated targets."""
    flat = _integers(targets, "targets", whole_floats=True)
    n_batch, width = tgt_len.shape[0], int(tgt_len.max(initial=0))
    if flat.ndim == 2 and not unbatched:
        if flat.shape[0] != n_batch or flat.shape[1] < width:
            raise ShapeError(f"ctc_loss: padded targets must be (N, S) = ({n_batch}, ≥ {width}) (N samples, "
                             f"S ≥ the longest target_length), got {flat.shape}")
        labels = flat[:, :width]
    elif flat.ndim == 1 and (unbatched or flat.size == tgt_len.sum()):
        if unbatched and flat.size < width:
            raise ShapeError(f"ctc_loss: targets must hold target_length = {width} labels, got {flat.shape}")
        starts = np.concatenate([[0], np.cumsum(tgt_len)[:-1]]) if not unbatched else np.zeros(1, np.int64)
        labels = np.zeros((n_batch, width), dtype=np.int64)
        within = np.arange(width)[None, :] < tgt_len[:, None]
        labels[within] = flat[(starts[:, None] + np.arange(width)[None, :])[within]]
    else:
        fits = ("(S,) for one sample" if unbatched else f"padded (N, S) = ({n_batch}, ≥ {width}) or "
                f"concatenated ({int(tgt_len.sum())},) = sum(target_lengths)")
        raise ShapeError(f"ctc_loss: targets must be {fits}, got {flat.shape}")
    used = labels[np.arange(width)[None, :] < tgt_len[:, None]]
    if used.size and (used.min() < 0 or used.max() >= classes or (used == blank).any()):
        raise GlassnetValueError(f"ctc_loss: targets must be classes in [0, {classes}) other than the blank "
                                 f"{blank}, got {sorted(set(used.tolist()))}")
    return labels
