"""Sinusoidal positional encoding ("Attention Is All You Need", §3.5).

Attention itself ignores order (permuting the keys permutes nothing in the output), so
each position p gets a fixed vector added to its embedding:

    PE[p, 2i]   = sin(p / base^(2i/d))
    PE[p, 2i+1] = cos(p / base^(2i/d))          base = 10000, d = d_model

Learned positional embeddings are an ``nn.Embedding(max_len, d_model)`` looked up at
``arange(L)`` (as the GPT in :mod:`glassnet.models` does).
"""

import numpy as np

from glassnet._backend import get_default_dtype, namespace
from glassnet._creation import tensor
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn._activation import Dropout
from glassnet.nn._module import Module
from glassnet.ops import to_device

__all__ = ["PositionalEncoding", "sinusoidal_positional_encoding"]


def sinusoidal_positional_encoding(length, d_model, base=10000.0, dtype=None):
    """The (length, d_model) table PE of the module docstring, as a constant Tensor."""
    if length < 0 or d_model <= 0:
        raise GlassnetValueError(
            f"sinusoidal_positional_encoding: need length ≥ 0 and d_model > 0, got "
            f"length={length}, d_model={d_model}"
        )
    position = np.arange(length, dtype=np.float64)[:, None]  # (L, 1)
    rates = base ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)  # (⌈d/2⌉,)
    table = np.empty((length, d_model))
    table[:, 0::2] = np.sin(position * rates)
    table[:, 1::2] = np.cos(position * rates[: d_model // 2])
    return tensor(table, dtype=dtype or get_default_dtype())


class PositionalEncoding(Module):
    """``x + PE[:L]`` then dropout. Input (L, N, E) — (N, L, E) with ``batch_first`` —
    with E = d_model and L ≤ max_len; output of the same shape. No parameters and nothing
    saved: the table is computed in the input's dtype at each call (L·E/2 sines and
    cosines, negligible beside attention's L²·E), so float64 inputs get float64 positions."""

    def __init__(self, d_model, max_len=5000, dropout=0.0, batch_first=False, base=10000.0):
        super().__init__()
        self.d_model, self.max_len, self.batch_first = int(d_model), int(max_len), batch_first
        self.base = float(base)
        self.dropout = Dropout(dropout)

    def forward(self, x):
        axis = 1 if self.batch_first else 0
        if x.ndim != 3 or x.shape[-1] != self.d_model or x.shape[axis] > self.max_len:
            layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
            raise ShapeError(
                f"PositionalEncoding: expected {layout} with E = {self.d_model} and L ≤ "
                f"{self.max_len}, got {tuple(x.shape)}"
            )
        length = x.shape[axis]
        pe = sinusoidal_positional_encoding(length, self.d_model, self.base, x.dtype)
        if namespace(x.array) is not np:
            pe = to_device(pe, x.device)
        pe = pe.reshape(1, length, self.d_model) if self.batch_first else pe.reshape(length, 1, self.d_model)
        return self.dropout(x + pe)

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"
