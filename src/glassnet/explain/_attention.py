"""Attention by hand: the whole of ``softmax(Q·Kᵀ/√d + M)·V`` the way it is done on paper.

    Q = X·W_Q + b_Q,  K = X_k·W_K + b_K,  V = X_v·W_V + b_V     the projections, as matmuls
    S = Q_h·K_hᵀ                                                  one head's scores
    Z = S/√d + M                                                  scaled, masked (M: 0 or −∞)
    P[i,:] = exp(Z[i,:] − max) / Σ exp(Z[i,:] − max)              row softmax
    A_h = P·V_h                                                   weighted sum of values
    Y = [A_1 | … | A_H]·W_Oᵀ + b_O                                heads side by side, projected

Every product is a :class:`MatmulExplanation` (cells summed by hand, checked against the
engine's matmul); the output and every head's weights are checked against the layer
itself (``nn.MultiheadAttention``) or ``F.scaled_dot_product_attention``.
"""

import copy
import html

import numpy as np

from glassnet._errors import GlassnetTypeError, ShapeError
from glassnet.explain._matmul import MatmulExplanation
from glassnet.explain._render import (
    Explanation,
    agreement,
    flow,
    fmt,
    html_matrix,
    label_block,
    matrix_block,
    render_block,
    to_numpy,
    vcat,
    wrap,
)

__all__ = ["AttentionExplanation", "attention"]


def _augmented(X, W, b, names):
    """``[X | 1]·[W; b]`` (the bias as one more row of W) as a MatmulExplanation; plain
    ``X·W`` without a bias."""
    if b is None:
        plain = (names[0].strip("[]").split(" |")[0], names[1].strip("[]").split(";")[0], names[2])
        return MatmulExplanation(X, W, names=plain, max_cells=0)
    X1 = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
    Wb = np.concatenate([W, b[None, :]], axis=0)
    return MatmulExplanation(X1, Wb, names=names, max_cells=0, sep=X.shape[1])


def _softmax_rows(Z):
    """By hand: exponentials of each row minus its max, their sums, the weights."""
    top = Z.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        e = np.exp(Z - top)
        sums = e.sum(axis=1, keepdims=True)
        return e, sums[:, 0], e / sums


class _Parts:
    """The numbers of one explanation, in PyTorch's row notation (X·W, not W·x)."""

    def __init__(self, X, Xk, Xv, weights, biases, out, num_heads, mask, engine):
        self.X, self.Xk, self.Xv = X, Xk, Xv
        self.weights, self.biases, self.out = weights, biases, out  # out: (W_Oᵀ, b_O) or None
        self.num_heads, self.mask, self.engine = num_heads, mask, engine


def _mask_of(L, S, attn_mask, key_padding_mask, causal):
    """The additive (L, S) mask: MultiheadAttention's conventions (True = blocked)."""
    M = np.zeros((L, S))
    if causal:
        M[np.triu(np.ones((L, S), dtype=bool), 1)] = -np.inf
    for given, shape in ((attn_mask, (L, S)), (key_padding_mask, (S,))):
        if given is None:
            continue
        m = np.asarray(getattr(given, "array", given))
        if m.shape != shape:
            raise ShapeError(f"explain.attention: mask {m.shape} must be {shape} (L={L}, S={S})")
        M = M + (np.where(m, -np.inf, 0.0) if m.dtype == bool else m.astype(np.float64))
    return M if (M != 0).any() else None


