"""Attention's backward pass by hand, in numbered steps (row notation, dM = ∂L/∂M).

With the forward numbers of :func:`glassnet.explain.attention` (Q, K, V, each head's
weights P and output A_h, the concatenation A and the output Y) and an output gradient dY:

    dA  = dY·W_O,   d[W_Oᵀ; b_Oᵀ] = [A | 1]ᵀ·dY                the output projection
    dP  = dA_h·V_hᵀ,   dV_h = Pᵀ·dA_h                          through A_h = P·V_h
    dZ  = P ⊙ (dP − rowsum(dP ⊙ P))                             the softmax's Jacobian, by rows
    dS  = dZ/√d;   dQ_h = dS·K_h,   dK_h = dSᵀ·Q_h              through Z = Q_h·K_hᵀ/√d + M
    d[W_Q; b_Q] = [X | 1]ᵀ·dQ  (and K, V);   dX = dQ·W_Qᵀ + dK·W_Kᵀ + dV·W_Vᵀ

(W_Q in row form is PyTorch's weight transposed: Q = X·W_Q + b_Q.) Every number is checked
against autograd: the parameter and input gradients against the engine itself (a float64
copy of the ``nn.MultiheadAttention``, or ``F.scaled_dot_product_attention`` for bare
tensors), the intermediate ones (dA, dP, dZ, dQ, dK, dV) against autograd run through the
same formula with ``retain_grad``. The layer given is not changed.
"""

import numpy as np

from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.explain._attention import AttentionExplanation, _from_layer, _from_tensors
from glassnet.explain._backprop import BackpropStep, StepsExplanation
from glassnet.explain._matmul import dot_terms
from glassnet.explain._render import fmt, fmt_factor, to_numpy

__all__ = ["AttentionBackpropExplanation", "attention_backprop"]

LOSSES = ("sse", "mse")


def _output_gradient(Y, y, loss, grad_output):
    """``(dY, words, T or None)``: the loss's gradient at the output (or the one given)."""
    if grad_output is not None:
        G = to_numpy(grad_output)
        if G.shape != Y.shape:
            raise ShapeError(f"explain.backprop: grad_output {G.shape} must have the output's "
                             f"shape {Y.shape}")
        return G, "dY given (L = Σ Y ⊙ dY, so ∂L/∂Y = dY)", None
    if loss not in LOSSES:
        raise GlassnetValueError(f"explain.backprop: attention takes loss 'sse' or 'mse' (or grad_output), "
                                 f"got {loss!r}")
    if y is None:
        raise GlassnetTypeError("explain.backprop: attention needs targets y (the output's shape) or "
                                "grad_output")
    T = to_numpy(y)
    if T.shape != Y.shape:
        raise ShapeError(f"explain.backprop: targets {T.shape} must have the output's shape {Y.shape}")
    if loss == "sse":
        return Y - T, "dY = Y − T   (L = ½·Σ(Y − T)², so ∂L/∂Y = Y − T)", T
    return 2 * (Y - T) / Y.size, f"dY = 2·(Y − T) / {Y.size}   (mean squared error over {Y.size} numbers)", T


def _loss_tensor(Y, T, dY, loss):
    """The same loss on a Tensor, for autograd."""
    import glassnet as gn

    if T is None:
        return (Y * gn.tensor(dY)).sum()
    diff = Y - gn.tensor(T)
    return 0.5 * (diff ** 2).sum() if loss == "sse" else (diff ** 2).mean()


