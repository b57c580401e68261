"""``nn.MultiheadAttention``: PyTorch's parameters, layouts, masks and numbers.

With E = embed_dim, H = num_heads, d = E / H (one head's width), for each head h:

    Q_h = X_q · W_Qhᵀ + b_Qh      K_h = X_k · W_Khᵀ + b_Kh      V_h = X_v · W_Vhᵀ + b_Vh
    A_h = softmax(Q_h · K_hᵀ / √d + mask) · V_h                   (L, d)
    Y   = [A_1 | … | A_H] · W_Oᵀ + b_O                            (L, E)

``in_proj_weight`` (3E, E) stacks W_Q, W_K, W_V (rows 0..E-1 are W_Q); head h owns rows
``h·d .. (h+1)·d-1`` of each. With other key/value sizes (``kdim``, ``vdim``) the three
are ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim).
``out_proj`` is a Linear(E, E). Same names and layouts as PyTorch, so state dicts and
safetensors files interchange.
"""

import math

import numpy as np

from glassnet import ops
from glassnet._backend import get_default_dtype, namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.nn import init
from glassnet.nn._functional_attention import scaled_dot_product_attention
from glassnet.nn._linear import Linear
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter
from glassnet.ops._linear import linear

__all__ = ["MultiheadAttention", "additive_mask"]


def additive_mask(mask, name, dtype, xp=np):
    """PyTorch's ``_canonical_mask``: a boolean mask (True = blocked) becomes 0 / −∞ in
    ``dtype``; a float mask is kept (added to the scores as it is)."""
    if mask is None:
        return None
    if isinstance(mask, Tensor) and mask.dtype.kind == "f":
        return mask if mask.dtype == dtype else mask.to(dtype)
    data = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if data.dtype == bool:
        return xp.where(xp.asarray(data), dtype.type(-np.inf), dtype.type(0))
    if data.dtype.kind != "f":
        raise GlassnetTypeError(
            f"MultiheadAttention: {name} must be boolean (True = masked) or float (added to "
            f"the scores), got dtype {data.dtype}"
        )
    return xp.asarray(data, dtype=dtype)


def _plus(a, b):
    """Sum of two additive masks (arrays or Tensors), None meaning zero."""
    if a is None or b is None:
        return a if b is None else b
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return ops.add(a, b) if isinstance(a, Tensor) else ops.add(b, a)
    return a + b