def _from_layer(layer, x, key, value, attn_mask, key_padding_mask, causal):
    """Weights in row form from an ``nn.MultiheadAttention``; the engine runs a float64 copy."""
    import glassnet as gn

    X = to_numpy(x)
    Xk, Xv = (X if t is None else to_numpy(t) for t in (key, value))
    if X.ndim != 2 or Xk.ndim != 2 or Xv.ndim != 2:
        raise ShapeError(f"explain.attention: give one sequence (L, E) at a time, got x "
                         f"{X.shape}, key {Xk.shape}, value {Xv.shape}")
    mask = _mask_of(X.shape[0], Xk.shape[0], attn_mask, key_padding_mask, causal)
    if layer.bias_k is not None or layer.add_zero_attn:
        raise GlassnetTypeError("explain.attention: add_bias_kv / add_zero_attn layers are not "
                                "shown by hand (they append keys the sheet does not draw)")
    twin = copy.deepcopy(layer).double().eval()
    wq, wk, wv, bq, bk, bv = (None if t is None else to_numpy(t) for t in twin.projection_weights())
    out = (to_numpy(twin.out_proj.weight).T,
           None if twin.out_proj.bias is None else to_numpy(twin.out_proj.bias))

    def engine():
        with gn.no_grad():
            m = None if mask is None else gn.tensor(mask)
            y, p = twin(gn.tensor(X), gn.tensor(Xk), gn.tensor(Xv), attn_mask=m,
                        average_attn_weights=False)
        return y.numpy(), p.numpy()

    return _Parts(X, Xk, Xv, (wq.T, wk.T, wv.T), (bq, bk, bv), out, layer.num_heads, mask, engine)


def _from_tensors(tensors, attn_mask, key_padding_mask, causal):
    """(Q, K, V) — one head, no projections — or (X, W_Q, W_K, W_V) with Q = X·W_Q."""
    import glassnet as gn
    from glassnet.nn.functional import scaled_dot_product_attention

    arrays = [to_numpy(t) for t in tensors]
    if len(arrays) == 4:
        X, *ws = arrays
        parts = _Parts(X, X, X, tuple(ws), (None,) * 3, None, 1, None, None)
    elif len(arrays) == 3:
        parts = _Parts(None, None, None, None, None, None, 1, None, None)
        parts.Q, parts.K, parts.V = arrays
    else:
        raise GlassnetTypeError(f"explain.attention: expected a MultiheadAttention, (Q, K, V) or "
                                f"(X, W_Q, W_K, W_V), got {len(arrays)} tensors")
    queries = arrays[0] if len(arrays) == 3 else arrays[0] @ arrays[1]
    keys = arrays[1] if len(arrays) == 3 else arrays[0] @ arrays[2]
    parts.mask = _mask_of(queries.shape[0], keys.shape[0], attn_mask, key_padding_mask, causal)

    def engine():
        with gn.no_grad():
            q, k, v = ((gn.tensor(a) for a in arrays) if len(arrays) == 3 else
                       (gn.tensor(arrays[0]) @ gn.tensor(w) for w in arrays[1:]))
            m = None if parts.mask is None else gn.tensor(parts.mask)
            return scaled_dot_product_attention(q, k, v, attn_mask=m).numpy(), None

    parts.engine = engine
    return parts


