"""Embedding lookup: rows of a weight table picked by integer indices.

A primitive rather than ``weight[indices]`` because of ``padding_idx``: the padding row is
read in forward but gets no gradient, and repeated indices must add their rows' gradients
(``dW[k] = Σ_{positions p with index k} dY[p]``, done by one scatter-add).
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetIndexError, GlassnetTypeError
from glassnet.autograd._function import Function
from glassnet.ops._shape import _add_at

__all__ = ["embedding_lookup"]


class EmbeddingLookup(Function):
    formula = "Y[…, :] = W[indices[…], :]"
    grad_formulas = ("dW[k] = Σ dY[p] over positions p with indices[p] = k (0 for the padding row)",)

    @property
    def linear(self):
        """Linear in the weight (create_graph differentiates it generically) unless a padding
        row's gradient is zeroed — then the backward is not the forward's transpose."""
        return self.params["padding_idx"] is None

    def forward(self, weight, indices, padding_idx):
        self.rows = weight.shape[0]
        return weight[indices]

    def backward(self, g):
        xp = namespace(g)
        dw = xp.zeros((self.rows, g.shape[-1]), dtype=g.dtype)
        _add_at(xp, dw, self.params["indices"].reshape(-1), g.reshape(-1, g.shape[-1]))
        if self.params["padding_idx"] is not None:
            dw[self.params["padding_idx"]] = 0
        return dw


def embedding_lookup(weight, indices, padding_idx=None):
    """``weight[indices]`` for an integer array ``indices`` of any shape → (*indices.shape, D)."""
    if indices.dtype.kind not in "iu":
        raise GlassnetTypeError(
            f"embedding: indices must be integers, got dtype {indices.dtype} (use .long())"
        )
    rows = weight.shape[0]
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= rows):
        bad = int(indices.min()) if int(indices.min()) < 0 else int(indices.max())
        raise GlassnetIndexError(
            f"embedding: index {bad} is out of range for a table of {rows} rows "
            f"(valid 0..{rows - 1}; is num_embeddings the vocabulary size?)"
        )
    return EmbeddingLookup.apply(weight, indices=indices, padding_idx=padding_idx)
