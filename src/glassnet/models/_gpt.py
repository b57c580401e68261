"""A small GPT: a decoder-only transformer language model over token ids.

    x_0 = W_tok[idx] + W_pos[0..T-1]                        (N, T, E) token + position
    x_l = Block_l(x_{l-1})                                   l = 1..num_layers
    logits = LayerNorm(x_L) · W_tokᵀ                         (N, T, V) tied output head

Each block is a pre-norm :class:`~glassnet.nn.TransformerEncoderLayer` (GELU,
``norm_first``, ``batch_first``) run with the causal mask:

    x = x + MHA(LN1(x)) with query t attending to keys 0..t
    x = x + W_2 · GELU(W_1 · LN2(x) + b_1) + b_2

so the same weights load into PyTorch layers (``blocks.0.self_attn.in_proj_weight``, …).

Generation appends one token at a time. With a key/value cache (:class:`KVCache`) a new
token costs one row of attention per layer — its query against the keys kept from the
earlier steps — instead of recomputing the whole window.
"""

import math

import numpy as np

from glassnet._backend import default_generator, namespace
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.nn import init
from glassnet.nn._activation import Dropout
from glassnet.nn._containers import ModuleList
from glassnet.nn._embedding import Embedding
from glassnet.nn._functional_attention import scaled_dot_product_attention
from glassnet.nn._linear import Linear
from glassnet.nn._module import Module
from glassnet.nn._normalization import LayerNorm
from glassnet.nn._transformer import TransformerEncoderLayer
from glassnet.ops import permute
from glassnet.ops._linear import linear

__all__ = ["GPT", "KVCache"]


class KVCache:
    """Keys and values of every layer for the tokens seen so far, (N, H, capacity, d) per
    layer, filled up to ``length``; a step writes its new rows in place (no copies)."""

    def __init__(self, num_layers, batch, num_heads, capacity, head_dim, dtype, xp=np):
        shape = (batch, num_heads, capacity, head_dim)
        self.keys = [xp.zeros(shape, dtype) for _ in range(num_layers)]
        self.values = [xp.zeros(shape, dtype) for _ in range(num_layers)]
        self.length, self.capacity = 0, capacity

    def append(self, layer, k, v):
        """Write k, v (N, H, T, d) after the kept rows; return all keys and values so far
        (views, as constants: the cache is for inference, not for training)."""
        start, stop = self.length, self.length + k.shape[2]
        self.keys[layer][:, :, start:stop] = k.array
        self.values[layer][:, :, start:stop] = v.array
        return (Tensor._wrap(self.keys[layer][:, :, :stop], False, None),
                Tensor._wrap(self.values[layer][:, :, :stop], False, None))


