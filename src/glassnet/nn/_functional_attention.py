"""Scaled dot-product attention, composed from primitives (re-exported by ``nn.functional``).

    scores  = Q · Kᵀ · scale                 (…, L, S)   scale = 1/√E unless given
    scores += mask                           boolean masks: False → −∞; float masks are added
    weights = softmax(scores) by rows        a row with every score −∞ gives zeros, as PyTorch
    out     = weights · V                    (…, L, Ev)

Every step is a matmul, an add, a ``where`` or a softmax, so the engine differentiates it
and explain sees each matrix. No hand-written backward.
"""

import math

import numpy as np

from glassnet import ops
from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._activation import softmax_with_bias

__all__ = ["scaled_dot_product_attention", "attention_bias", "causal_mask", "safe_softmax"]


def causal_mask(length, source_length=None, xp=np):
    """Boolean (L, S) mask, True where query i may attend to key j: ``j ≤ i`` (top-left
    aligned, as PyTorch's ``is_causal``)."""
    source_length = length if source_length is None else source_length
    return xp.tril(xp.ones((length, source_length), dtype=bool))


def _mask_array(mask):
    return mask.array if isinstance(mask, Tensor) else np.asarray(mask)


def attention_bias(attn_mask, is_causal, length, source_length, like, op="scaled_dot_product_attention"):
    """The additive mask of ``scaled_dot_product_attention``: None, a constant array, or the
    float mask Tensor itself (so a learned bias keeps its gradient).

    Boolean masks keep True and put −∞ where False; ``is_causal`` is the boolean
    lower-triangular mask (and excludes ``attn_mask``)."""
    xp = namespace(like.array)
    if is_causal:
        if attn_mask is not None:
            raise GlassnetValueError(
                f"{op}: pass either attn_mask or is_causal=True, not both (fold the causal "
                "mask into attn_mask: attn_mask & causal_mask(L, S))"
            )
        attn_mask = causal_mask(length, source_length, xp)
    if attn_mask is None:
        return None
    mask = _mask_array(attn_mask)
    if not _fits(mask.shape[-2:], (length, source_length)):
        raise ShapeError(
            f"{op}: attn_mask {tuple(mask.shape)} must broadcast to the score matrix "
            f"(…, L={length}, S={source_length})"
        )
    if mask.dtype == bool:
        return xp.where(xp.asarray(mask), like.dtype.type(0), like.dtype.type(-np.inf))
    if mask.dtype.kind != "f":
        raise GlassnetTypeError(
            f"{op}: attn_mask must be boolean (True = attend) or float (added to the scores), "
            f"got dtype {mask.dtype}"
        )
    if isinstance(attn_mask, Tensor):
        return attn_mask if attn_mask.dtype == like.dtype else attn_mask.to(like.dtype)
    return xp.asarray(mask, dtype=like.dtype)


def _fits(shape, target):
    try:
        return np.broadcast_shapes(tuple(shape), target) == target
    except ValueError:
        return False


def _add_bias(scores, bias):
    if bias is None:
        return scores
    if isinstance(bias, Tensor):
        return scores + bias
    return scores + Tensor._wrap(bias, False, None)


def safe_softmax(scores, dim=-1):
    """``softmax`` by rows, except that a row whose scores are all −∞ (every key masked)
    gives zeros and passes no gradient — PyTorch's ``_safe_softmax``, not 0/0 = NaN."""
    dead = (scores.array == -np.inf).all(axis=dim, keepdims=True)
    if not dead.any():
        return ops.softmax(scores, dim)
    return ops.where(dead, 0.0, ops.softmax(ops.where(dead, 0.0, scores), dim))


def _check_qkv(query, key, value):
    q, k, v = (tuple(t.shape) for t in (query, key, value))
    if min(len(q), len(k), len(v)) < 2:
        raise ShapeError(
            f"scaled_dot_product_attention: query {q}, key {k} and value {v} need at least "
            "2 dimensions: (…, L, E), (…, S, E), (…, S, Ev)"
        )
    if q[-1] != k[-1] or k[-2] != v[-2]:
        raise ShapeError(
            f"scaled_dot_product_attention: query {q}, key {k}, value {v} — query and key "
            f"must share the feature size E ({q[-1]} vs {k[-1]}) and key and value the "
            f"sequence length S ({k[-2]} vs {v[-2]})"
        )


def _repeat_heads(x, groups):
    """(…, Hk, S, E) → (…, Hk·groups, S, E), each head repeated ``groups`` times in place
    (``repeat_interleave`` on the head axis): grouped-query attention."""
    if groups == 1:
        return x
    *lead, heads, s, e = x.shape
    x = ops.unsqueeze(x, -3)
    return ops.expand(x, *lead, heads, groups, s, e).reshape(*lead, heads * groups, s, e)


def _group(query, key, value):
    hq, hk = query.shape[-3], key.shape[-3]
    if hq % hk or value.shape[-3] != hk:
        raise ShapeError(
            f"scaled_dot_product_attention: enable_gqa needs query heads ({hq}) to be a "
            f"multiple of key/value heads ({hk}, {value.shape[-3]})"
        )
    return _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hk)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """``softmax(Q·Kᵀ·scale + mask) · V`` — PyTorch's ``F.scaled_dot_product_attention``.

    query (…, L, E), key (…, S, E), value (…, S, Ev) → (…, L, Ev). ``attn_mask``
    broadcasts to (…, L, S): boolean (True = may attend) or float (added to the scores).
    ``is_causal``: query i sees keys 0..i. ``dropout_p`` drops attention weights (always,
    as PyTorch's functional form: pass 0.0 in evaluation). ``enable_gqa``: fewer key/value
    heads than query heads, each shared by a group of query heads."""
    _check_qkv(query, key, value)
    if enable_gqa and query.ndim >= 3:
        key, value = _group(query, key, value)
    length, source_length = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    if source_length > query.shape[-1]:  # scale the smaller array: Q (…, L, E) before Q·Kᵀ
        scores = ops.matmul(query * scale, ops.swapaxes(key, -2, -1))  # (…, L, S)
    else:
        scores = ops.matmul(query, ops.swapaxes(key, -2, -1)) * scale
    bias = attention_bias(attn_mask, is_causal, length, source_length, query)
    if is_causal:  # a constant mask under which every query sees key 0: no row is all −∞
        weights = softmax_with_bias(scores, -1, bias)
    else:
        weights = safe_softmax(_add_bias(scores, bias), -1)
    if dropout_p > 0.0:
        from glassnet.nn.functional import dropout

        weights = dropout(weights, dropout_p, training=True)
    return ops.matmul(weights, value)  # (…, L, Ev)
