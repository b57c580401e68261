"""``F.embedding`` with all of PyTorch's options (re-exported by ``nn.functional``).

The lookup itself is the :func:`glassnet.ops._embedding.embedding_lookup` primitive
(``Y = W[indices]``); the options wrap it:

- ``max_norm``: before the lookup, every row the input uses whose ``norm_type``-norm
  exceeds ``max_norm`` is rescaled in place to ``max_norm / (norm + 1e-7)`` times itself
  (PyTorch's ``embedding_renorm_``; the weight's version counter moves, so a graph that
  kept the old weight refuses backward, as in PyTorch).
- ``scale_grad_by_freq``: row ``k``'s gradient is divided by how often ``k`` occurs in
  the input. Composed as ``Y.detach() + (Y·s − (Y·s).detach())`` with ``s = 1/count``:
  the forward value is exactly ``Y``, the gradient flows through ``Y·s``.
- ``sparse``: glassnet has no sparse tensors; the gradient is dense (the same numbers)
  and a one-time :class:`~glassnet.GlassnetWarning` says so.
"""

import warnings

import numpy as np

from glassnet._backend import namespace, to_numpy
from glassnet._errors import GlassnetWarning
from glassnet.autograd import no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.nn._functional_seq import embedding as _lookup

__all__ = ["embedding", "warn_sparse"]

_warned_sparse = False


def warn_sparse(stacklevel=3):
    """Say once per process that ``sparse=True`` gives dense gradients here."""
    global _warned_sparse
    if _warned_sparse:
        return
    _warned_sparse = True
    warnings.warn(
        "Embedding: sparse=True gives a dense gradient in glassnet (it has no sparse "
        "tensors): the same numbers, stored as a full num_embeddings × embedding_dim array; "
        "any dense optimizer (SGD, Adam, …) can use it",
        GlassnetWarning, stacklevel=stacklevel)


def _index_array(input):
    return input.array if isinstance(input, Tensor) else np.asarray(input)


def renorm_(weight, indices, max_norm, norm_type=2.0):
    """Rescale, in place and without recording, each used row with norm > max_norm."""
    rows = np.unique(to_numpy(indices).reshape(-1))
    rows = rows[(rows >= 0) & (rows < weight.shape[0])]  # bad indices: the lookup says so
    if rows.size == 0:
        return
    xp = namespace(weight.array)
    picked = xp.asarray(rows)
    norms = xp.linalg.norm(weight.array[picked], ord=norm_type, axis=1)
    over = norms > max_norm
    if not bool(over.any()):
        return
    scale = (max_norm / (norms[over] + 1e-7)).astype(weight.dtype)[:, None]
    with no_grad():
        weight[picked[over]] = weight[picked[over]] * Tensor._wrap(scale, False, None)


def _scaled_by_frequency(out, indices, rows):
    counts = np.bincount(indices.reshape(-1), minlength=rows)
    xp = namespace(out.array)
    s = xp.asarray((1.0 / counts[indices])[..., None], dtype=out.dtype)
    scaled = out * Tensor._wrap(s, False, None)
    return out.detach() + (scaled - scaled.detach())


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (V, D) at the integer ``input`` (any shape) → (*input.shape, D).

    Repeated indices add their gradients; the ``padding_idx`` row gets none. Options as
    PyTorch's (see the module docstring)."""
    if sparse:
        warn_sparse()
    indices = _index_array(input)
    if max_norm is not None:
        renorm_(weight, indices, max_norm, norm_type)
    out = _lookup(indices, weight, padding_idx)
    if scale_grad_by_freq and out.requires_grad:
        out = _scaled_by_frequency(out, to_numpy(indices), weight.shape[0])
    return out