def _heads(x, num_heads):
    """(N, T, E) → (N, H, T, d)."""
    n, t, e = x.shape
    return permute(x.reshape(n, t, num_heads, e // num_heads), 0, 2, 1, 3)


def _merge(x):
    """(N, H, T, d) → (N, T, H·d): the heads side by side again."""
    n, h, t, d = x.shape
    return permute(x, 0, 2, 1, 3).reshape(n, t, h * d)


class GPT(Module):
    """Decoder-only transformer (see the module docstring). ``forward(idx)``: int token
    ids (N, T) with T ≤ ``context_length`` → logits (N, T, vocab_size), position t
    predicting token t+1. Parameters: ``tok_emb.weight`` (V, E) — also the output head —
    ``pos_emb.weight`` (context_length, E), ``blocks.{l}.…``, ``norm.weight/bias``."""

    def __init__(self, vocab_size, context_length=128, d_model=128, num_heads=4, num_layers=2,
                 dim_feedforward=None, dropout=0.0):
        super().__init__()
        dim_feedforward = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.vocab_size, self.context_length = int(vocab_size), int(context_length)
        self.d_model, self.num_heads, self.num_layers = int(d_model), int(num_heads), int(num_layers)
        self.tok_emb = Embedding(vocab_size, d_model)
        self.pos_emb = Embedding(context_length, d_model)
        self.drop = Dropout(dropout)
        self.blocks = ModuleList([
            TransformerEncoderLayer(d_model, num_heads, dim_feedforward, dropout, activation="gelu",
                                    batch_first=True, norm_first=True)
            for _ in range(num_layers)])
        self.norm = LayerNorm(d_model)
        self._init_weights()
        self.config = {"kind": "gpt", "vocab_size": vocab_size, "context_length": context_length,
                       "d_model": d_model, "num_heads": num_heads, "num_layers": num_layers,
                       "dim_feedforward": dim_feedforward, "dropout": dropout}

    def _init_weights(self):
        """GPT-2's: weights N(0, 0.02), biases 0; the two projections that end each residual
        branch N(0, 0.02/√(2·num_layers)), so the residual stream's variance stays put."""
        residual_std = 0.02 / math.sqrt(2 * self.num_layers)
        for module in self.modules():
            if isinstance(module, (Linear, Embedding)):
                init.normal_(module.weight, 0.0, 0.02)
                if getattr(module, "bias", None) is not None:
                    init.zeros_(module.bias)
        for block in self.blocks:
            init.normal_(block.self_attn.in_proj_weight, 0.0, 0.02)
            init.normal_(block.self_attn.out_proj.weight, 0.0, residual_std)
            init.normal_(block.linear2.weight, 0.0, residual_std)

    def _embed(self, idx, start):
        n, t = idx.shape
        if start + t > self.context_length:
            raise ShapeError(
                f"GPT: {start + t} positions but context_length is {self.context_length} "
                "(crop the input to its last context_length tokens)"
            )
        positions = np.arange(start, start + t)
        return self.drop(self.tok_emb(idx) + self.pos_emb(positions))

    def forward(self, idx, cache=None):
        """Logits (N, T, V) for token ids ``idx`` (N, T). With a :class:`KVCache`, ``idx``
        are the next tokens after the ``cache.length`` already seen: only their rows of
        attention are computed, and the cache grows by T."""
        idx = _token_array(idx)
        start = 0 if cache is None else cache.length
        x = self._embed(idx, start)
        if cache is None:
            blocked = np.triu(np.ones((idx.shape[1],) * 2, dtype=bool), 1)
            for block in self.blocks:
                x = block(x, src_mask=blocked, is_causal=True)
        else:
            for layer, block in enumerate(self.blocks):
                x = self._cached_block(block, layer, x, cache)
            cache.length += idx.shape[1]
        return linear(self.norm(x), self.tok_emb.weight)

    def _cached_block(self, block, layer, x, cache):
        """One pre-norm block for the new rows x (N, T, E), keys and values of the earlier
        tokens from the cache: new query i (position P+i) sees keys 0..P+i."""
        attn = block.self_attn
        h = block.norm1(x)
        q, k, v = (_heads(t, attn.num_heads) for t in attn.project(h, h, h))  # (N, H, T, d)
        keys, values = cache.append(layer, k, v)  # (N, H, P+T, d)
        t, seen = x.shape[1], keys.shape[2]
        mask = None if t == 1 else np.tril(np.ones((t, seen), dtype=bool), seen - t)
        out = scaled_dot_product_attention(q, keys, values, attn_mask=mask)
        x = x + block.dropout1(attn.out_proj(_merge(out)))
        return x + block.feed_forward(block.norm2(x))

    def new_cache(self, batch):
        """An empty :class:`KVCache` for ``batch`` sequences of up to context_length tokens."""
        w = self.tok_emb.weight
        return KVCache(self.num_layers, batch, self.num_heads, self.context_length,
                       self.d_model // self.num_heads, w.dtype, namespace(w.array))

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True,
                 generator=None):
        """``idx`` (N, T) followed by ``max_new_tokens`` sampled tokens → (N, T + new).

        Each step samples from ``softmax(logits / temperature)`` of the last position,
        keeping only the ``top_k`` largest logits when given; ``temperature=0`` takes the
        most likely token. Only the last ``context_length`` tokens are read; once the text
        is longer, the window slides and the cache is rebuilt from it (positions shift).
        Runs in evaluation mode without gradients; the result does not depend on
        ``use_cache`` (the cache only saves work)."""
        if temperature < 0 or (top_k is not None and top_k < 1):
            raise GlassnetValueError(f"GPT.generate: temperature must be ≥ 0 and top_k ≥ 1, got "
                                     f"temperature={temperature}, top_k={top_k}")
        tokens = _token_array(idx)
        rng = generator if generator is not None else default_generator()
        was_training, cache = self.training, None
        self.eval()
        try:
            with no_grad():
                for _ in range(int(max_new_tokens)):
                    logits, cache = self._next_logits(tokens, cache, use_cache)
                    choice = _sample(logits, temperature, top_k, rng)
                    tokens = np.concatenate([tokens, choice[:, None]], axis=1)
        finally:
            self.train(was_training)
        return Tensor._wrap(tokens, False, None)

    def _next_logits(self, tokens, cache, use_cache):
        """Logits (N, V) of the token after ``tokens``, and the cache to use next time."""
        window = tokens[:, -self.context_length:]
        if not use_cache:
            return self(window).array[:, -1], None
        if cache is None or cache.length >= self.context_length:
            cache = self.new_cache(tokens.shape[0])  # first step, or the window slid
            return self(window, cache).array[:, -1], cache
        return self(tokens[:, -1:], cache).array[:, -1], cache

    def extra_repr(self):
        return (f"vocab_size={self.vocab_size}, context_length={self.context_length}, "
                f"d_model={self.d_model}, num_heads={self.num_heads}, num_layers={self.num_layers}")


def _token_array(idx):
    tokens = idx.array if isinstance(idx, Tensor) else np.asarray(idx)
    if tokens.ndim != 2 or tokens.dtype.kind not in "iu":
        raise ShapeError(f"GPT: expected integer token ids (N, T), got {tokens.dtype} "
                         f"{tuple(tokens.shape)}")
    return tokens.astype(np.int64, copy=False)


def _sample(logits, temperature, top_k, rng):
    """One token per row of ``logits`` (N, V): argmax at temperature 0, else a draw from
    ``softmax(logits / temperature)`` over the ``top_k`` largest."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return logits.argmax(axis=1)
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[1]:
        kth = np.sort(logits, axis=1)[:, -top_k][:, None]
        logits = np.where(logits < kth, -np.inf, logits)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    draws = rng.random((p.shape[0], 1))
    return np.minimum((p.cumsum(axis=1) < draws).sum(axis=1), p.shape[1] - 1)
