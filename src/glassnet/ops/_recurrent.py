"""Recurrent scans: one primitive runs the time loop of one RNN / LSTM / GRU layer-direction.

The layer computes the input projection of every time step in one GEMM before the scan,
``GI = X·W_ihᵀ + b_ih`` of shape (T, N, G) (G = K·H with K = 1, 3 or 4 gate blocks). The
scan then loops over time steps only, with one GEMM per step for all gates, ``h_{t-1}·W_hhᵀ``.

Why primitives and not a composition: composed from ops, a GRU step is ~15 ops, each with
its own Python overhead and its own gradient buffers, and backward does one small
``dW_hh += dgatesᵀ·h`` GEMM per step. Here backward runs the recurrence for ``dh`` only
(one ``dgates·W_hh`` GEMM per step) and computes ``dW_hh`` for all steps in ONE GEMM at the
end, ``dW_hh = dGATESᵀ·H_prev`` with (T·N)-row matrices — cuDNN's arrangement. The cells
(``nn.GRUCell`` …) stay composed from ops and the reference tests check both agree.

Layout: inside the loop the gates are GATE-MAJOR, (K, N, H) per step: GRU rearranges GI
(+ the foldable part of b_hh) once to (T, K, N, H), LSTM reads GI per step through a
strided view, and the step GEMM is a stack of K GEMMs ``h·W_kᵀ`` writing each gate block
contiguously. Every elementwise op then runs on a contiguous (N, H) block and writes into
a preallocated buffer (``out=``): on column slices of a (N, K·H) row the same ufuncs are
2–7× slower and the gate maths, not the GEMMs, dominated the step. Backward writes each
step's dgates into the row layout (T, N, K·H) that ``dGI`` and the ``dW_hh`` GEMM need.

LSTM goes one step further (:class:`LSTMGateLayout`): its small weight matrices are put
in the scan's layout before the input projection — blocks o, i, f, g, σ blocks halved,
both biases summed — so a step is one GEMM, one add and ONE tanh over all four blocks,
and forward (when a gradient is wanted) stores the products backward needs, which leaves
backward three multiplies, three updates and one GEMM per step.

σ(x) is computed as ``½·tanh(½x) + ½``: the same function, stable for any x, one call.
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetError, ShapeError
from glassnet.autograd._function import Function
from glassnet.autograd._mode import state

__all__ = ["rnn_scan", "lstm_scan", "lstm_scan_prepared", "lstm_gate_layout", "gru_scan"]


def _sigmoid_(x, xp):
    """σ in place: x ← ½·tanh(½x) + ½ (no temporaries)."""
    x *= 0.5
    xp.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def _dsigmoid(xp, s, x, y, out, buf):
    """out = x·y·s(1-s): the gradient through the σ gate s, no temporaries."""
    xp.subtract(1, s, out=buf)
    buf *= s
    buf *= y
    xp.multiply(buf, x, out=out)


def _tanh_grad(xp, t, out):
    """out = 1 - t² (the derivative of tanh, from its value t)."""
    xp.multiply(t, t, out=out)
    xp.subtract(1, out, out=out)


def _steps(T, reverse):
    """Time indices in the order a scan visits them (backward passes ``not reverse``)."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _prev(seq, init, t, reverse):
    """The state step t started from: its neighbour in ``seq``, or ``init`` at the start."""
    if reverse:
        return seq[t + 1] if t + 1 < len(seq) else init
    return seq[t - 1] if t else init


def _gate_major(xp, gi, bias, blocks):
    """GI (T, N, K·H) + bias (K·H,) → contiguous (T, K, N, H), in one pass."""
    T, N, G = gi.shape
    H = G // blocks
    out = xp.empty((T, blocks, N, H), gi.dtype)
    xp.add(gi.reshape(T, N, blocks, H).transpose(0, 2, 1, 3), bias.reshape(blocks, 1, H), out=out)
    return out


def _blocks_t(xp, w_hh, blocks):
    """W_hh (K·H, H) → contiguous (K, H, H) stack of W_kᵀ: ``h @ it`` is (K, N, H)."""
    H = w_hh.shape[-1]
    return xp.ascontiguousarray(w_hh.reshape(blocks, H, H).transpose(0, 2, 1))


