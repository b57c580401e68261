"""The ``reduction`` argument every loss takes, in one place (with PyTorch's deprecated
``size_average`` / ``reduce`` pair, which still selects one)."""

import warnings

from glassnet._errors import GlassnetValueError

__all__ = ["REDUCTIONS", "legacy_reduction", "reduce_loss"]

REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(size_average, reduce, reduction):
    """``reduction``, or — when PyTorch's deprecated ``size_average`` or ``reduce`` is given —
    the reduction they select, with PyTorch's warning: ``reduce=False`` is ``'none'``;
    otherwise ``size_average=False`` is ``'sum'`` and anything else ``'mean'`` (either one
    left None counts as True; ``reduction`` is then ignored, as in PyTorch)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    chosen = "none" if not reduce else "mean" if size_average else "sum"
    warnings.warn(f"size_average and reduce args will be deprecated (in PyTorch too), please use "
                  f"reduction='{chosen}' instead.", UserWarning, stacklevel=3)
    return chosen


def reduce_loss(loss, reduction, name):
    """``loss.mean()``, ``loss.sum()`` or ``loss`` itself for ``reduction`` "mean", "sum" or
    "none"; anything else raises, naming the loss ``name``."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise GlassnetValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
