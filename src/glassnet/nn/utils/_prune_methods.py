"""The pruning methods of ``torch.nn.utils.prune``: which entries (unstructured) or channels
(structured) of a tensor to zero. ``amount`` is an int (how many) or a float in [0, 1] (the
fraction, rounded as Python's ``round``); within a :class:`PruningContainer` it counts the
entries or channels still unpruned."""

from glassnet import ops
from glassnet._creation import rand, rand_like, zeros_like
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.nn.utils._prune_base import (
    BasePruningMethod,
    _channel_dim,
    _count_to_prune,
    _validate_amount_init,
    _wrap,
)

__all__ = ["Identity", "RandomUnstructured", "L1Unstructured", "RandomStructured", "LnStructured",
           "CustomFromMask"]


def _without(default_mask, flat_indices):
    """``default_mask`` (copied) with the entries at ``flat_indices`` (C order) set to 0."""
    flat = default_mask.array.reshape(-1).copy()
    flat[flat_indices] = 0
    return _wrap(flat.reshape(default_mask.shape))


def _channels_kept(t, dim, kept, default_mask):
    """A mask of t's shape and dtype: 1 on the channels ``kept`` (indices or a boolean
    vector) along ``dim``, 0 elsewhere, times ``default_mask``."""
    mask = zeros_like(t).array
    mask[(slice(None),) * dim + (kept,)] = 1
    return _wrap(mask * default_mask.array.astype(mask.dtype, copy=False))


def _structured(t, dim, amount, who):
    """(axis, channels, how many to prune) for structured pruning of ``t`` along ``dim``."""
    if t.ndim <= 1:
        raise GlassnetValueError(f"{who}: structured pruning removes channels of a tensor of 2 or more dims, "
                                 f"got shape {tuple(t.shape)}; prune it with l1_unstructured or "
                                 "random_unstructured")
    axis = _channel_dim(dim, t.shape, who)
    return axis, t.shape[axis], _count_to_prune(amount, t.shape[axis], who, f"channels along dim {dim}")


class Identity(BasePruningMethod):
    """Prunes nothing: the ``_orig`` / ``_mask`` reparametrisation with a mask of ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prune ``amount`` of the (unpruned) entries, chosen uniformly at random (the ``k``
    largest of ``rand_like(t)``, from glassnet's generator)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount, "RandomUnstructured")
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _count_to_prune(self.amount, t.numel(), "RandomUnstructured")
        if k == 0:
            return default_mask.clone()
        prob = rand_like(t).reshape(-1)
        return _without(default_mask, ops.topk(prob, k).indices.array)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prune the ``amount`` (unpruned) entries of smallest ``|t|``."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount, "L1Unstructured")
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _count_to_prune(self.amount, t.numel(), "L1Unstructured")
        if k == 0:
            return default_mask.clone()
        magnitude = t.detach().abs().reshape(-1)
        return _without(default_mask, ops.topk(magnitude, k, largest=False).indices.array)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prune ``amount`` of the (unpruned) channels along ``dim`` (default −1), chosen
    uniformly at random: those whose ``rand(channels)`` draw is at most its k-th smallest."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_amount_init(amount, "RandomStructured")
        self.amount, self.dim = amount, dim

    def compute_mask(self, t, default_mask):
        axis, channels, k = _structured(t, self.dim, self.amount, "RandomStructured")
        if k == 0:
            return default_mask
        prob = rand(channels)
        threshold = ops.kthvalue(prob, k).values
        return _channels_kept(t, axis, prob.array > threshold.array, default_mask)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prune the ``amount`` (unpruned) channels along ``dim`` of smallest L``n`` norm, the
    norm ``torch.norm(t, p=n)`` over every other axis (``n``: a number, ``inf``, ``-inf``,
    ``"fro"``)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount_init(amount, "LnStructured")
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t, default_mask):
        axis, channels, k = _structured(t, self.dim, self.amount, "LnStructured")
        if k == 0:
            return default_mask
        norms = ops.norm(t.detach(), p=self.n, dim=[d for d in range(t.ndim) if d != axis])
        kept = ops.topk(norms, channels - k, largest=True).indices.array
        return _channels_kept(t, axis, kept, default_mask)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune with a given ``mask`` (0 prunes), on top of any earlier mask."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if not isinstance(self.mask, Tensor):
            raise GlassnetTypeError(f"CustomFromMask: mask must be a Tensor, got {type(self.mask).__name__}")
        if tuple(self.mask.shape) != tuple(default_mask.shape):
            raise GlassnetValueError(f"CustomFromMask: the mask has shape {tuple(self.mask.shape)}, the "
                                     f"tensor pruned has {tuple(default_mask.shape)}; give a mask of its "
                                     "shape")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)