def _to_rows(xp, dst, blocks_nh):
    """Copy gate blocks (K, N, H) into one row-layout step (N, K·H)."""
    K, N, H = blocks_nh.shape
    xp.copyto(dst.reshape(N, K, H).transpose(1, 0, 2), blocks_nh)


def _weight_grads(xp, da, h0, hs, reverse, bias=True):
    """dW_hh = Σ_t da_tᵀ·h_{t-1} (one GEMM over the (T-1)·N rows whose h_{t-1} is in
    ``hs``, plus h0's step) and db_hh = Σ_t Σ_n da_t (None unless ``bias``)."""
    T, N, G = da.shape
    first, rest, prev = (T - 1, slice(0, T - 1), slice(1, T)) if reverse else (0, slice(1, T),
                                                                             slice(0, T - 1))
    dw = da[rest].reshape(-1, G).T @ hs[prev].reshape(-1, hs.shape[-1])
    dw += da[first].T @ h0
    return dw, (da.reshape(-1, G).sum(axis=0) if bias else None)


def _check(name, gi, h0, w_hh, blocks):
    T, N, G = gi.shape
    H = h0.shape[-1]
    if G != blocks * H or h0.shape != (N, H) or w_hh.shape != (G, H):
        raise ShapeError(
            f"{name}: gates {gi.shape} need h0 (N, H) = ({N}, {G // blocks}) and w_hh "
            f"({G}, {G // blocks}) for {blocks} gate block(s); got h0 {h0.shape}, w_hh {w_hh.shape}"
        )


class RNNScan(Function):
    formula = "h_t = act(GI_t + h_{t-1}·W_hhᵀ + b_hh),  act = tanh or relu"
    grad_formulas = ("dA_t = dh_t · act'(A_t),  dh_{t-1} = dA_t · W_hh",
                     "dW_hh = dAᵀ · H_prev (one GEMM over all steps),  db_hh = Σ dA,  dGI = dA")

    def forward(self, gi, h0, w_hh, b_hh, nonlinearity, reverse):
        _check("rnn_scan", gi, h0, w_hh, 1)
        xp = namespace(gi)
        self.h0, self.w = h0, w_hh
        hs = xp.empty_like(gi)
        w_t, h = xp.ascontiguousarray(w_hh.T), h0
        for t in _steps(gi.shape[0], reverse):
            h = xp.matmul(h, w_t, out=hs[t])
            h += gi[t]
            h += b_hh
            xp.tanh(h, out=h) if nonlinearity == "tanh" else xp.maximum(h, 0, out=h)
        self.hs = hs
        return hs

    def backward(self, g):
        xp = namespace(g)
        hs, reverse = self.hs, self.params["reverse"]
        da, buf = xp.empty_like(hs), xp.empty_like(hs[0])
        dh = xp.zeros_like(hs[0])
        for t in _steps(hs.shape[0], not reverse):
            dh += g[t]
            if self.params["nonlinearity"] == "tanh":
                _tanh_grad(xp, hs[t], buf)
            else:
                xp.greater(hs[t], 0, out=buf)
            xp.multiply(dh, buf, out=da[t])
            xp.matmul(da[t], self.w, out=dh)
        dw, db = _weight_grads(xp, da, self.h0, hs, reverse)
        return da, dh, dw, db


