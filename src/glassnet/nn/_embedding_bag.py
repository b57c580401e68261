"""``nn.EmbeddingBag``: the sum, mean or max of each bag of embedding rows."""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.autograd._mode import no_grad
from glassnet.nn import init
from glassnet.nn._functional_embedding import warn_sparse
from glassnet.nn._functional_embedding_bag import embedding_bag
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["EmbeddingBag"]


class EmbeddingBag(Module):
    """An Embedding followed by a sum / mean / max over each bag of indices, without the
    (bags, length, D) intermediate (see :func:`glassnet.nn.functional.embedding_bag`).
    Weight (num_embeddings, embedding_dim) ``~ N(0, 1)``, the ``padding_idx`` row zeroed.

    Args:
        num_embeddings: the number of rows (the vocabulary size).
        embedding_dim: the length of each row.
        max_norm: renormalise each used row whose norm exceeds this, in place (default None).
        norm_type: the p of that norm (default 2).
        scale_grad_by_freq: divide each row's gradient by its count in the input (default False).
        mode: ``"sum"``, ``"mean"`` (default) or ``"max"``.
        sparse: accepted; the gradient is dense (a one-time warning says so).
        _weight: an initial table instead of N(0, 1).
        include_last_offset: offsets has one more entry, the input's length (default False).
        padding_idx: an index left out of every bag; its row is zero (default None).
        device: where the table lives (default None: the CPU).
        dtype: the table's dtype (default: glassnet's default dtype).

    Shape:
        ``forward(input, offsets=None, per_sample_weights=None)``: a 1-D input with offsets
        (B,), or a 2-D input (B, L) → output ``(B, embedding_dim)``.

    Example:
        >>> import glassnet as gn
        >>> bag = gn.nn.EmbeddingBag(10, 3, mode="sum")
        >>> text = gn.tensor([1, 2, 4, 5, 4, 3, 2, 9])          # two bags: 4 + 4 tokens
        >>> bag(text, gn.tensor([0, 4])).shape
        (2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None,
                 device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise GlassnetValueError(f"EmbeddingBag: padding_idx {padding_idx} must be within "
                                         f"num_embeddings {self.num_embeddings}")
            padding_idx %= self.num_embeddings
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset
        self.padding_idx = padding_idx
        if sparse:
            warn_sparse()
        if _weight is None:
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim),
                                             np.dtype(dtype or get_default_dtype())))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input, offsets=None, per_sample_weights=None):  # noqa: A002
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, False, per_sample_weights,
                             self.include_last_offset, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """A bag layer over the given table (rows, D); ``freeze`` stops its training."""
        bag = cls(*embeddings.shape, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
