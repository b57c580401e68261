"""Recurrent scans: one primitive runs one RNN, GRU or LSTM layer in one direction.

Each primitive takes the whole input sequence ``x`` (T, N, I), the initial state(s)
(N, H) and the layer-direction's four PyTorch parameters — ``w_ih`` (G, I), ``w_hh``
(G, H), ``b_ih`` and ``b_hh`` (G,), where G = K·H for K = 1 (RNN), 3 (GRU: blocks r, z, n)
or 4 (LSTM: blocks i, f, g, o) — and computes, as matrix multiplications:

1. the input projection of every time step in ONE GEMM before the loop:
   ``GI = X·W_ihᵀ + b_ih``, (T·N, I)·(I, G) → (T, N, G);
2. a plain loop over the time steps, with ONE GEMM per step for all the gates,
   ``h_{t-1}·W_hhᵀ + b_hh`` (N, H)·(H, G), and the cell's equations on the gate blocks.

Backward is textbook backpropagation through time, written step by step from the last
step to the first: ``dh`` (and the LSTM's ``dc``) carried back, the step's gate
gradients ``dA_t`` kept as a row block of ``dGI``, ``dW_hh += dA_tᵀ·h_{t-1}`` and
``dh_{t-1} = dA_t·W_hh``; then the projection's gradients ``dX = dGI·W_ih``,
``dW_ih = dGIᵀ·X``, ``db_ih = Σ dGI``, each one GEMM (or one sum) over all steps.

The LSTM with a projection (PyTorch's ``proj_size``) is its own primitive, ``LSTMProjScan``:
the same cell, its output ``o ⊙ tanh(c_t)`` projected by ``w_hr`` (P, H) to the state h_t of
P features, and every step's h_t and c_t in its output; its backward adds ``dW_hr`` and
carries dh (P) back through ``w_hr``. Kept apart so that the LSTMScan's fast kernel, which
assumes h and c of one size, never sees it.

This is the reference tier: read it against ``formula`` and ``grad_formulas``. The fast
tier (:mod:`glassnet.kernels._recurrent`) computes the same numbers with gate-major
blocks, reused buffers and, for the LSTM, its own gate layout; ``gn.kernels.use
("reference")`` runs this code instead.

Why primitives rather than a composition of ops: composed, a GRU step is ~15 ops, each
with its own Python overhead and gradient buffers (benchmarks/train_rnn.py, "composed
from ops": ~3.5× the primitive's step). The cells (``nn.GRUCell`` …) stay composed from
ops, and a test checks that one step of a layer equals its cell. Why the input
projection is inside the primitive: the fast LSTM lays out ``W_ih``'s rows in its own
gate order, so that this GEMM already yields the gates in the order its loop wants, and
the two biases, which only ever appear as a sum, are added once.
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._activation import relu, sigmoid, tanh
from glassnet.ops._shape import cat, stack

__all__ = ["rnn_scan", "gru_scan", "lstm_scan", "lstm_proj_scan"]


def _sigmoid(xp, x):
    """σ(x) = 1 / (1 + e⁻ˣ), computed as ½·(1 + tanh(x/2)): the same function, no overflow."""
    return 0.5 * (1 + xp.tanh(0.5 * x))


def _steps(T, reverse):
    """Time indices in the order a scan visits them (backward passes ``not reverse``)."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _prev(hs, h0, t, reverse):
    """h_{t-1}: the state step t starts from — its neighbour in time order, or h0 first."""
    if reverse:
        return hs[t + 1] if t + 1 < len(hs) else h0
    return hs[t - 1] if t else h0


def _project(x, w_ih, b_ih):
    """GI = X·W_ihᵀ + b_ih for all steps in one GEMM: x (T, N, I) → (T, N, G)."""
    T, N, I = x.shape
    return (x.reshape(T * N, I) @ w_ih.T + b_ih).reshape(T, N, len(w_ih))


def _projection_grads(x, w_ih, dgi):
    """The projection's backward, one GEMM each: dX = dGI·W_ih, dW_ih = dGIᵀ·X, db_ih = Σ dGI."""
    T, N, I = x.shape
    dgi = dgi.reshape(T * N, dgi.shape[-1])
    return (dgi @ w_ih).reshape(T, N, I), dgi.T @ x.reshape(T * N, I), dgi.sum(axis=0)