class GRUScan(Function):
    """Gates are stored gate-major, (T, 3, N, H) r, z, n, so every elementwise op of the
    loop runs on contiguous (N, H) blocks (2–7× faster than on column slices of (N, 3H))."""

    formula = ("r, z = σ(GI_rz + h·W_hrzᵀ + b_hrz),  n = tanh(GI_n + r ⊙ (h·W_hnᵀ + b_hn)),  "
               "h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}")
    grad_formulas = ("dn = dh·(1-z),  dz = dh·(h_{t-1} - n),  dA_n = dn·(1-n²),  "
                     "dA_r = dA_n·(h·W_hnᵀ + b_hn)·r(1-r),  dA_z = dz·z(1-z)",
                     "dh_{t-1} = dh·z + [dA_r, dA_z, dA_n·r] · W_hh,  "
                     "dW_hh = dGHᵀ · H_prev (one GEMM),  dGI = [dA_r, dA_z, dA_n]")

    def forward(self, gi, h0, w_hh, b_hh, reverse):
        _check("gru_scan", gi, h0, w_hh, 3)
        xp = namespace(gi)
        T, N, G = gi.shape
        H = G // 3
        self.h0, self.w = h0, w_hh
        fold = xp.concatenate([b_hh[: 2 * H], xp.zeros(H, b_hh.dtype)])  # b_hn stays inside r ⊙ (·)
        gik, wk = _gate_major(xp, gi, fold, 3), _blocks_t(xp, w_hh, 3)
        hs, gates, ghn = xp.empty((T, N, H), gi.dtype), xp.empty_like(gik), xp.empty((T, N, H), gi.dtype)
        h = h0
        for t in _steps(T, reverse):
            a = xp.matmul(h, wk, out=gates[t])  # (3, N, H): h·W_rᵀ, h·W_zᵀ, h·W_nᵀ
            a[:2] += gik[t, :2]
            _sigmoid_(a[:2], xp)
            r, z, n = a
            xp.add(n, b_hh[2 * H :], out=ghn[t])
            xp.multiply(r, ghn[t], out=n)
            n += gik[t, 2]
            xp.tanh(n, out=n)
            h = xp.subtract(h, n, out=hs[t])
            h *= z
            h += n  # n + z·(h - n)
        self.hs, self.gates, self.ghn = hs, gates, ghn
        return hs

    def backward(self, g):
        xp = namespace(g)
        hs, gates, reverse = self.hs, self.gates, self.params["reverse"]
        T, N, H = hs.shape
        dgi, dgh = xp.empty((T, N, 3 * H), hs.dtype), xp.empty((T, N, 3 * H), hs.dtype)
        d, a, b = xp.empty_like(gates[0]), xp.empty_like(hs[0]), xp.empty_like(hs[0])
        dh = xp.zeros_like(hs[0])
        for t in _steps(T, not reverse):
            dh += g[t]
            r, z, n = gates[t]
            _tanh_grad(xp, n, b)
            xp.subtract(1, z, out=a)
            a *= dh
            xp.multiply(a, b, out=d[2])  # dA_n = dh·(1-z)·(1-n²)
            _dsigmoid(xp, r, d[2], self.ghn[t], d[0], a)  # dA_r
            xp.subtract(_prev(hs, self.h0, t, reverse), n, out=b)
            _dsigmoid(xp, z, dh, b, d[1], a)  # dA_z = dh·(h_{t-1} - n)·z(1-z)
            _to_rows(xp, dgi[t], d)
            d[2] *= r
            _to_rows(xp, dgh[t], d)
            dh *= z
            dh += xp.matmul(dgh[t], self.w, out=a)
        dw, db = _weight_grads(xp, dgh, self.h0, hs, reverse)
        return dgi, dh, dw, db


def _gate_rows(xp, G):
    """Row order that turns PyTorch's LSTM gate blocks i, f, g, o into o, i, f, g, and
    its inverse (a rotation by one block, so both are simple index arrays)."""
    H = G // 4
    order = xp.concatenate([xp.arange(3 * H, G), xp.arange(0, 3 * H)])
    return order, xp.concatenate([xp.arange(H, G), xp.arange(0, H)])


