"""``nn.Embedding``: a lookup table of learned vectors, one row per token."""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.nn import init
from glassnet.nn._functional_embedding import embedding, warn_sparse
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """``Y = W[indices]`` — weight (num_embeddings, embedding_dim); integer input of any
    shape (…) → output (…, embedding_dim).

    Equivalent to ``one_hot(indices) · W`` (a matmul with a one-hot matrix), done as a
    row lookup. Initialised like PyTorch, ``W ~ N(0, 1)``, with the ``padding_idx`` row
    zeroed; that row never receives a gradient. PyTorch's other options, as PyTorch:
    ``max_norm`` renormalises the rows a forward pass uses (in place), and
    ``scale_grad_by_freq`` divides each row's gradient by its count in the batch (see
    :mod:`glassnet.nn._functional_embedding`). ``sparse=True`` is accepted and gives the
    same gradient as a dense array, with a one-time GlassnetWarning saying so.
    ``_weight`` (an initial table) and ``_freeze`` are PyTorch's private arguments that
    :meth:`from_pretrained` uses.

    Args:
        num_embeddings: the number of rows (the vocabulary size).
        embedding_dim: the length of each row vector.
        padding_idx: a row kept at zero that never receives a gradient (default None).
        max_norm: renormalise each looked-up row whose ``norm_type``-norm exceeds this, in
            place (default None: never).
        norm_type: the p of the norm ``max_norm`` uses (default 2.0).
        scale_grad_by_freq: divide each row's gradient by its count in the batch
            (default False).
        sparse: accepted for PyTorch code; the gradient is a dense array either way
            (a one-time warning says so).
        _weight: an initial table (num_embeddings, embedding_dim) to use instead of N(0, 1).
        _freeze: when True the table gets no gradient (``from_pretrained``'s ``freeze``).
        device: where the table lives (default None: the CPU).
        dtype: the table's dtype (default: glassnet's default, float32).

    Shape:
        integer input ``(*)`` of any shape → output ``(*, embedding_dim)``.

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> emb = gn.nn.Embedding(10, 3, padding_idx=0)
        >>> emb.weight.shape
        (10, 3)
        >>> emb(gn.tensor([[1, 2, 0], [4, 0, 9]])).shape    # 2 sequences of 3 token ids
        (2, 3, 3)
        >>> print(emb(gn.tensor([0])).numpy())              # the padding row
        [[0. 0. 0.]]
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise GlassnetValueError(
                f"Embedding: num_embeddings and embedding_dim must be positive, got "
                f"{num_embeddings}, {embedding_dim}"
            )
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise GlassnetValueError(
                    f"Embedding: padding_idx {padding_idx} must be within num_embeddings "
                    f"({num_embeddings})"
                )
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if sparse:
            warn_sparse()
        if _weight is None:
            dtype = np.dtype(dtype or get_default_dtype())
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            self.weight = Parameter(self._given_weight(_weight), requires_grad=not _freeze)
        if device is not None:
            self.to(str(device))

    def _given_weight(self, weight):
        array = weight.array if isinstance(weight, Tensor) else np.asarray(weight)
        if tuple(array.shape) != (self.num_embeddings, self.embedding_dim):
            raise ShapeError(
                f"Embedding: _weight has shape {tuple(array.shape)}, which does not match "
                f"num_embeddings and embedding_dim ({self.num_embeddings}, "
                f"{self.embedding_dim})")
        return array

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose table is ``embeddings`` (2-D, shared, not copied), frozen
        (no gradient) unless ``freeze=False``; the padding row is kept as given."""
        if len(embeddings.shape) != 2:
            raise ShapeError(
                f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, "
                f"embedding_dim), got shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse,
                   _weight=embeddings, _freeze=freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.array[self.padding_idx] = 0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        if self.sparse:
            text += ", sparse=True"
        return text
