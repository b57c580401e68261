"""The ``reduction`` argument every loss takes, in one place."""

from glassnet._errors import GlassnetValueError

__all__ = ["REDUCTIONS", "reduce_loss"]

REDUCTIONS = ("mean", "sum", "none")


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