def _replica(fwd, T, dY, loss):
    """Autograd through the explanation's own formula, keeping every intermediate gradient:
    ``{name: array}`` for dY, dA, dQ, dK, dV and per head dP, dZ."""
    import glassnet as gn

    p = fwd.parts
    leaf = lambda a: gn.tensor(a, dtype=gn.float64, requires_grad=True)  # noqa: E731
    if p.weights is None:
        Q, K, V = leaf(fwd.Q), leaf(fwd.K), leaf(fwd.V)
    else:
        Q, K, V = (_project(gn.tensor(x), leaf(w), b) for x, w, b in
                   zip((p.X, p.Xk, p.Xv), p.weights, p.biases, strict=True))
    kept, heads = {"Q": Q, "K": K, "V": V}, []
    d, dv = fwd.d, fwd.V.shape[1] // fwd.num_heads
    mask = None if p.mask is None else gn.tensor(p.mask)
    for h in range(fwd.num_heads):
        Z = Q[:, h * d:(h + 1) * d] @ K[:, h * d:(h + 1) * d].T * fwd.scale
        Z = Z if mask is None else Z + mask
        P = gn.softmax(Z, dim=-1)
        kept[f"Z{h}"], kept[f"P{h}"] = Z, P
        heads.append(P @ V[:, h * dv:(h + 1) * dv])
    A = gn.cat(heads, dim=1)
    Y = A if p.out is None else _project(A, gn.tensor(p.out[0]), p.out[1])
    kept["A"], kept["Y"] = A, Y
    for t in kept.values():
        t.retain_grad()
    _loss_tensor(Y, T, dY, loss).backward()
    return {name: to_numpy(t.grad) for name, t in kept.items()}


def _project(x, w, b):
    import glassnet as gn

    return x @ w if b is None else x @ w + gn.tensor(b)


def _engine_layer(layer, fwd, same_input, T, dY, loss):
    """The layer itself (a float64 copy) runs forward and backward: its parameter and input
    gradients, in row form (W_Q = in_proj_weight[:E]ᵀ)."""
    import copy

    import glassnet as gn

    p = fwd.parts
    twin = copy.deepcopy(layer).double().eval()
    twin.zero_grad()
    xq = gn.tensor(p.X, dtype=gn.float64, requires_grad=True)
    xk, xv = (xq, xq) if same_input else (gn.tensor(a, dtype=gn.float64, requires_grad=True)
                                          for a in (p.Xk, p.Xv))
    mask = None if p.mask is None else gn.tensor(p.mask)
    y, _ = twin(xq, xk, xv, attn_mask=mask, need_weights=False)
    _loss_tensor(y, T, dY, loss).backward()
    E = twin.embed_dim
    if twin._qkv_same_embed_dim:
        g = to_numpy(twin.in_proj_weight.grad)
        weights = (g[:E].T, g[E:2 * E].T, g[2 * E:].T)
    else:
        weights = tuple(to_numpy(w.grad).T for w in (twin.q_proj_weight, twin.k_proj_weight,
                                                     twin.v_proj_weight))
    grads = {"W": weights, "b": (None,) * 3, "W_O": to_numpy(twin.out_proj.weight.grad).T,
             "b_O": None if twin.out_proj.bias is None else to_numpy(twin.out_proj.bias.grad)}
    if twin.in_proj_bias is not None:
        g = to_numpy(twin.in_proj_bias.grad)
        grads["b"] = (g[:E], g[E:2 * E], g[2 * E:])
    grads["X"] = (to_numpy(xq.grad),) if same_input else tuple(to_numpy(t.grad) for t in (xq, xk, xv))
    return grads


def _engine_tensors(arrays, fwd, T, dY, loss):
    """``F.scaled_dot_product_attention`` forward and backward on leaf tensors: the gradients
    of Q, K, V — or of X and the three weights for ``(X, W_Q, W_K, W_V)``."""
    import glassnet as gn
    from glassnet.nn.functional import scaled_dot_product_attention

    leaves = [gn.tensor(a, dtype=gn.float64, requires_grad=True) for a in arrays]
    qkv = leaves if len(leaves) == 3 else [leaves[0] @ w for w in leaves[1:]]
    mask = None if fwd.parts.mask is None else gn.tensor(fwd.parts.mask)
    y = scaled_dot_product_attention(*qkv, attn_mask=mask)
    _loss_tensor(y, T, dY, loss).backward()
    grads = [to_numpy(t.grad) for t in leaves]
    if len(grads) == 3:
        return {"QKV": tuple(grads)}
    return {"X": (grads[0],), "W": tuple(grads[1:]), "b": (None,) * 3}


