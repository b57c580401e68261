"""``F.embedding_bag``: the sum, mean or max of each bag of embedding rows (PyTorch's
signature), composed from the embedding lookup and indexing — no new primitive.

The bags: a 2-D input (B, L) is B bags of L indices; a 1-D input of all the bags'
indices one after another needs ``offsets`` (B,), where bag b starts (``offsets[0] = 0``;
with ``include_last_offset`` there are B + 1 and the last is the end). Indices equal to
``padding_idx`` are left out of their bag (not counted by the mean either).

- ``sum``: ``out[b] = Σ_{i in bag b} w_i · W[idx_i]`` — the looked-up rows (times
  ``per_sample_weights`` w_i, else 1) added into their bag's row with ``scatter_add``.
- ``mean``: the sum divided by the bag's count (an empty bag gives zeros).
- ``max``: the elementwise maximum of the bag's rows; the bags padded to the longest with
  −∞, the first maximum found on the arrays and read back with ``gather`` so that its
  gradient reaches that one row (an empty bag gives zeros, as PyTorch).
"""

import numpy as np

from glassnet import ops
from glassnet._backend import to_numpy
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._functional_embedding import embedding
from glassnet.nn._functional_fold import constant

__all__ = ["embedding_bag"]

_MODES = ("sum", "mean", "max")


def _bags(indices, offsets, include_last_offset):
    """(flat indices, bag id of each, number of bags) from PyTorch's two input forms."""
    if indices.ndim == 2:
        if offsets is not None:
            raise GlassnetValueError("embedding_bag: a 2-D input is a batch of equal-length bags; offsets "
                                     f"must be None, got offsets of shape {tuple(np.shape(offsets))}")
        bags, length = indices.shape
        return indices.reshape(-1), np.repeat(np.arange(bags), length), bags
    if indices.ndim != 1:
        raise ShapeError(f"embedding_bag: input must be 1-D (with offsets) or 2-D (B, L), "
                         f"got {indices.shape}")
    if offsets is None:
        raise GlassnetValueError("embedding_bag: a 1-D input needs offsets (where each bag starts)")
    offsets = np.asarray(offsets).reshape(-1).astype(np.int64)
    if offsets.size and offsets[0] != 0:
        raise GlassnetValueError(f"embedding_bag: offsets[0] must be 0 (the first bag starts at position 0), "
                                 f"got {int(offsets[0])}")
    if include_last_offset:
        offsets = offsets[:-1]
    if np.any(np.diff(offsets) < 0) or (offsets.size and offsets[-1] > indices.size):
        raise GlassnetValueError(f"embedding_bag: offsets {offsets.tolist()} must be non-decreasing and at "
                                 f"most the input's length {indices.size}")
    bag_of = np.searchsorted(offsets, np.arange(indices.size), side="right") - 1
    return indices, bag_of, offsets.size


def _max_per_bag(rows, bag_of, bags, dtype):
    """(bags, D) elementwise maxima of each bag's rows (zeros for an empty bag)."""
    if bag_of.size == 0:
        return constant(rows, np.zeros((bags, rows.shape[1]), dtype=dtype))
    counts = np.bincount(bag_of, minlength=bags)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(bag_of.size) - starts[bag_of]  # position inside its bag
    layout = np.full((bags, int(counts.max())), bag_of.size, dtype=np.int64)  # bag_of.size: the −∞ row
    layout[bag_of, slot] = np.arange(bag_of.size)
    padded = np.concatenate([to_numpy(rows.array), np.full((1, rows.shape[1]), -np.inf)])[layout]
    winner = layout[np.arange(bags)[:, None], padded.argmax(axis=1)]  # (bags, D): which row won
    empty = counts == 0
    winner[empty] = 0
    keep = constant(rows, (~empty)[:, None].astype(dtype))
    return ops.gather(rows, 0, constant(rows, winner)) * keep


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """The sum, mean or max of each bag of rows of ``weight`` — an Embedding followed by a
    reduction per bag, without the (bags, length, D) intermediate.

    Args:
        input: integer indices: 2-D (B, L) (B bags of L), or 1-D (all bags' indices) with offsets.
        weight: the table (num_embeddings, D).
        offsets: 1-D input only: where each bag starts (B,) (B + 1 with include_last_offset).
        max_norm: renormalise each used row whose norm exceeds this, in place (default None).
        norm_type: the p of max_norm's norm (default 2).
        scale_grad_by_freq: divide each row's gradient by its count in the input (default False).
        mode: ``"sum"``, ``"mean"`` (default) or ``"max"``.
        sparse: accepted; the gradient is dense (see ``F.embedding``).
        per_sample_weights: a weight per index, the input's shape (``mode="sum"`` only).
        include_last_offset: offsets has B + 1 entries, the last the input's length.
        padding_idx: an index left out of every bag (default None).

    Shape:
        output ``(B, D)``.

    Example:
        >>> import glassnet as gn
        >>> W = gn.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
        >>> bags = gn.tensor([0, 2, 1, 1, 2])                       # [0, 2] and [1, 1, 2]
        >>> gn.nn.functional.embedding_bag(bags, W, gn.tensor([0, 2]), mode="sum").tolist()
        [[3.0, 2.0], [2.0, 4.0]]
    """
    if mode not in _MODES:
        raise GlassnetValueError(f"embedding_bag: mode must be one of {_MODES}, got {mode!r}")
    if weight.dtype.kind != "f":
        raise GlassnetTypeError(f"embedding_bag: the weight must be floating point (float16/32/64), got "
                                f"{weight.dtype}, as PyTorch")
    if per_sample_weights is not None and mode != "sum":
        raise GlassnetValueError(f"embedding_bag: per_sample_weights is only supported with mode='sum', "
                                 f"got mode={mode!r}")
    indices = to_numpy(input.array if isinstance(input, Tensor) else np.asarray(input))
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != indices.shape:
        raise ShapeError(f"embedding_bag: per_sample_weights {tuple(per_sample_weights.shape)} must have the "
                         f"input's shape {indices.shape}")
    offsets = None if offsets is None else to_numpy(offsets.array if isinstance(offsets, Tensor) else offsets)
    flat, bag_of, bags = _bags(indices, offsets, include_last_offset)
    kept = np.ones(flat.size, dtype=bool) if padding_idx is None else flat != padding_idx % weight.shape[0]
    rows = embedding(constant(weight, flat[kept]), weight, None, max_norm, norm_type, scale_grad_by_freq,
                     sparse)
    bag_of = bag_of[kept]
    if mode == "max":
        return _max_per_bag(rows, bag_of, bags, weight.dtype)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1)[constant(weight, np.flatnonzero(kept))].unsqueeze(1)
    zeros = constant(weight, np.zeros((bags, weight.shape[1]), dtype=weight.dtype))
    target = constant(weight, np.broadcast_to(bag_of[:, None], (bag_of.size, weight.shape[1])))
    sums = ops.scatter_add(zeros, 0, target, rows)
    if mode == "sum":
        return sums
    counts = np.maximum(np.bincount(bag_of, minlength=bags), 1)
    return sums / constant(weight, counts[:, None].astype(weight.dtype))
