"""Recurrent scans: one primitive runs the time loop of one RNN / LSTM / GRU layer-direction.

The layer computes the input projection of every time step in one GEMM before the scan,
``GI = X·W_ihᵀ + b_ih`` of shape (T, N, G) (G = 1, 3 or 4 gate blocks of H). The scan then
loops over time steps only, with one GEMM per step for all gates, ``h_{t-1}·W_hhᵀ``.

Why primitives and not a composition: composed from ops, a GRU step is ~15 ops, each with
its own Python overhead and its own gradient buffers, and backward does one small
``dW_hh += dgatesᵀ·h`` GEMM per step. Here backward runs the recurrence for ``dh`` only
(one ``dgates·W_hh`` GEMM per step) and computes ``dW_hh`` for all steps in ONE GEMM at the
end, ``dW_hh = dGATESᵀ·H_prev`` with (T·N)-row matrices — cuDNN's arrangement. The cells
(``nn.GRUCell`` …) stay composed from ops and the reference tests check both agree.

σ(x) is computed as ``½·tanh(½x) + ½``: the same function, stable for any x, one call.
"""

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet.autograd._function import Function

__all__ = ["rnn_scan", "lstm_scan", "gru_scan"]


def _sigmoid_(x, xp):
    """σ in place: x ← ½·tanh(½x) + ½ (no temporaries)."""
    x *= 0.5
    xp.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def _steps(T, reverse):
    """Time indices in the order a scan visits them (backward passes ``not reverse``)."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _previous_states(xp, h0, hs, reverse):
    """H_prev (T, N, H): the state each step started from, in time order."""
    if reverse:
        return xp.concatenate([hs[1:], h0[None]], axis=0)
    return xp.concatenate([h0[None], hs[:-1]], axis=0)


def _weight_grads(xp, dgates, hprev):
    """dW_hh = Σ_t dgates_tᵀ·h_{t-1} and db_hh = Σ_t Σ_n dgates_t, as one GEMM."""
    G, H = dgates.shape[-1], hprev.shape[-1]
    flat = dgates.reshape(-1, G)
    return flat.T @ hprev.reshape(-1, H), flat.sum(axis=0)


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
        w_t, h = w_hh.T, h0
        for t in _steps(gi.shape[0], reverse):
            a = h @ w_t
            a += gi[t]
            a += b_hh
            h = xp.tanh(a, out=hs[t]) if nonlinearity == "tanh" else xp.maximum(a, 0, out=hs[t])
        self.hs = hs
        return hs

    def backward(self, g):
        xp = namespace(g)
        hs, reverse = self.hs, self.params["reverse"]
        da = xp.empty_like(hs)
        dh = xp.zeros_like(self.h0)
        for t in _steps(hs.shape[0], not reverse):
            dh = dh + g[t]
            if self.params["nonlinearity"] == "tanh":
                xp.multiply(dh, 1 - hs[t] * hs[t], out=da[t])
            else:
                xp.multiply(dh, hs[t] > 0, out=da[t])
            dh = da[t] @ self.w
        dw, db = _weight_grads(xp, da, _previous_states(xp, self.h0, hs, reverse))
        return da, dh, dw, db


class GRUScan(Function):
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
        hs, gates, ghn = xp.empty((T, N, H), gi.dtype), xp.empty_like(gi), xp.empty((T, N, H), gi.dtype)
        w_t, h = w_hh.T, h0
        for t in _steps(T, reverse):
            gh = h @ w_t
            gh += b_hh
            rz, n = gates[t, :, : 2 * H], gates[t, :, 2 * H :]
            _sigmoid_(xp.add(gi[t, :, : 2 * H], gh[:, : 2 * H], out=rz), xp)
            xp.multiply(rz[:, :H], gh[:, 2 * H :], out=n)
            ghn[t] = gh[:, 2 * H :]
            n += gi[t, :, 2 * H :]
            xp.tanh(n, out=n)
            h = xp.subtract(h, n, out=hs[t])
            h *= rz[:, H:]
            h += n  # n + z·(h - n)
        self.hs, self.gates, self.ghn = hs, gates, ghn
        return hs

    def backward(self, g):
        xp = namespace(g)
        hs, gates, reverse = self.hs, self.gates, self.params["reverse"]
        H = hs.shape[-1]
        dgi, dgh = xp.empty_like(gates), xp.empty_like(gates)
        hprev = _previous_states(xp, self.h0, hs, reverse)
        dh = xp.zeros_like(self.h0)
        for t in _steps(hs.shape[0], not reverse):
            dh = dh + g[t]
            r, z, n = gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H :]
            dan = dh * (1 - z) * (1 - n * n)
            dgi[t, :, :H] = dan * self.ghn[t] * r * (1 - r)
            dgi[t, :, H : 2 * H] = dh * (hprev[t] - n) * z * (1 - z)
            dgi[t, :, 2 * H :] = dan
            dgh[t, :, : 2 * H] = dgi[t, :, : 2 * H]
            xp.multiply(dan, r, out=dgh[t, :, 2 * H :])
            dh = dh * z + dgh[t] @ self.w
        dw, db = _weight_grads(xp, dgh, hprev)
        return dgi, dh, dw, db


class LSTMScan(Function):
    """Output (T+1, N, H): rows 0..T-1 are h_t, row T is the final cell state c."""

    formula = ("i, f, g, o = σ, σ, tanh, σ of (GI + h·W_hhᵀ + b_hh),  c_t = f ⊙ c_{t-1} + i ⊙ g,  "
               "h_t = o ⊙ tanh(c_t)")
    grad_formulas = ("dc += dh·o·(1 - tanh²c),  dA = [dc·g·i(1-i), dc·c_{t-1}·f(1-f), "
                     "dc·i·(1-g²), dh·tanh c·o(1-o)],  dc_{t-1} = dc·f",
                     "dh_{t-1} = dA · W_hh,  dW_hh = dAᵀ · H_prev (one GEMM),  dGI = dA")

    def forward(self, gi, h0, c0, w_hh, b_hh, reverse):
        _check("lstm_scan", gi, h0, w_hh, 4)
        xp = namespace(gi)
        T, N, G = gi.shape
        H = G // 4
        self.h0, self.c0, self.w = h0, c0, w_hh
        out, gates = xp.empty((T + 1, N, H), gi.dtype), xp.empty_like(gi)
        tc, cs = xp.empty((T, N, H), gi.dtype), xp.empty((T, N, H), gi.dtype)
        w_t, h, c = w_hh.T, h0, c0
        for t in _steps(T, reverse):
            a = gates[t]
            xp.matmul(h, w_t, out=a)
            a += gi[t]
            a += b_hh
            _sigmoid_(a[:, : 2 * H], xp)
            xp.tanh(a[:, 2 * H : 3 * H], out=a[:, 2 * H : 3 * H])
            _sigmoid_(a[:, 3 * H :], xp)
            c = xp.multiply(a[:, H : 2 * H], c, out=cs[t])
            c += a[:, :H] * a[:, 2 * H : 3 * H]
            xp.tanh(c, out=tc[t])
            h = xp.multiply(a[:, 3 * H :], tc[t], out=out[t])
        out[T] = c
        self.out, self.gates, self.tc, self.cs = out, gates, tc, cs
        return out

    def backward(self, g):
        xp = namespace(g)
        out, gates, tc, reverse = self.out, self.gates, self.tc, self.params["reverse"]
        T, H = gates.shape[0], out.shape[-1]
        hs = out[:T]
        cprev = _previous_states(xp, self.c0, self.cs, reverse)
        da = xp.empty_like(gates)
        dh, dc = xp.zeros_like(self.h0), g[T].copy()
        for t in _steps(T, not reverse):
            dh = dh + g[t]
            i, f, gg, o = (gates[t, :, k * H : (k + 1) * H] for k in range(4))
            dc = dc + dh * o * (1 - tc[t] * tc[t])
            da[t, :, :H] = dc * gg * i * (1 - i)
            da[t, :, H : 2 * H] = dc * cprev[t] * f * (1 - f)
            da[t, :, 2 * H : 3 * H] = dc * i * (1 - gg * gg)
            da[t, :, 3 * H :] = dh * tc[t] * o * (1 - o)
            dc = dc * f
            dh = da[t] @ self.w
        dw, db = _weight_grads(xp, da, _previous_states(xp, self.h0, hs, reverse))
        return da, dh, dc, dw, db


def rnn_scan(gi, h0, w_hh, b_hh, nonlinearity="tanh", reverse=False):
    """Elman recurrence over precomputed input gates ``gi`` (T, N, H) → all states (T, N, H)."""
    return RNNScan.apply(gi, h0, w_hh, b_hh, nonlinearity=nonlinearity, reverse=reverse)


def gru_scan(gi, h0, w_hh, b_hh, reverse=False):
    """GRU recurrence (gates r, z, n) over ``gi`` (T, N, 3H) → all states (T, N, H)."""
    return GRUScan.apply(gi, h0, w_hh, b_hh, reverse=reverse)


def lstm_scan(gi, h0, c0, w_hh, b_hh, reverse=False):
    """LSTM recurrence (gates i, f, g, o) over ``gi`` (T, N, 4H) → (T+1, N, H): the states
    h_t, then the final cell state."""
    return LSTMScan.apply(gi, h0, c0, w_hh, b_hh, reverse=reverse)