def _pad_key(mask, xp):
    """One more key column (a bias or zero key) that every query may attend to."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        return ops.pad(mask, (0, 1))
    return xp.concatenate([mask, xp.zeros((*mask.shape[:-1], 1), dtype=mask.dtype)], axis=-1)


def _as_tensor(mask):
    return mask if mask is None or isinstance(mask, Tensor) else Tensor._wrap(mask, False, None)


class MultiheadAttention(Module):
    """Multi-head attention (see the module docstring for the formula).

    Input (L, N, E) — or (N, L, E) with ``batch_first``, or (L, E) unbatched — for the
    query; key (S, N, kdim) and value (S, N, vdim) likewise. Returns the output shaped like
    the query and, with ``need_weights``, the attention weights (N, L, S) averaged over
    heads, or (N, H, L, S) with ``average_attn_weights=False``.
    ``key_padding_mask`` (N, S): True (or −∞) marks a padded key. ``attn_mask`` (L, S) or
    (N·H, L, S): True (or −∞) blocks a query from a key; float masks are added.
    ``is_causal`` is a hint that ``attn_mask`` is the causal mask (as PyTorch).

    Args:
        embed_dim: the model's width ``E`` (split over the heads: ``E / num_heads`` each).
        num_heads: the number of attention heads ``H``.
        dropout: dropout on the attention weights (training only).
        bias: whether the input and output projections have biases (default True).
        add_bias_kv: append a learned bias row to the keys and values.
        add_zero_attn: append a row of zeros to the keys and values.
        kdim: the keys' feature size (default ``embed_dim``).
        vdim: the values' feature size (default ``embed_dim``).
        batch_first: inputs and outputs are ``(N, L, E)`` instead of ``(L, N, E)``.
        dtype: the parameters' dtype (default: glassnet's default dtype).

    Shape:
        query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N, vdim)`` (batch first with
        ``batch_first``) → output ``(L, N, E)`` and weights ``(N, L, S)``.

    Example:
        >>> import glassnet as gn
        >>> attention = gn.nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = gn.randn(4, 6, 8)
        >>> output, weights = attention(x, x, x)
        >>> output.shape, weights.shape
        ((4, 6, 8), (4, 6, 6))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise GlassnetValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple of "
                f"num_heads ({num_heads}): each head gets embed_dim / num_heads features"
            )
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout, self.batch_first, self.add_zero_attn = float(dropout), batch_first, add_zero_attn
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        dtype = np.dtype(dtype or get_default_dtype())
        self._make_projections(bias, dtype)
        self.out_proj = Linear(self.embed_dim, self.embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, self.embed_dim), dtype))
            self.bias_v = Parameter(np.empty((1, 1, self.embed_dim), dtype))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self._reset_parameters()

    def _make_projections(self, bias, dtype):
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), dtype))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * e, dtype))
        else:
            self.register_parameter("in_proj_bias", None)

    def _reset_parameters(self):
        """As PyTorch: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def projection_weights(self):
        """(W_Q, W_K, W_V, b_Q, b_K, b_V): views into the packed parameters (Tensors that
        carry gradients back to ``in_proj_weight`` / ``in_proj_bias``), biases None if absent."""
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            weights = (w[:e], w[e:2 * e], w[2 * e:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        biases = (None,) * 3 if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        return (*weights, *biases)

    def project(self, query, key, value):
        """Q, K, V = X·Wᵀ + b for the three inputs (any leading axes)."""
        wq, wk, wv, bq, bk, bv = self.projection_weights()
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)

    def split_heads(self, x):
        """(S, N, E) → (N, H, S, d): head h is columns h·d .. (h+1)·d-1."""
        s, n, _ = x.shape
        return ops.permute(x.reshape(s, n, self.num_heads, self.head_dim), 1, 2, 0, 3)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        batched = self._check_inputs(query, key, value)
        if batched and self.batch_first:  # project in (N, L, E), then view as (L, N, E): no copy
            q, k, v = (ops.swapaxes(t, 0, 1) for t in self.project(query, key, value))
        elif not batched:
            q, k, v = self.project(*(ops.unsqueeze(t, 1) for t in (query, key, value)))
            if key_padding_mask is not None:
                key_padding_mask = _unsqueeze_mask(key_padding_mask)
        else:
            q, k, v = self.project(query, key, value)
        out, weights = self._attend(q, k, v, key_padding_mask, need_weights,
                                    attn_mask, average_attn_weights, is_causal)
        if not batched:
            return out[:, 0], None if weights is None else weights[0]
        return (ops.swapaxes(out, 0, 1) if self.batch_first else out), weights

    def _check_inputs(self, query, key, value):
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ShapeError(
                f"MultiheadAttention: query {tuple(query.shape)}, key {tuple(key.shape)}, value "
                f"{tuple(value.shape)} must all be 3-D (batched) or all 2-D (unbatched)"
            )
        sizes = (query.shape[-1], key.shape[-1], value.shape[-1])
        if sizes != (self.embed_dim, self.kdim, self.vdim):
            raise ShapeError(
                f"MultiheadAttention: feature sizes (query, key, value) = {sizes}, expected "
                f"(embed_dim, kdim, vdim) = {(self.embed_dim, self.kdim, self.vdim)}"
            )
        return query.ndim == 3

    def _attend(self, q, k, v, key_padding_mask, need_weights, attn_mask, average, is_causal):
        """The (L, N, E) computation of ``F.multi_head_attention_forward`` from the projected
        Q (L, N, E), K and V (S, N, E)."""
        length, n = q.shape[0], q.shape[1]
        xp, dtype = namespace(q.array), q.dtype
        if is_causal and attn_mask is None:
            raise GlassnetValueError(
                "MultiheadAttention: is_causal=True is a hint that attn_mask is causal; pass "
                "the mask too (e.g. ~causal_mask(L) as booleans)"
            )
        kpm = additive_mask(key_padding_mask, "key_padding_mask", dtype, xp)
        if is_causal and kpm is None and not need_weights:
            mask = None  # the causal flag of scaled_dot_product_attention takes its place
        else:
            mask = self._head_mask(additive_mask(attn_mask, "attn_mask", dtype, xp), length,
                                   k.shape[0], n)
            is_causal = False
        k, v, mask, kpm = self._extra_keys(k, v, mask, kpm, xp)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        if self.add_zero_attn:
            k, v = (ops.cat([t, Tensor._wrap(xp.zeros((*t.shape[:2], 1, t.shape[3]), dtype), False,
                                             None)], dim=2) for t in (k, v))
            mask, kpm = _pad_key(mask, xp), _pad_key(kpm, xp)
        mask = _plus(mask, self._padding_mask(kpm, n, k.shape[2]))
        p = self.dropout if self.training else 0.0
        if need_weights:
            heads, weights = self._weighted(q, k, v, mask, p)
            weights = weights.mean(dim=1) if average else weights
        else:
            heads, weights = scaled_dot_product_attention(q, k, v, _as_tensor(mask), p,
                                                          is_causal), None
        concat = ops.permute(heads, 2, 0, 1, 3).reshape(length, n, self.embed_dim)
        return self.out_proj(concat), weights

    def _weighted(self, q, k, v, mask, p):
        """softmax(Q·Kᵀ/√d + mask) · V with the weights kept (a row with every key
        masked gives NaN here, as PyTorch's need_weights path)."""
        scores = ops.matmul(q * math.sqrt(1.0 / self.head_dim), ops.swapaxes(k, -2, -1))
        if mask is not None:
            scores = scores + _as_tensor(mask)
        with np.errstate(invalid="ignore"):  # all keys masked: −∞ − (−∞) = NaN, as PyTorch
            weights = ops.softmax(scores, -1)
        if p > 0.0:
            from glassnet.nn.functional import dropout

            weights = dropout(weights, p, training=True)
        return ops.matmul(weights, v), weights

    def _head_mask(self, mask, length, source_length, n):
        """attn_mask (L, S) → (1, 1, L, S); (N·H, L, S) → (N, H, L, S)."""
        if mask is None:
            return None
        shape = tuple(mask.shape)
        if shape == (length, source_length):
            return mask.reshape(1, 1, length, source_length)
        if shape == (n * self.num_heads, length, source_length):
            return mask.reshape(n, self.num_heads, length, source_length)
        raise ShapeError(
            f"MultiheadAttention: attn_mask {shape} must be (L, S) = {(length, source_length)} "
            f"or (N·num_heads, L, S) = {(n * self.num_heads, length, source_length)}"
        )

    def _extra_keys(self, k, v, mask, kpm, xp):
        """``add_bias_kv``: one learned key and value appended to every sequence."""
        if self.bias_k is None:
            return k, v, mask, kpm
        n = k.shape[1]
        k = ops.cat([k, ops.expand(self.bias_k, 1, n, self.embed_dim)], dim=0)
        v = ops.cat([v, ops.expand(self.bias_v, 1, n, self.embed_dim)], dim=0)
        return k, v, _pad_key(mask, xp), _pad_key(kpm, xp)

    def _padding_mask(self, kpm, n, source_length):
        """key_padding_mask (N, S) → (N, 1, 1, S): the same for every head and query."""
        if kpm is None:
            return None
        if tuple(kpm.shape) != (n, source_length):
            raise ShapeError(
                f"MultiheadAttention: key_padding_mask {tuple(kpm.shape)} must be "
                f"(N, S) = {(n, source_length)}"
            )
        return kpm.reshape(n, 1, 1, source_length)

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}")


def _unsqueeze_mask(mask):
    if isinstance(mask, Tensor):
        return ops.unsqueeze(mask, 0)
    return np.asarray(mask)[None]