def _gate_scale(xp, G, ndim, axis, dtype):
    """½ on the σ blocks (o, i, f), 1 on g, shaped to broadcast along ``axis``."""
    scale = xp.ones(G, dtype)
    scale[: 3 * (G // 4)] = 0.5
    shape = [1] * ndim
    shape[axis] = G
    return scale.reshape(shape)


class LSTMGateLayout(Function):
    """PyTorch's LSTM gate blocks (i, f, g, o) along one axis → the scan's layout: blocks
    in the order o, i, f, g with the three σ blocks halved.

    Why: σ(x) = ½ + ½·tanh(x/2), so with the σ pre-activations halved up front (in the
    small weight matrices, before the input-projection GEMM) one ``tanh`` call covers all
    four gate blocks of a step, and o, i, f, g puts the σ blocks together (o, i, f) and
    the blocks that backward multiplies by dc together (i, f, g)."""

    formula = "x' = S·P·x along the gate axis: blocks reordered (o, i, f, g), σ blocks × ½"
    grad_formulas = ("dx = Pᵀ·(S·dx')",)

    def forward(self, x, axis):
        xp = namespace(x)
        G = x.shape[axis]
        if G % 4:
            raise ShapeError(f"lstm_gate_layout: axis {axis} of {x.shape} has {G} entries; the 4 LSTM "
                             f"gate blocks need a multiple of 4")
        order, self.inverse = _gate_rows(xp, G)
        self.scale = _gate_scale(xp, G, x.ndim, axis, x.dtype)
        return xp.take(x, order, axis=axis) * self.scale

    def backward(self, g):
        xp = namespace(g)
        return (xp.take(g * self.scale, self.inverse, axis=self.params["axis"]),)


class LSTMScan(Function):
    """Output (T+1, N, H): rows 0..T-1 are h_t, row T is the final cell state c.

    Inputs are in the scan's layout (:class:`LSTMGateLayout`): ``gp`` (T, N, 4H) holds the
    pre-activations of the blocks o, i, f, g with the σ blocks halved (both biases folded
    in), ``w_p`` (4H, H) the recurrent weight in the same layout. Per step, gate-major
    (4, N, H) in one reused scratch block: one stacked GEMM ``h·W_kᵀ``, one add, one
    ``tanh`` over all four blocks, then ``σ = ½ + ½·tanh`` on the first three.

    When a gradient will be needed (``save``) forward also stores, per step, everything
    backward multiplies by — (6, N, H): the four gate factors
    ``M = [tanh c·σ'_o, g·σ'_i, c_{t-1}·σ'_f, i·tanh'_g]`` (derivatives with respect to
    the scaled pre-activations), ``o·(1 - tanh²c)`` and ``f`` — so backward is three
    products, three updates and one GEMM per step, writing dGP straight into its row layout."""

    formula = ("p = GP_t + h_{t-1}·W_pᵀ (blocks o, i, f, g; σ blocks pre-halved),  o, i, f = ½ + ½·tanh p,  "
               "g = tanh p,  c_t = f ⊙ c_{t-1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)")
    grad_formulas = ("dc += dh·o·(1 - tanh²c),  dP = [dh·tanh c·2o(1-o), dc·g·2i(1-i), dc·c_{t-1}·2f(1-f), "
                     "dc·i·(1-g²)],  dc_{t-1} = dc·f",
                     "dh_{t-1} = dP · W_p,  dW_p = dPᵀ · H_prev (one GEMM),  dGP = dP")

    def forward(self, gp, h0, c0, w_p, reverse, save):
        _check("lstm_scan", gp, h0, w_p, 4)
        xp = namespace(gp)
        T, N, G = gp.shape
        H = G // 4
        self.h0, self.w = h0, w_p
        wk = xp.ascontiguousarray(w_p.reshape(4, H, H).transpose(0, 2, 1))
        gv = gp.reshape(T, N, 4, H).transpose(0, 2, 1, 3)  # (T, 4, N, H) view
        out, a = xp.empty((T + 1, N, H), gp.dtype), xp.empty((4, N, H), gp.dtype)
        tc, ig, cells = xp.empty_like(h0), xp.empty_like(h0), xp.empty((2, N, H), gp.dtype)
        saved = xp.empty((T, 6, N, H), gp.dtype) if save else None
        h, c = h0, c0
        for step, t in enumerate(_steps(T, reverse)):
            xp.matmul(h, wk, out=a)
            a += gv[t]
            xp.tanh(a, out=a)  # tanh of every block: σ blocks still need ½ + ½·(·)
            if save:
                m = saved[t]
                _tanh_grad(xp, a, m[:4])
                m[:3] *= 0.5  # dσ/dp = ½(1 - tanh²p) for the halved pre-activation p
            a[:3] *= 0.5
            a[:3] += 0.5
            o, i, f, g = a
            c_new = xp.multiply(f, c, out=cells[step % 2])
            if save:
                m[1] *= g
                m[2] *= c
                m[3] *= i
                xp.copyto(m[5], f)
            c_new += xp.multiply(i, g, out=ig)
            c = c_new
            xp.tanh(c, out=tc)
            h = xp.multiply(o, tc, out=out[t])
            if save:
                m[0] *= tc
                _tanh_grad(xp, tc, m[4])
                m[4] *= o
        out[T] = c
        self.saved, self.out = saved, out
        return out

    def backward(self, g):
        xp = namespace(g)
        saved, reverse = self.saved, self.params["reverse"]
        if saved is None:
            raise GlassnetError("lstm_scan: backward needs the products forward saves with save=True "
                                "(lstm_scan_prepared sets it whenever a gradient is wanted)")
        T, _, N, H = saved.shape
        dp, tmp = xp.empty((T, N, 4 * H), g.dtype), xp.empty((N, H), g.dtype)
        dh, dc = xp.zeros((N, H), g.dtype), g[T].copy()
        for t in _steps(T, not reverse):
            dh += g[t]
            m = saved[t]
            dc += xp.multiply(dh, m[4], out=tmp)  # dc += dh·o·(1 - tanh²c)
            blocks = dp[t].reshape(N, 4, H).transpose(1, 0, 2)  # row layout, written gate by gate
            xp.multiply(dh, m[0], out=blocks[0])
            xp.multiply(dc, m[1:4], out=blocks[1:])
            dc *= m[5]
            xp.matmul(dp[t], self.w, out=dh)
        dw, _ = _weight_grads(xp, dp, self.h0, self.out[:T], reverse, bias=False)
        return dp, dh, dc, dw


def rnn_scan(gi, h0, w_hh, b_hh, nonlinearity="tanh", reverse=False):
    """Elman recurrence over precomputed input gates ``gi`` (T, N, H) → all states (T, N, H)."""
    return RNNScan.apply(gi, h0, w_hh, b_hh, nonlinearity=nonlinearity, reverse=reverse)


def gru_scan(gi, h0, w_hh, b_hh, reverse=False):
    """GRU recurrence (gates r, z, n) over ``gi`` (T, N, 3H) → all states (T, N, H)."""
    return GRUScan.apply(gi, h0, w_hh, b_hh, reverse=reverse)


def lstm_gate_layout(x, axis=0):
    """PyTorch's LSTM gate blocks (i, f, g, o) along ``axis`` → the scan's layout (o, i, f,
    g, σ blocks halved): apply it to ``weight_ih``, ``weight_hh`` and the bias sum."""
    return LSTMGateLayout.apply(x, axis=axis % x.ndim)


def lstm_scan_prepared(gp, h0, c0, w_p, reverse=False):
    """LSTM recurrence over pre-activations already in the scan's layout
    (:func:`lstm_gate_layout`, biases included) → (T+1, N, H): the states h_t, then c."""
    save = state.grad_enabled and (gp.requires_grad or h0.requires_grad or c0.requires_grad
                                   or w_p.requires_grad)
    return LSTMScan.apply(gp, h0, c0, w_p, reverse=reverse, save=save)


def lstm_scan(gi, h0, c0, w_hh, b_hh=None, reverse=False):
    """LSTM recurrence (PyTorch's gates i, f, g, o) over ``gi`` (T, N, 4H) → (T+1, N, H):
    the states h_t, then the final cell state. Composed: the gate layout of ``gi + b_hh``
    and of ``w_hh``, then :func:`lstm_scan_prepared` (``nn.LSTM`` lays out its small
    weights instead, before the input projection)."""
    gi = gi if b_hh is None else gi + b_hh
    return lstm_scan_prepared(lstm_gate_layout(gi, -1), h0, c0, lstm_gate_layout(w_hh, 0), reverse)