def _check(name, blocks, x, states, w_ih, w_hh, b_ih, b_hh):
    """Shapes that fit: x (T, N, I), states (N, H), w_ih (K·H, I), w_hh (K·H, H), biases (K·H,)."""
    H = w_hh.shape[-1] if w_hh.ndim else 0
    G, got = blocks * H, (x.shape, *(s.shape for s in states), w_ih.shape, w_hh.shape, b_ih.shape,
                          b_hh.shape)
    N, I = x.shape[1:] if x.ndim == 3 else ("N", "I")
    if got == (x.shape, *[(N, H)] * len(states), (G, I), (G, H), (G,), (G,)):
        return
    names = "x, h0, c0" if len(states) == 2 else "x, h0"
    raise ShapeError(f"{name}: {blocks} gate block(s) of hidden size H = {H} (from w_hh's last axis) need "
                     f"x (T, N, I), states ({N}, {H}), w_ih ({G}, {I}), w_hh ({G}, {H}), biases ({G},); got "
                     f"{names}, w_ih, w_hh, b_ih, b_hh of shapes {', '.join(map(str, got))}")


class RNNScan(Function):
    """Elman layer-direction: x (T, N, I), h0 (N, H), w_ih (H, I), w_hh (H, H), b_ih, b_hh (H,)
    → every state h_t, (T, N, H)."""

    formula = ("GI = X·W_ihᵀ + b_ih (all steps, one GEMM);  each step t:  "
               "A_t = GI_t + h_{t-1}·W_hhᵀ + b_hh,  h_t = act(A_t),  act = tanh or relu")
    grad_formulas = ("each step t, last to first:  dh += dY_t,  dA_t = dh ⊙ act'(A_t) (tanh: 1 - h_t²; "
                     "relu: h_t > 0),  dW_hh += dA_tᵀ·h_{t-1},  dh = dA_t·W_hh",
                     "dh_0 = dh,  db_hh = Σ dA,  dGI = dA:  dX = dGI·W_ih,  dW_ih = dGIᵀ·X,  db_ih = Σ dGI")

    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse):
        _check("rnn_scan", 1, x, [h0], w_ih, w_hh, b_ih, b_hh)
        xp = namespace(x)
        gi = _project(x, w_ih, b_ih)
        hs = xp.empty(gi.shape, gi.dtype)
        h = h0
        for t in _steps(len(gi), reverse):
            a = gi[t] + h @ w_hh.T + b_hh
            h = xp.tanh(a) if nonlinearity == "tanh" else xp.maximum(a, 0)
            hs[t] = h
        self.x, self.h0, self.w_ih, self.w_hh, self.hs = x, h0, w_ih, w_hh, hs
        return hs

    def backward(self, dy):
        xp = namespace(dy)
        hs, reverse = self.hs, self.params["reverse"]
        da, dw_hh, dh = xp.empty_like(hs), xp.zeros_like(self.w_hh), xp.zeros_like(self.h0)
        for t in _steps(len(hs), not reverse):
            dh = dh + dy[t]
            h = hs[t]
            da[t] = dh * (1 - h * h) if self.params["nonlinearity"] == "tanh" else dh * (h > 0)
            dw_hh += da[t].T @ _prev(hs, self.h0, t, reverse)
            dh = da[t] @ self.w_hh
        dx, dw_ih, db = _projection_grads(self.x, self.w_ih, da)
        return dx, dh, dw_ih, dw_hh, db, db

    @staticmethod
    def composed(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse):
        """The same loop with Tensor ops (for gradients of gradients)."""
        act = tanh if nonlinearity == "tanh" else relu
        hs, h = [None] * x.shape[0], h0
        for t in _steps(x.shape[0], reverse):
            h = hs[t] = act(_gates(x[t], h, w_ih, w_hh, b_ih, b_hh))
        return stack(hs)


