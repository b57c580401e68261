"""Module-registry entries for attention and transformer layers.

The contract suite feeds one float batch x and expects one tensor back, so each layer is
wrapped: self-attention reads x as query, key and value; cross-attention and the decoder
read slices of x as key/value/memory; masks are fixed patterns cut to the batch's size.
MultiheadAttention wrappers add ``weights @ x`` to the output so the returned attention
weights are compared (and differentiated) too. Each glassnet wrapper subclasses the layer,
so its state-dict keys are PyTorch's; the torch wrapper subclasses torch's layer.

Dropout is 0 everywhere: PyTorch's random stream cannot be reproduced.
"""

import numpy as np

import glassnet as gn
import glassnet.nn as nn

__all__ = ["attention_specs", "golden_attention_layer"]

_RNG = np.random.default_rng(11)
_PADDING = np.array([[False, False, False, True, True],
                     [False, True, False, False, False],
                     [False, False, False, False, True]])  # (N ≤ 3, S ≤ 5), key 0 always kept
_FLOAT_MASK = _RNG.standard_normal((5, 5))


def golden_attention_layer():
    """A MultiheadAttention of two heads of width 2 with weights a person can multiply
    (halves and ones), float64: the layer of the attention golden snapshots."""
    layer = nn.MultiheadAttention(4, 2, dtype=gn.float64)
    rng = np.random.default_rng(0)
    layer.in_proj_weight.data[...] = rng.integers(-2, 3, (12, 4)) / 2
    layer.in_proj_bias.data[...] = rng.integers(-1, 2, 12) / 2
    layer.out_proj.weight.data[...] = rng.integers(-2, 3, (4, 4)) / 2
    layer.out_proj.bias.data[...] = 0.0
    return layer


def _causal(length):
    return np.triu(np.ones((length, length), dtype=bool), 1)  # True above the diagonal: blocked


def _as(framework, array):
    return framework.tensor(array)


def _self_attention(base, framework, **call):
    """Self-attention with key padding (batch_first) returning ``out + weights @ x``."""

    class SelfAttention(base):
        def forward(self, x):
            mask = _as(framework, _PADDING[: x.shape[0], : x.shape[1]])
            out, weights = super().forward(x, x, x, key_padding_mask=mask, **call)
            return out + weights @ x

    return SelfAttention


def _causal_hint(base, framework):
    """Sequence-first (L, N, E) causal self-attention via the is_causal hint (the SDPA path)."""

    class CausalAttention(base):
        def forward(self, x):
            mask = _as(framework, _causal(x.shape[0]))
            return super().forward(x, x, x, attn_mask=mask, need_weights=False, is_causal=True)[0]

    return CausalAttention


def _cross_attention(base, framework):
    """batch_first; key = x[..., :3] (kdim 3), value = x[..., 2:] (vdim 4); a float mask;
    per-head weights, averaged by hand so they reach the output."""

    class CrossAttention(base):
        def forward(self, x):
            length = x.shape[1]
            mask = _as(framework, _FLOAT_MASK[:length, :length]).to(x.dtype)  # float32 runs too
            out, weights = super().forward(x, x[..., :3], x[..., 2:], attn_mask=mask,
                                           average_attn_weights=False)
            return out + weights.sum(1) @ x

    return CrossAttention


def _unbatched(base, framework):
    """One unbatched sequence (L, E) — the registry's batch axis is the sequence axis —
    with bias_k / bias_v and a zero key (both append one always-visible key)."""

    class Unbatched(base):
        def forward(self, x):
            mask = _as(framework, _causal(x.shape[0]))
            out, weights = super().forward(x, x, x, attn_mask=mask)
            return out + weights[:, : x.shape[0]] @ x

    return Unbatched


def _encoder(base, framework, padding=False):
    class Encoder(base):
        def forward(self, x):
            if padding:  # batch_first
                mask = _as(framework, _PADDING[: x.shape[0], : x.shape[1]])
                return super().forward(x, src_key_padding_mask=mask)
            return super().forward(x, _as(framework, _causal(x.shape[0])))

    return Encoder