def _without_noise(total, terms):
    """A sum with what is only rounding noise set to 0: entries below 1e-12 of the largest
    term (the key bias's gradient is exactly 0 — every row of dZ adds up to 0 — but its
    summed rounding errors would otherwise show, and differ from one BLAS to another)."""
    scale = float(np.max(np.abs(terms), initial=0.0))
    return np.where(np.abs(total) <= 1e-12 * scale, 0.0, total)


class AttentionBackpropExplanation(StepsExplanation):
    """Attention's backward pass in numbered steps (see the module docstring). Attributes:
    ``forward`` (the :class:`AttentionExplanation` of the same numbers), ``dY``, ``dA``
    (the concatenated heads' gradient), per head ``dP``/``dZ``/``dS`` (lists), ``dQ``,
    ``dK``, ``dV`` (all heads, float64), ``dW`` / ``db`` (row form, for Q, K, V), ``dX``
    (a tuple: one input, or query/key/value), ``dW_O``/``db_O``, ``loss``, ``steps``
    (:class:`BackpropStep` s, each with ``values`` {name: (by hand, autograd)})."""

    def __init__(self, fwd, dY, loss_words, T, replica, engine, digits=4):
        self.forward, self.digits, self.dY, self.T = fwd, digits, dY, T
        self.head, self.row, self.d = fwd.head, fwd.row, fwd.d
        self.replica, self.engine = replica, engine
        self.loss_words = loss_words
        self._backward_by_hand()
        heads = f"{fwd.num_heads} head{'s' if fwd.num_heads > 1 else ''}"
        self.title = f"Attention's backward pass by hand: {heads} of width {fwd.d}"
        self.steps = self._build_steps()

    # -- the by-hand computation -------------------------------------------------------
    def _backward_by_hand(self):
        f, p = self.forward, self.forward.parts
        if p.out is not None:
            W_Ot, _ = p.out
            self.dA = self.dY @ W_Ot.T
            self.dW_O, self.db_O = f.concat.T @ self.dY, self.dY.sum(axis=0)
        else:
            self.dA, self.dW_O, self.db_O = self.dY, None, None
        d, dv = f.d, f.V.shape[1] // f.num_heads
        self.dQ, self.dK, self.dV = np.zeros_like(f.Q), np.zeros_like(f.K), np.zeros_like(f.V)
        self.dP, self.dZ, self.dS, self.rowsums = [], [], [], []
        for h in range(f.num_heads):
            cq, cv = slice(h * d, (h + 1) * d), slice(h * dv, (h + 1) * dv)
            P, dA_h = f.heads[h][4], self.dA[:, cv]
            dP = dA_h @ f.V[:, cv].T
            rowsum = (dP * P).sum(axis=1, keepdims=True)
            dZ = P * (dP - rowsum)
            dS = dZ * f.scale
            self.dV[:, cv], self.dQ[:, cq], self.dK[:, cq] = P.T @ dA_h, dS @ f.K[:, cq], dS.T @ f.Q[:, cq]
            self.dP.append(dP), self.dZ.append(dZ), self.dS.append(dS), self.rowsums.append(rowsum)
        self.dW = self.db = self.dX = None
        if p.weights is not None:
            inputs = (p.X, p.Xk, p.Xv)
            grads = (self.dQ, self.dK, self.dV)
            self.dW = tuple(x.T @ g for x, g in zip(inputs, grads, strict=True))
            self.db = tuple(None if b is None else _without_noise(g.sum(axis=0), g)
                            for b, g in zip(p.biases, grads, strict=True))
            paths = tuple(g @ w.T for g, w in zip(grads, p.weights, strict=True))
            self.dX = (sum(paths),) if len(self.engine["X"]) == 1 else paths
            self.paths = paths

    # -- the steps -----------------------------------------------------------------------
    def _build_steps(self):
        steps = [self._forward_step(), self._output_step()]
        if self.forward.parts.out is not None:
            steps.append(self._out_projection_step())
        steps += [self._values_step(), self._softmax_step(), self._scores_step()]
        if self.forward.num_heads > 1 or "QKV" in self.engine:
            steps.append(self._all_heads_step())
        if self.dW is not None:
            steps += [self._projection_step(), self._input_step()]
        for k, s in enumerate(steps, 1):
            s.number = k
        return steps

    def _forward_step(self):
        f, h = self.forward, self.head
        shown = [("X", f.parts.X, None)] if f.parts.X is not None else []
        shown += [("Q", f.Q, None), ("K", f.K, None), ("V", f.V, None),
                  (f"P (head {h})", f.P, None), ("Y", f.Y, None)]
        note = ("The forward numbers, each worked out by hand in explain.attention "
                f"(checked against the engine: largest difference {f.max_error:.1e}). "
                "Below, dM means ∂L/∂M and has M's shape.")
        return BackpropStep(0, "Forward pass", "", shown, note=note)

    def _output_step(self):
        shown = [("Y", self.forward.Y, None)]
        shown += [] if self.T is None else [("T", self.T, None)]
        shown.append(("dY", self.dY, None))
        return BackpropStep(0, "Gradient at the output", self.loss_words, shown,
                            {"dY": (self.dY, self.replica["Y"])})

    def _out_projection_step(self):
        f = self.forward
        W_Ot, b_O = f.parts.out
        formula = ("Y = A·W_Oᵀ + b_O (A: the heads side by side), so dA = dY·W_O and "
                   "dW_Oᵀ = Aᵀ·dY; db_O sums dY over the rows")
        shown = [("dY", self.dY, None), ("W_O", W_Ot.T, None), ("dA", self.dA, None),
                 ("Aᵀ", f.concat.T, None), ("dW_Oᵀ", self.dW_O, None)]
        values = {"dA": (self.dA, self.replica["A"]), "dW_O": (self.dW_O, self.engine.get("W_O"))}
        if b_O is not None:
            shown.append(("db_O", self.db_O[None, :], None))
            values["db_O"] = (self.db_O, self.engine.get("b_O"))
        return BackpropStep(0, "The output projection", formula, shown, values)

    def _head_cols(self):
        f, h = self.forward, self.head
        dv = f.V.shape[1] // f.num_heads
        return slice(h * f.d, (h + 1) * f.d), slice(h * dv, (h + 1) * dv)

    def _values_step(self):
        f, h, i = self.forward, self.head, self.row
        cq, cv = self._head_cols()
        P, dA_h, V_h = f.P, self.dA[:, cv], f.V[:, cv]
        j = f.cell[1]
        formula = f"A_{h} = P·V_{h}, so dP = dA_{h}·V_{h}ᵀ (one number per weight) and dV_{h} = Pᵀ·dA_{h}"
        shown = [(f"dA_{h}", dA_h, None), (f"V_{h}ᵀ", V_h.T, None), ("dP", self.dP[h], None),
                 ("Pᵀ", P.T, None), (f"dA_{h}", dA_h, None), (f"dV_{h}", self.dV[:, cv], None)]
        note = (f"One cell: dP[{i},{j}] = (row {i} of dA_{h})·(row {j} of V_{h}) = "
                f"{dot_terms(dA_h[i], V_h[j], self.digits)} = {fmt(self.dP[h][i, j], self.digits)}")
        values = {"dP": (self.dP[h], self.replica[f"P{h}"]),
                  f"dV_{h}": (self.dV[:, cv], self.replica["V"][:, cv])}
        return BackpropStep(0, f"Head {h}: through the weighted sum", formula, shown, values, note)

    def _softmax_step(self):
        f, h = self.forward, self.head
        P, dP, s, dZ = f.P, self.dP[h], self.rowsums[h], self.dZ[h]
        formula = ("dZ = P ⊙ (dP − rowsum(dP ⊙ P)): the softmax's Jacobian times dP, one row at a "
                   "time (Z = S/√d + M is the softmax's input)")
        shown = [("P", P, None), ("dP", dP, None), ("rowsum(dP ⊙ P)", s, None), ("dZ", dZ, None)]
        return BackpropStep(0, f"Head {h}: the softmax, row by row", formula, shown,
                            {"dZ": (dZ, self.replica[f"Z{h}"])}, self._softmax_row_words())

    def _softmax_row_words(self):
        h, i, D = self.head, self.row, self.digits
        P, dP, s, dZ = self.forward.P[i], self.dP[h][i], self.rowsums[h][i, 0], self.dZ[h][i]
        terms = " + ".join(f"{fmt_factor(p, D)}·{fmt_factor(g, D)}" for p, g in zip(P, dP, strict=True))
        cells = ", ".join(f"{fmt_factor(p, D)}·({fmt(g, D)} − {fmt_factor(s, D)}) = {fmt(z, D)}"
                          for p, g, z in zip(P, dP, dZ, strict=True))
        words = (f"Row {i} by hand: rowsum = Σ_j P[{i},j]·dP[{i},j] = {terms} = {fmt(s, D)}; then "
                 f"dZ[{i},j] = P[{i},j]·(dP[{i},j] − rowsum): {cells}. The row of dZ adds up to 0 "
                 "(the weights always add up to 1, so raising every score alike changes nothing)")
        if self.forward.parts.mask is not None:
            words += "; a blocked key has P = 0, so its score gets no gradient"
        return words + "."

    def _scores_step(self):
        f, h, i = self.forward, self.head, self.row
        cq, _ = self._head_cols()
        Q_h, K_h, dS = f.Q[:, cq], f.K[:, cq], self.dS[h]
        root = fmt(np.sqrt(f.d), self.digits)
        formula = (f"S = Q_{h}·K_{h}ᵀ and Z = S/√d + M, so dS = dZ/√d (√d = √{f.d} = {root}; the mask "
                   f"is a constant and passes the gradient), dQ_{h} = dS·K_{h} = dZ·K_{h}/√d and "
                   f"dK_{h} = dSᵀ·Q_{h} = dZᵀ·Q_{h}/√d")
        shown = [("dS", dS, None), (f"K_{h}", K_h, None), (f"dQ_{h}", self.dQ[:, cq], None),
                 ("dSᵀ", dS.T, None), (f"Q_{h}", Q_h, None), (f"dK_{h}", self.dK[:, cq], None)]
        note = (f"One cell: dQ_{h}[{i},0] = (row {i} of dS)·(column 0 of K_{h}) = "
                f"{dot_terms(dS[i], K_h[:, 0], self.digits)} = {fmt(self.dQ[i, cq.start], self.digits)}")
        values = {f"dQ_{h}": (self.dQ[:, cq], self.replica["Q"][:, cq]),
                  f"dK_{h}": (self.dK[:, cq], self.replica["K"][:, cq])}
        return BackpropStep(0, f"Head {h}: the 1/√d scaling, then the queries and keys", formula,
                            shown, values, note)

    def _all_heads_step(self):
        H = self.forward.num_heads
        auto = self.engine.get("QKV") or (self.replica["Q"], self.replica["K"], self.replica["V"])
        if H > 1:
            formula = (f"The other heads go the same way; head h fills columns h·{self.d} … "
                       f"h·{self.d}+{self.d - 1} of dQ, dK and dV")
        else:
            formula = "The gradients of the three inputs Q, K and V"
        shown = [("dQ", self.dQ, None), ("dK", self.dK, None), ("dV", self.dV, None)]
        values = {n: (g, a) for n, g, a in zip(("dQ", "dK", "dV"), (self.dQ, self.dK, self.dV), auto,
                                               strict=True)}
        title = "Every head: dQ, dK, dV" if H > 1 else "dQ, dK, dV"
        return BackpropStep(0, title, formula, shown, values)

    def _projection_step(self):
        p = self.forward.parts
        if self.db[0] is None:
            formula = "Q = X·W_Q, so dW_Q = Xᵀ·dQ; the same for K and V"
        else:
            formula = ("Q = X·W_Q + b_Q (W_Q: PyTorch's weight transposed), so dW_Q = Xᵀ·dQ and db_Q "
                       "sums dQ over the rows; the same for K and V")
        shown, values = [("Xᵀ", p.X.T, None)], {}
        if p.Xk is not p.X:
            shown += [("X_kᵀ", p.Xk.T, None), ("X_vᵀ", p.Xv.T, None)]
        engine = zip(self.engine["W"], self.engine["b"], strict=True)
        for n, dW, db, (aW, ab) in zip("QKV", self.dW, self.db, engine, strict=True):
            shown.append((f"dW_{n}", dW, None))
            values[f"dW_{n}"] = (dW, aW)
            if db is not None:
                values[f"db_{n}"] = (db, ab)
        if self.db[0] is not None:
            shown.append(("db_Q, db_K, db_V (rows)", np.stack(self.db), None))
        note = "These are the gradients an optimiser steps with (the layer given is unchanged)."
        if self.db[1] is not None:
            note += (" db_K is 0: adding one vector to every key adds the same "
                     "number to a whole row of scores, which the softmax ignores.")
        return BackpropStep(0, "The projections' weights", formula, shown, values, note)

    def _input_step(self):
        if len(self.dX) == 1:
            formula = ("X feeds Q, K and V, so its gradient is the sum of three paths: "
                       "dX = dQ·W_Qᵀ + dK·W_Kᵀ + dV·W_Vᵀ")
            shown = [(f"d{n}·W_{n}ᵀ", path, None) for n, path in zip("QKV", self.paths, strict=True)]
            shown.append(("dX", self.dX[0], None))
            values = {"dX": (self.dX[0], self.engine["X"][0])}
        else:
            formula = "Query, key and value inputs: dX_q = dQ·W_Qᵀ, dX_k = dK·W_Kᵀ, dX_v = dV·W_Vᵀ"
            names = ("dX_q", "dX_k", "dX_v")
            shown = [(n, g, None) for n, g in zip(names, self.dX, strict=True)]
            values = {n: (g, a) for n, g, a in zip(names, self.dX, self.engine["X"], strict=True)}
        return BackpropStep(0, "The input", formula, shown, values)