class GRUScan(Function):
    """GRU layer-direction (blocks r, z, n; PyTorch's reset placement): x (T, N, I), h0 (N, H),
    w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) → every state h_t, (T, N, H)."""

    formula = ("GI = X·W_ihᵀ + b_ih (all steps, one GEMM);  each step t:  GH = h_{t-1}·W_hhᵀ + b_hh,  "
               "r = σ(GI_r + GH_r),  z = σ(GI_z + GH_z),  n = tanh(GI_n + r ⊙ GH_n),  "
               "h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}")
    grad_formulas = ("each step t, last to first:  dh += dY_t,  dA_n = dh ⊙ (1 - z) ⊙ (1 - n²),  "
                     "dA_r = dA_n ⊙ GH_n ⊙ r(1 - r),  dA_z = dh ⊙ (h_{t-1} - n) ⊙ z(1 - z)",
                     "dGI_t = [dA_r, dA_z, dA_n],  dGH = [dA_r, dA_z, dA_n ⊙ r],  dW_hh += dGHᵀ·h_{t-1},  "
                     "db_hh += Σ dGH,  dh = dh ⊙ z + dGH·W_hh",
                     "dh_0 = dh,  dX = dGI·W_ih,  dW_ih = dGIᵀ·X,  db_ih = Σ dGI")

    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        _check("gru_scan", 3, x, [h0], w_ih, w_hh, b_ih, b_hh)
        xp = namespace(x)
        gi = _project(x, w_ih, b_ih)
        H = h0.shape[-1]
        hs, self.saved = xp.empty((len(gi), *h0.shape), gi.dtype), [None] * len(gi)
        h = h0
        for t in _steps(len(gi), reverse):
            gh = h @ w_hh.T + b_hh  # (N, 3H): h's share of r, z, n
            r = _sigmoid(xp, gi[t, :, :H] + gh[:, :H])
            z = _sigmoid(xp, gi[t, :, H : 2 * H] + gh[:, H : 2 * H])
            n = xp.tanh(gi[t, :, 2 * H :] + r * gh[:, 2 * H :])
            h = (1 - z) * n + z * h
            hs[t], self.saved[t] = h, (r, z, n, gh[:, 2 * H :])
        self.x, self.h0, self.w_ih, self.w_hh, self.hs = x, h0, w_ih, w_hh, hs
        return hs

    def backward(self, dy):
        xp = namespace(dy)
        hs, reverse = self.hs, self.params["reverse"]
        dgi = xp.empty((*hs.shape[:2], 3 * hs.shape[2]), hs.dtype)
        dw_hh, db_hh = xp.zeros_like(self.w_hh), xp.zeros(self.w_hh.shape[0], hs.dtype)
        dh = xp.zeros_like(self.h0)
        for t in _steps(len(hs), not reverse):
            r, z, n, gh_n = self.saved[t]
            h_prev = _prev(hs, self.h0, t, reverse)
            dh = dh + dy[t]
            da_n = dh * (1 - z) * (1 - n * n)  # through h_t's (1 - z) ⊙ n, then n = tanh(·)
            da_r = da_n * gh_n * r * (1 - r)  # through r ⊙ GH_n, then r = σ(·)
            da_z = dh * (h_prev - n) * z * (1 - z)
            dgi[t] = xp.concatenate([da_r, da_z, da_n], axis=1)
            dgh = xp.concatenate([da_r, da_z, da_n * r], axis=1)
            dw_hh += dgh.T @ h_prev
            db_hh += dgh.sum(axis=0)
            dh = dh * z + dgh @ self.w_hh
        dx, dw_ih, db_ih = _projection_grads(self.x, self.w_ih, dgi)
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh

    @staticmethod
    def composed(x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        """The same loop with Tensor ops (for gradients of gradients)."""
        H = h0.shape[-1]
        hs, h = [None] * x.shape[0], h0
        for t in _steps(x.shape[0], reverse):
            gi, gh = x[t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
            r = sigmoid(gi[:, :H] + gh[:, :H])
            z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            n = tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
            h = hs[t] = (1 - z) * n + z * h
        return stack(hs)


class LSTMScan(Function):
    """LSTM layer-direction (blocks i, f, g, o): x (T, N, I), h0, c0 (N, H), w_ih (4H, I),
    w_hh (4H, H), b_ih, b_hh (4H,) → (T+1, N, H): rows 0..T-1 are the states h_t, row T is
    the last cell state c (after the last step in time order)."""

    formula = ("GI = X·W_ihᵀ + b_ih (all steps, one GEMM);  each step t:  A = GI_t + h_{t-1}·W_hhᵀ + b_hh,  "
               "i = σ(A_i),  f = σ(A_f),  g = tanh(A_g),  o = σ(A_o),  c_t = f ⊙ c_{t-1} + i ⊙ g,  "
               "h_t = o ⊙ tanh(c_t)")
    grad_formulas = ("dc = dC_last;  each step t, last to first:  dh += dY_t,  "
                     "dc += dh ⊙ o ⊙ (1 - tanh²c_t),  dA = [dc ⊙ g ⊙ i(1 - i),  dc ⊙ c_{t-1} ⊙ f(1 - f),  "
                     "dc ⊙ i ⊙ (1 - g²),  dh ⊙ tanh c_t ⊙ o(1 - o)]",
                     "dGI_t = dA,  dW_hh += dAᵀ·h_{t-1},  dh = dA·W_hh,  dc = dc ⊙ f",
                     "dh_0 = dh,  dc_0 = dc,  db_hh = Σ dA,  dX = dGI·W_ih,  dW_ih = dGIᵀ·X,  db_ih = Σ dGI")

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        _check("lstm_scan", 4, x, [h0, c0], w_ih, w_hh, b_ih, b_hh)
        xp = namespace(x)
        gi = _project(x, w_ih, b_ih)
        H = h0.shape[-1]
        out, self.saved = xp.empty((len(gi) + 1, *h0.shape), gi.dtype), [None] * len(gi)
        h, c = h0, c0
        for t in _steps(len(gi), reverse):
            i, f, g, o, c_new = _lstm_cell(xp, gi[t] + h @ w_hh.T + b_hh, c, H)
            h = o * xp.tanh(c_new)
            out[t], self.saved[t], c = h, (i, f, g, o, c, c_new), c_new
        out[-1] = c
        self.x, self.h0, self.w_ih, self.w_hh, self.hs = x, h0, w_ih, w_hh, out[:-1]
        return out

    def backward(self, dy):
        xp = namespace(dy)
        hs, reverse = self.hs, self.params["reverse"]
        dgi = xp.empty((*hs.shape[:2], 4 * hs.shape[2]), hs.dtype)
        dw_hh, dh, dc = xp.zeros_like(self.w_hh), xp.zeros_like(self.h0), dy[-1]
        for t in _steps(len(hs), not reverse):
            dh = dh + dy[t]
            dgi[t], dc = _lstm_cell_grads(xp, dh, dc, self.saved[t])
            dw_hh += dgi[t].T @ _prev(hs, self.h0, t, reverse)
            dh = dgi[t] @ self.w_hh
        dx, dw_ih, db = _projection_grads(self.x, self.w_ih, dgi)
        return dx, dh, dc, dw_ih, dw_hh, db, db

    @staticmethod
    def composed(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        """The same loop with Tensor ops (for gradients of gradients)."""
        hs, h, c = [None] * x.shape[0], h0, c0
        for t in _steps(x.shape[0], reverse):
            h, c = _composed_cell(_gates(x[t], h, w_ih, w_hh, b_ih, b_hh), c)
            hs[t] = h
        return stack([*hs, c])


class LSTMProjScan(Function):
    """LSTM layer-direction with a projection (PyTorch's ``proj_size``, arXiv:1402.1128):
    x (T, N, I), h0 (N, P), c0 (N, H), w_ih (4H, I), w_hh (4H, P), b_ih, b_hh (4H,),
    w_hr (P, H) → (T, N, P + H): each step's state h_t (P), then its cell state c_t (H).

    The cell is LSTMScan's; its output ``m_t = o ⊙ tanh(c_t)`` (H) is projected to the
    state ``h_t = m_t·W_hrᵀ`` (P < H), which is what the next step's gates and the layer
    above read. No fast kernel: the reference loop runs under every tier."""

    formula = ("GI = X·W_ihᵀ + b_ih (all steps, one GEMM);  each step t:  A = GI_t + h_{t-1}·W_hhᵀ + b_hh,  "
               "i = σ(A_i),  f = σ(A_f),  g = tanh(A_g),  o = σ(A_o),  c_t = f ⊙ c_{t-1} + i ⊙ g,  "
               "m_t = o ⊙ tanh(c_t),  h_t = m_t·W_hrᵀ;  Y_t = [h_t, c_t]")
    grad_formulas = ("dh = 0,  dc = 0;  each step t, last to first:  dh += dY_t[:P],  dW_hr += dhᵀ·m_t,  "
                     "dm = dh·W_hr,  dc += dY_t[P:] + dm ⊙ o ⊙ (1 - tanh²c_t),  dA = [dc ⊙ g ⊙ i(1 - i),  "
                     "dc ⊙ c_{t-1} ⊙ f(1 - f),  dc ⊙ i ⊙ (1 - g²),  dm ⊙ tanh c_t ⊙ o(1 - o)]",
                     "dGI_t = dA,  dW_hh += dAᵀ·h_{t-1},  dh = dA·W_hh,  dc = dc ⊙ f",
                     "dh_0 = dh,  dc_0 = dc,  db_hh = Σ dA,  dX = dGI·W_ih,  dW_ih = dGIᵀ·X,  db_ih = Σ dGI")

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
        _check_proj(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        xp = namespace(x)
        gi = _project(x, w_ih, b_ih)
        (T, N, _), (P, H) = gi.shape, w_hr.shape
        out, ms, self.saved = xp.empty((T, N, P + H), gi.dtype), xp.empty((T, N, H), gi.dtype), [None] * T
        h, c = h0, c0
        for t in _steps(T, reverse):
            i, f, g, o, c_new = _lstm_cell(xp, gi[t] + h @ w_hh.T + b_hh, c, H)
            ms[t] = o * xp.tanh(c_new)
            h = ms[t] @ w_hr.T
            out[t, :, :P], out[t, :, P:] = h, c_new
            self.saved[t], c = (i, f, g, o, c, c_new), c_new
        self.x, self.h0, self.w_ih, self.w_hh, self.w_hr = x, h0, w_ih, w_hh, w_hr
        self.ms, self.hs = ms, out[..., :P]
        return out

    def backward(self, dy):
        xp = namespace(dy)
        hs, reverse, P = self.hs, self.params["reverse"], self.w_hr.shape[0]
        dgi = xp.empty((*hs.shape[:2], self.w_hh.shape[0]), hs.dtype)
        dw_hh, dw_hr = xp.zeros_like(self.w_hh), xp.zeros_like(self.w_hr)
        dh, dc = xp.zeros_like(self.h0), xp.zeros_like(dy[0, :, P:])
        for t in _steps(len(hs), not reverse):
            dh = dh + dy[t, :, :P]
            dw_hr += dh.T @ self.ms[t]
            dgi[t], dc = _lstm_cell_grads(xp, dh @ self.w_hr, dc + dy[t, :, P:], self.saved[t])
            dw_hh += dgi[t].T @ _prev(hs, self.h0, t, reverse)
            dh = dgi[t] @ self.w_hh
        dx, dw_ih, db = _projection_grads(self.x, self.w_ih, dgi)
        return dx, dh, dc, dw_ih, dw_hh, db, db, dw_hr

    @staticmethod
    def composed(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
        """The same loop with Tensor ops (for gradients of gradients)."""
        ys, h, c = [None] * x.shape[0], h0, c0
        for t in _steps(x.shape[0], reverse):
            m, c = _composed_cell(_gates(x[t], h, w_ih, w_hh, b_ih, b_hh), c)
            h = m @ w_hr.T
            ys[t] = cat([h, c], dim=-1)
        return stack(ys)


def _lstm_cell(xp, a, c, H):
    """One LSTM step on arrays from its pre-activations ``a`` (N, 4H), blocks i, f, g, o, and
    c_{t-1}: the gates and ``c_t = f ⊙ c_{t-1} + i ⊙ g``."""
    i = _sigmoid(xp, a[:, :H])
    f = _sigmoid(xp, a[:, H : 2 * H])
    g = xp.tanh(a[:, 2 * H : 3 * H])
    o = _sigmoid(xp, a[:, 3 * H :])
    return i, f, g, o, f * c + i * g


def _lstm_cell_grads(xp, dm, dc, saved):
    """Back through one step's ``m_t = o ⊙ tanh(c_t)`` and ``c_t = f ⊙ c_{t-1} + i ⊙ g``: dm
    (the cell output's gradient) and dc (c_t's, from later steps) → the pre-activations'
    gradient dA (N, 4H) and c_{t-1}'s, ``dc ⊙ f``."""
    i, f, g, o, c_prev, c = saved
    tanh_c = xp.tanh(c)
    dc = dc + dm * o * (1 - tanh_c * tanh_c)
    da = xp.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                         dm * tanh_c * o * (1 - o)], axis=1)
    return da, dc * f


def _composed_cell(a, c):
    """One LSTM step with Tensor ops from its pre-activations ``a`` (N, 4H): the cell output
    ``o ⊙ tanh(c_t)`` and c_t."""
    H = c.shape[-1]
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
    g, o = tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c = f * c + i * g
    return o * tanh(c), c


def _check_proj(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
    """Shapes that fit: x (T, N, I), h0 (N, P), c0 (N, H), w_ih (4H, I), w_hh (4H, P), biases
    (4H,), w_hr (P, H) with P < H — P and H read from w_hr."""
    P, H = w_hr.shape if w_hr.ndim == 2 else ("P", "H")
    G = 4 * H if w_hr.ndim == 2 else "4H"
    N, I = x.shape[1:] if x.ndim == 3 else ("N", "I")
    want = [(N, P), (N, H), (G, I), (G, P), (G,), (G,), (P, H)]
    got = [a.shape for a in (h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)]
    arrays = (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
    if any(a.dtype.kind != "f" for a in arrays):
        raise GlassnetTypeError(f"lstm_proj_scan: x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr must be floating "
                                f"point, got {', '.join(str(a.dtype) for a in arrays)} (convert with "
                                ".double() or .float())")
    if x.ndim == 3 and got == want and P < H:
        return
    raise ShapeError(f"lstm_proj_scan: a projection w_hr (P, H) = {tuple(w_hr.shape)} with P < H needs "
                     f"x (T, N, I), h0 ({N}, {P}), c0 ({N}, {H}), w_ih ({G}, {I}), w_hh ({G}, {P}), "
                     f"biases ({G},); got x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr of shapes "
                     f"{', '.join(map(str, [x.shape, *got]))}")


def _gates(x_t, h, w_ih, w_hh, b_ih, b_hh):
    """One step's pre-activations ``x_t·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`` with Tensor ops."""
    return x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh


def _bias(b, w_hh):
    """The bias to use: ``b``, or zeros (needing no gradient) for a layer without biases."""
    if b is not None:
        return b
    return Tensor._wrap(namespace(w_hh.array).zeros(w_hh.shape[0], w_hh.dtype), False, None)


def rnn_scan(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False):
    """One Elman RNN layer-direction over ``x`` (T, N, I) from ``h0`` (N, H) → every state
    (T, N, H); ``reverse`` runs from the last step to the first."""
    if nonlinearity not in ("tanh", "relu"):
        raise GlassnetValueError(f"rnn_scan: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return RNNScan.apply(x, h0, w_ih, w_hh, _bias(b_ih, w_hh), _bias(b_hh, w_hh),
                         nonlinearity=nonlinearity, reverse=bool(reverse))


def gru_scan(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One GRU layer-direction (gates r, z, n) over ``x`` (T, N, I) → every state (T, N, H)."""
    return GRUScan.apply(x, h0, w_ih, w_hh, _bias(b_ih, w_hh), _bias(b_hh, w_hh), reverse=bool(reverse))


def lstm_scan(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One LSTM layer-direction (PyTorch's gates i, f, g, o) over ``x`` (T, N, I) →
    (T+1, N, H): the states h_t, then the last cell state."""
    return LSTMScan.apply(x, h0, c0, w_ih, w_hh, _bias(b_ih, w_hh), _bias(b_hh, w_hh), reverse=bool(reverse))


def lstm_proj_scan(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=False):
    """One LSTM layer-direction with a projection ``w_hr`` (P, H) over ``x`` (T, N, I) from
    ``h0`` (N, P) and ``c0`` (N, H) → (T, N, P + H): each step's state h_t, then its cell
    state c_t. ``b_ih``, ``b_hh`` may be None (a layer without biases)."""
    return LSTMProjScan.apply(x, h0, c0, w_ih, w_hh, _bias(b_ih, w_hh), _bias(b_hh, w_hh), w_hr,
                              reverse=bool(reverse))
