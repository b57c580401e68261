"""``nn.Embedding``: a lookup table of learned vectors, one row per token."""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.autograd._mode import no_grad
from glassnet.nn import init
from glassnet.nn._functional_seq import embedding
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """``Y = W[indices]`` — weight (num_embeddings, embedding_dim); integer input of any
    shape (…) → output (…, embedding_dim).

    Equivalent to ``one_hot(indices) · W`` (a matmul with a one-hot matrix), done as a
    row lookup. Initialised like PyTorch, ``W ~ N(0, 1)``, with the ``padding_idx`` row
    zeroed; that row never receives a gradient.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=None):
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
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.data[self.padding_idx] = 0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
