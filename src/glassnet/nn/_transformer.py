"""Transformer encoder and decoder layers with PyTorch's names, defaults and numbers.

An encoder layer is two residual blocks around a sequence x (L, N, E) — (N, L, E) with
``batch_first``:

    post-norm (default):  x = norm1(x + SA(x));        x = norm2(x + FF(x))
    pre-norm (norm_first): x = x + SA(norm1(x));       x = x + FF(norm2(x))

    SA(x) = dropout1(MultiheadAttention(x, x, x))                 self-attention
    FF(x) = dropout2(linear2(dropout(activation(linear1(x)))))    E → dim_feedforward → E

A decoder layer adds cross-attention to the encoder's output ``memory`` between the two:
``MHA(x, memory, memory)`` with ``norm2`` / ``dropout2``; its feed-forward block then uses
``norm3`` / ``dropout3``. Submodule names are PyTorch's, so state dicts load as-is.
"""

import copy

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._creation import tensor
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.nn import init
from glassnet.nn._activation import Dropout
from glassnet.nn._attention import MultiheadAttention
from glassnet.nn._containers import ModuleList
from glassnet.nn._linear import Linear
from glassnet.nn._module import Module
from glassnet.nn._normalization import LayerNorm
from glassnet.ops import gelu, relu

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "generate_square_subsequent_mask",
]


def generate_square_subsequent_mask(size, dtype=None):
    """The float causal mask (size, size): 0 on and below the diagonal, −∞ above (PyTorch's
    ``nn.Transformer.generate_square_subsequent_mask``): position i attends to 0..i."""
    mask = np.triu(np.full((size, size), -np.inf), 1)
    return tensor(mask, dtype=dtype or get_default_dtype())


def _activation(activation, who):
    if callable(activation):
        return activation
    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    raise GlassnetValueError(f"{who}: activation should be 'relu', 'gelu' or a callable, "
                             f"not {activation!r}")


class _FeedForwardLayer(Module):
    """What both layers share: the feed-forward block and its settings."""

    def _feed_forward_parts(self, d_model, dim_feedforward, dropout, activation, bias, dtype):
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.activation = _activation(activation, type(self).__name__)

    def _ff_block(self, x, dropout):
        return dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _attention_block(self, attention, dropout, x, memory, mask, padding, is_causal):
        out = attention(x, memory, memory, attn_mask=mask, key_padding_mask=padding,
                        need_weights=False, is_causal=is_causal)[0]
        return dropout(out)

    def extra_repr(self):
        return f"norm_first={self.norm_first}"


class TransformerEncoderLayer(_FeedForwardLayer):
    """Self-attention + feed-forward, each with a residual connection and a LayerNorm
    (see the module docstring). Input and output: (L, N, E), (N, L, E) with
    ``batch_first``, or (L, E). ``src_mask`` (L, S) / (N·H, L, S) and
    ``src_key_padding_mask`` (N, S) as in :class:`MultiheadAttention`."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self._feed_forward_parts(d_model, dim_feedforward, dropout, activation, bias, dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)

    def feed_forward(self, x):
        """The feed-forward branch FF(x) alone (no residual, no norm): a model that runs
        attention its own way (the GPT's cached generation) still uses the layer's FF."""
        return self._ff_block(x, self.dropout2)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        sa = (self.self_attn, self.dropout1)
        if self.norm_first:
            h = self.norm1(x)
            x = x + self._attention_block(*sa, h, h, src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._attention_block(*sa, x, x, src_mask, src_key_padding_mask,
                                                 is_causal))
        return self.norm2(x + self._ff_block(x, self.dropout2))


class TransformerDecoderLayer(_FeedForwardLayer):
    """Masked self-attention, cross-attention to ``memory`` (S, N, E), feed-forward; each
    with a residual connection and a LayerNorm (see the module docstring)."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, dtype=dtype)
        self._feed_forward_parts(d_model, dim_feedforward, dropout, activation, bias, dtype)
        self.norm_first = norm_first
        for i in (1, 2, 3):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.dropout1, self.dropout2, self.dropout3 = Dropout(dropout), Dropout(dropout), Dropout(dropout)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        tgt_pad, memory_pad = tgt_key_padding_mask, memory_key_padding_mask
        sa = (self.self_attn, self.dropout1)
        ca = (self.multihead_attn, self.dropout2)
        x = tgt
        if self.norm_first:
            h = self.norm1(x)
            x = x + self._attention_block(*sa, h, h, tgt_mask, tgt_pad, tgt_is_causal)
            x = x + self._attention_block(*ca, self.norm2(x), memory, memory_mask, memory_pad,
                                          memory_is_causal)
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._attention_block(*sa, x, x, tgt_mask, tgt_pad, tgt_is_causal))
        x = self.norm2(x + self._attention_block(*ca, x, memory, memory_mask, memory_pad,
                                                 memory_is_causal))
        return self.norm3(x + self._ff_block(x, self.dropout3))


def _clones(layer, num_layers, who, kind):
    if not isinstance(layer, kind):
        raise GlassnetTypeError(f"{who}: expected a {kind.__name__} to copy, got "
                                f"{type(layer).__name__}")
    if num_layers < 1:
        raise GlassnetValueError(f"{who}: num_layers must be at least 1, got {num_layers}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """``num_layers`` independent copies of ``encoder_layer`` applied in turn, then the
    optional final ``norm`` (parameters ``layers.0.…``, ``norm.…`` as PyTorch)."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder",
                              TransformerEncoderLayer)
        self.num_layers, self.norm = int(num_layers), norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """``num_layers`` independent copies of ``decoder_layer``, each reading ``memory``,
    then the optional final ``norm``."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder",
                              TransformerDecoderLayer)
        self.num_layers, self.norm = int(num_layers), norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder–decoder of "Attention Is All You Need" (PyTorch's ``nn.Transformer``):
    ``memory = encoder(src)``, ``output = decoder(tgt, memory)``, each a stack of layers
    ending in a LayerNorm; submodules ``encoder.layers.i…``, ``encoder.norm``,
    ``decoder.layers.i…``, ``decoder.norm`` as PyTorch, so state dicts load as-is. Every
    weight matrix starts Xavier-uniform (PyTorch's ``_reset_parameters``).

    Shapes: src (S, N, E), tgt (T, N, E) → (T, N, E); (N, S, E), (N, T, E) with
    ``batch_first``; masks as in :class:`TransformerEncoder` and :class:`TransformerDecoder`.
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        layer = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                     activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                     norm_first=norm_first, bias=bias, dtype=dtype)
        norm = dict(eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(**layer), num_encoder_layers, LayerNorm(d_model, **norm))
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(**layer), num_decoder_layers, LayerNorm(d_model, **norm))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        self._reset_parameters()
        if device is not None:
            self.to(device)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
                src_is_causal=None, tgt_is_causal=None, memory_is_causal=False):
        batch_axis = 0 if self.batch_first else 1
        if src.dim() == 3 and tgt.dim() == 3 and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise GlassnetValueError(f"Transformer: src {tuple(src.shape)} and tgt {tuple(tgt.shape)} "
                                     f"must have the same batch size (axis {batch_axis})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise GlassnetValueError(f"Transformer: the last axis of src {tuple(src.shape)} and tgt "
                                     f"{tuple(tgt.shape)} must be d_model = {self.d_model}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The float causal mask (sz, sz): 0 on and below the diagonal, −∞ above, in ``dtype``
        (the default dtype when None), as PyTorch's."""
        mask = generate_square_subsequent_mask(sz, dtype=dtype)
        return mask if device is None else mask.to(device)