def _decoder(base, framework):
    """batch_first; target = x, memory = x[:, 1:] with one padded memory key."""

    class Decoder(base):
        def forward(self, x):
            length = x.shape[1]
            memory_padding = _as(framework, _PADDING[: x.shape[0], 1:length])
            return super().forward(x, x[:, 1:] * 0.5, _as(framework, _causal(length)),
                                   memory_key_padding_mask=memory_padding)

    return Decoder


def _gn_torch(wrap, kind, *args, **kwargs):
    """(glassnet build, torch build) of ``wrap(kind)`` with the same arguments."""
    return (lambda: wrap(getattr(nn, kind), gn)(*args, **kwargs),
            lambda t: wrap(getattr(t.nn, kind), t)(*args, **kwargs))


def _stack(kind, layer_kind, wrap, num_layers, norm, **layer):
    def build(framework_nn, framework):
        inner = getattr(framework_nn, layer_kind)(4, 2, **layer)
        final = framework_nn.LayerNorm(4) if norm else None
        extra = {"enable_nested_tensor": False} if kind == "TransformerEncoder" else {}
        return wrap(getattr(framework_nn, kind), framework)(inner, num_layers, norm=final, **extra)

    return lambda: build(nn, gn), lambda t: build(t.nn, t)


_LAYER = {"dim_feedforward": 6, "dropout": 0.0}  # small: gradcheck perturbs every parameter


def attention_specs(spec):
    """ModuleSpec entries (``spec`` is the registry's dataclass)."""
    entries = [
        ("MultiheadAttention-self-batch_first-padding", (5, 6),
         _gn_torch(lambda b, f: _self_attention(b, f), "MultiheadAttention", 6, 2,
                   batch_first=True)),
        ("MultiheadAttention-causal-hint-4heads", (4, 8),
         _gn_torch(_causal_hint, "MultiheadAttention", 8, 4)),
        ("MultiheadAttention-kdim-vdim-float-mask", (4, 6),
         _gn_torch(_cross_attention, "MultiheadAttention", 6, 3, kdim=3, vdim=4,
                   batch_first=True)),
        ("MultiheadAttention-unbatched-bias_kv-zero_attn", (6,),
         _gn_torch(_unbatched, "MultiheadAttention", 6, 2, add_bias_kv=True,
                   add_zero_attn=True)),
        ("MultiheadAttention-nobias", (5, 6),
         _gn_torch(lambda b, f: _self_attention(b, f, need_weights=True), "MultiheadAttention",
                   6, 3, bias=False, batch_first=True)),
        ("TransformerEncoderLayer-post-norm-relu-causal", (4, 8),
         _gn_torch(_encoder, "TransformerEncoderLayer", 8, 2, **_LAYER)),
        ("TransformerEncoderLayer-norm_first-gelu-padding", (5, 8),
         _gn_torch(lambda b, f: _encoder(b, f, padding=True), "TransformerEncoderLayer", 8, 4,
                   activation="gelu", batch_first=True, norm_first=True, **_LAYER)),
        ("TransformerEncoderLayer-nobias-eps", (4, 8),
         _gn_torch(_encoder, "TransformerEncoderLayer", 8, 2, bias=False, layer_norm_eps=1e-3,
                   norm_first=True, **_LAYER)),
        ("TransformerDecoderLayer-post-norm", (4, 4),
         _gn_torch(_decoder, "TransformerDecoderLayer", 4, 2, batch_first=True, **_LAYER)),
        ("TransformerDecoderLayer-norm_first-gelu", (4, 4),
         _gn_torch(_decoder, "TransformerDecoderLayer", 4, 4, batch_first=True, norm_first=True,
                   activation="gelu", **_LAYER)),
        ("TransformerEncoder-2layers-final-norm", (4, 4),
         _stack("TransformerEncoder", "TransformerEncoderLayer", _encoder, 2, True, **_LAYER)),
        ("TransformerDecoder-2layers", (3, 4),
         _stack("TransformerDecoder", "TransformerDecoderLayer", _decoder, 2, False,
                batch_first=True, norm_first=True, **_LAYER)),
    ]
    specs = [spec(name, build, shape, torch_build) for name, shape, (build, torch_build) in entries]
    specs.append(spec("PositionalEncoding", lambda: nn.PositionalEncoding(6, max_len=10), (4, 6)))
    return specs