def attention_backprop(layer_or_tensors, x=None, y=None, *, key=None, value=None, loss="sse",
                       grad_output=None, attn_mask=None, key_padding_mask=None, causal=False, head=0,
                       cell=(0, 0), row=None, digits=4):
    """Attention's backward pass by hand (:class:`AttentionBackpropExplanation`); reached
    through :func:`glassnet.explain.backprop`. ``layer_or_tensors`` and the masks as in
    :func:`glassnet.explain.attention`; ``y``: targets with the output's shape (``loss``
    ``"sse"``: ½·Σ(Y − T)², ``"mse"``) — or ``grad_output``: dY itself."""
    from glassnet.nn import MultiheadAttention

    if isinstance(layer_or_tensors, MultiheadAttention):
        if x is None:
            raise GlassnetTypeError("explain.backprop: a MultiheadAttention needs an input x (L, E)")
        parts = _from_layer(layer_or_tensors, x, key, value, attn_mask, key_padding_mask, causal)
    else:
        parts = _from_tensors(layer_or_tensors, attn_mask, key_padding_mask, causal)
    fwd = AttentionExplanation(parts, head=head, cell=cell, row=row, digits=digits)
    dY, words, T = _output_gradient(fwd.Y, y, loss, grad_output)
    replica = _replica(fwd, T, dY, loss)
    if isinstance(layer_or_tensors, MultiheadAttention):
        engine = _engine_layer(layer_or_tensors, fwd, key is None and value is None, T, dY, loss)
    else:
        engine = _engine_tensors([to_numpy(t) for t in layer_or_tensors], fwd, T, dY, loss)
    return AttentionBackpropExplanation(fwd, dY, words, T, replica, engine, digits=digits)