class AttentionExplanation(Explanation):
    """Attention by hand (see the module docstring). Attributes (float64 arrays):
    ``Q``, ``K``, ``V`` (all heads, L×E), ``head`` (the head drawn), ``S`` (its scores),
    ``Z`` (scaled and masked), ``exps``/``sums``/``P`` (its row softmax), ``heads`` (every
    head's A_h, L×d), ``concat``, ``Y`` (by hand), ``Y_engine`` / ``P_engine`` (the
    layer's own output and per-head weights), ``max_error`` (largest |by hand − engine|),
    and the products ``projections`` (3), ``scores``, ``weighted``, ``output``."""

    def __init__(self, parts, head=0, cell=(0, 0), row=None, out_cell=None, digits=4):
        self.parts, self.digits = parts, digits
        self.num_heads = parts.num_heads
        self._project(parts)
        E = self.Q.shape[1]
        if E % self.num_heads:
            raise ShapeError(f"explain.attention: {E} features do not split into {self.num_heads} heads")
        self.d, self.head = E // self.num_heads, head % self.num_heads
        self.cell = (cell[0] % self.Q.shape[0], cell[1] % self.K.shape[0])
        self.row = self.cell[0] if row is None else row % self.Q.shape[0]
        self.scale = 1.0 / np.sqrt(self.d)
        self.out_cell = (self.row, 0) if out_cell is None else out_cell
        if self.projections:  # highlight the head's first column: the cells the scores use
            dv = self.V.shape[1] // self.num_heads
            for p, (r, c) in zip(self.projections, [(self.cell[0], self.head * self.d),
                                                    (self.cell[1], self.head * self.d),
                                                    (self.cell[1], self.head * dv)], strict=True):
                p.highlight = (r, c)
        self.heads = [self._one_head(h) for h in range(self.num_heads)]
        self._finish()
        self.title = (f"Attention by hand: {self.num_heads} head{'s' if self.num_heads > 1 else ''} "
                      f"of width {self.d}, {self.Q.shape[0]} queries × {self.K.shape[0]} keys")

    def _project(self, parts):
        if parts.weights is None:
            self.projections = []
            self.Q, self.K, self.V = parts.Q, parts.K, parts.V
            return
        names = [("[X | 1]", f"[W_{n}; b_{n}]", n) for n in "QKV"]
        inputs = (parts.X, parts.Xk, parts.Xv)
        self.projections = [_augmented(x, w, b, nm) for x, w, b, nm in
                            zip(inputs, parts.weights, parts.biases, names, strict=True)]
        self.Q, self.K, self.V = (p.cells for p in self.projections)

    def _cols(self, h, width):
        return slice(h * width, (h + 1) * width)

    def _one_head(self, h):
        """(scores product, Z, exps, sums, P, weighted product) of head h."""
        c, dv = self._cols(h, self.d), self.V.shape[1] // self.num_heads
        scores = MatmulExplanation(self.Q[:, c], self.K[:, c].T, highlight=self.cell,
                                   names=("Q_h", "K_hᵀ", "S"), max_cells=0, digits=self.digits)
        Z = scores.cells * self.scale + (0.0 if self.parts.mask is None else self.parts.mask)
        exps, sums, P = _softmax_rows(Z)
        weighted = MatmulExplanation(P, self.V[:, self._cols(h, dv)],
                                     highlight=(self.row, self.out_cell[1] % dv),
                                     names=("P", "V_h", "A_h"), max_cells=0, digits=self.digits)
        return scores, Z, exps, sums, P, weighted

    def _finish(self):
        self.scores, self.Z, self.exps, self.sums, self.P, self.weighted = self.heads[self.head]
        self.S = self.scores.cells
        self.concat = np.concatenate([h[5].cells for h in self.heads], axis=1)
        if self.parts.out is None:
            self.output, self.Y = None, self.concat
        else:
            W_O, b_O = self.parts.out
            self.output = _augmented(self.concat, W_O, b_O, ("[A | 1]", "[W_Oᵀ; b_Oᵀ]", "Y"))
            self.output.highlight = (self.row, self.out_cell[1] % W_O.shape[1])
            self.Y = self.output.cells
        self.Y_engine, self.P_engine = self.parts.engine()
        errors = [np.nanmax(np.abs(self.Y - self.Y_engine), initial=0.0)]
        if self.P_engine is not None:
            P_all = np.stack([h[4] for h in self.heads])
            errors.append(np.nanmax(np.abs(P_all - self.P_engine), initial=0.0))
        self.max_error = float(max(errors))

    # -- words ---------------------------------------------------------------------------
    def intro(self):
        L, S = self.Q.shape[0], self.K.shape[0]
        lines = [f"{L} queries attend to {S} keys. Each query row asks: how much does each key "
                 "match me (a dot product), and what mix of the values follows from that?"]
        if self.projections:
            bias = ("; a bias is the last row, met by a column of ones"
                    if any(b is not None for b in self.parts.biases) else "")
            lines.append("First the three projections, each a matmul of the inputs with a weight "
                         f"matrix (row notation: PyTorch's weights transposed{bias}):")
        if self.num_heads > 1:
            lines.append(f"There are {self.num_heads} heads; head h uses columns "
                         f"h·{self.d} … h·{self.d}+{self.d - 1} of Q, K and V. Head {self.head} is "
                         "worked out below; the others go the same way.")
        return wrap("\n".join(lines))

    def scale_words(self):
        i, j = self.cell
        s = self.scores.cells[i, j]
        return (f"Scale: divide every score by √d = √{self.d} = {fmt(1 / self.scale, self.digits)} "
                f"(keeps the dot products of wider heads from swamping the softmax): "
                f"S[{i},{j}]/√{self.d} = {fmt(s, self.digits)} / {fmt(1 / self.scale, self.digits)} = "
                f"{fmt(s * self.scale, self.digits)}.")

    def mask_words(self):
        if self.parts.mask is None:
            return "No mask: every query may look at every key."
        blocked = int(np.isneginf(self.parts.mask).sum())
        return (f"Mask: add M — 0 where a query may look, −∞ where it may not ({blocked} "
                "entries); exp(−∞) = 0, so a blocked key gets weight exactly 0.")

    def softmax_words(self):
        r = self.row
        z = ", ".join(fmt(v, self.digits) for v in self.Z[r])
        top = np.max(self.Z[r])
        exps = " + ".join(fmt(v, self.digits) for v in self.exps[r])
        weights = ", ".join(fmt(v, self.digits) for v in self.P[r])
        return (f"Softmax of row {r}, by hand: Z[{r},:] = [{z}]. Subtract the row's largest "
                f"value {fmt(top, self.digits)} (the result is the same, nothing overflows) and "
                f"exponentiate: {exps} = {fmt(self.sums[r], self.digits)}. Divide each by that sum: "
                f"P[{r},:] = [{weights}], which adds up to {fmt(self.P[r].sum(), self.digits)}.")

    def concat_words(self):
        if self.output is None:
            return "One head, no output projection: the weighted sum is the output."
        return (f"Concatenate the {self.num_heads} heads' outputs side by side ({self.concat.shape[0]}"
                f"×{self.concat.shape[1]}) and project with the output layer:")

    def check_line(self):
        what = "the layer itself" if self.parts.out is not None else "scaled_dot_product_attention"
        weights = " and every head's weights" if self.P_engine is not None else ""
        return wrap(f"Check: {what} (the engine) gives the same output{weights} "
                    f"({agreement(self.Y, self.Y_engine)}; largest difference {self.max_error:.1e}).")

    # -- text ----------------------------------------------------------------------------
    def _product_text(self, product, color):
        return render_block(product.layout_block(), color) + "\n" + wrap(product.highlight_line())

    def _matrix_pair(self, color):
        blocks = [vcat(label_block("S/√d"), matrix_block(self.scores.cells * self.scale, digits=self.digits))]
        if self.parts.mask is not None:
            off = np.isneginf(self.parts.mask)
            blocks += [vcat(label_block("+ M"), matrix_block(self.parts.mask, off=off, digits=self.digits)),
                       vcat(label_block("= Z"), matrix_block(self.Z, off=off, digits=self.digits))]
        return render_block(flow(blocks, gap=4), color)

    def _text_parts(self, color):
        parts = [self.intro()]
        if self.projections:
            x_block = vcat(label_block("X"), matrix_block(self.parts.X, digits=self.digits))
            parts.append(render_block(x_block, color))
            parts += [self._product_text(p, color) for p in self.projections]
        parts += [wrap(f"Scores of head {self.head}: S = Q_h·K_hᵀ, one dot product per (query, key)."),
                  self._product_text(self.scores, color), wrap(self.scale_words()),
                  wrap(self.mask_words()), self._matrix_pair(color), wrap(self.softmax_words()),
                  render_block(vcat(label_block("P = softmax(Z) by rows"),
                                    matrix_block(self.P, row=self.row, digits=self.digits)), color),
                  wrap("Weighted sum of the values: A_h = P·V_h."), self._product_text(self.weighted, color),
                  wrap(self.concat_words())]
        if self.output is not None:
            parts.append(self._product_text(self.output, color))
        return parts + [self.check_line()]

    # -- HTML ----------------------------------------------------------------------------
    def _product_html(self, product):
        layout = product._html_parts()[1]
        return f"{layout}<p>{html.escape(product.highlight_line())}</p>"

    def _html_parts(self):
        out = [f"<p>{html.escape(self.intro())}</p>"]
        if self.projections:
            out.append(html_matrix(self.parts.X, caption="X", digits=self.digits))
            out += [self._product_html(p) for p in self.projections]
        off = None if self.parts.mask is None else np.isneginf(self.parts.mask)
        row = [html_matrix(self.scores.cells * self.scale, caption="S/√d", digits=self.digits)]
        if off is not None:
            row += [html_matrix(self.parts.mask, caption="M", off=off, digits=self.digits),
                    html_matrix(self.Z, caption="Z", off=off, digits=self.digits)]
        row.append(html_matrix(self.P, caption="P = softmax(Z)", row=self.row, digits=self.digits))
        cells = "".join(f"<td>{m}</td>" for m in row)
        out += [self._product_html(self.scores), f"<p>{html.escape(self.scale_words())}</p>",
                f"<p>{html.escape(self.mask_words())}</p>",
                f'<table class="gn-layout"><tr>{cells}</tr></table>',
                f"<p>{html.escape(self.softmax_words())}</p>", self._product_html(self.weighted),
                f"<p>{html.escape(self.concat_words())}</p>"]
        if self.output is not None:
            out.append(self._product_html(self.output))
        return out + [f"<p>{html.escape(self.check_line())}</p>"]


