"""L1 and L2 penalties to add to any loss: ``loss + λ · l2_penalty(model.parameters())``."""

from glassnet import ops
from glassnet._errors import GlassnetValueError

__all__ = ["l1_penalty", "l2_penalty"]


def l1_penalty(params):
    """``Σ |w|`` over every element of every parameter (encourages exact zeros)."""
    terms = [ops.abs(p).sum() for p in params]
    return _total(terms)


def l2_penalty(params):
    """``Σ w²`` over every element of every parameter (its gradient is ``2w``; SGD's
    ``weight_decay=λ`` equals adding ``λ/2 · l2_penalty``)."""
    terms = [(p * p).sum() for p in params]
    return _total(terms)


def _total(terms):
    if not terms:


        raise GlassnetValueError("penalty: got no parameters")
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total