def attention(layer_or_tensors, x=None, key=None, value=None, *, attn_mask=None,
              key_padding_mask=None, causal=False, head=0, cell=(0, 0), row=None, out_cell=None,
              digits=4):
    """Explain attention by hand (see :class:`AttentionExplanation`).

    ``layer_or_tensors``: an ``nn.MultiheadAttention`` with ``x`` one sequence (L, E) —
    ``key`` / ``value`` (S, kdim/vdim) for cross-attention, else ``x`` — or a tuple
    ``(Q, K, V)`` (one head, no projections) or ``(X, W_Q, W_K, W_V)`` with Q = X·W_Q.
    Masks follow MultiheadAttention: ``attn_mask`` (L, S) True (or −∞) = blocked, floats
    added; ``key_padding_mask`` (S,) True = padded key; ``causal=True`` blocks later keys.
    ``head`` picks the head worked out; ``cell`` (i, j) the score spelled out; ``row`` the
    softmax row (default i); ``out_cell`` the output cell of the weighted sum.

    >>> print(gn.explain.attention(nn.MultiheadAttention(4, 2), gn.randn(3, 4), causal=True))
    """
    from glassnet.nn import MultiheadAttention

    if isinstance(layer_or_tensors, MultiheadAttention):
        if x is None:
            raise GlassnetTypeError("explain.attention: a MultiheadAttention needs an input x (L, E)")
        parts = _from_layer(layer_or_tensors, x, key, value, attn_mask, key_padding_mask, causal)
    elif isinstance(layer_or_tensors, tuple | list):
        parts = _from_tensors(layer_or_tensors, attn_mask, key_padding_mask, causal)
    else:
        raise GlassnetTypeError(f"explain.attention: expected nn.MultiheadAttention, (Q, K, V) or "
                                f"(X, W_Q, W_K, W_V), got {type(layer_or_tensors).__name__}")
    return AttentionExplanation(parts, head=head, cell=cell, row=row, out_cell=out_cell, digits=digits)
