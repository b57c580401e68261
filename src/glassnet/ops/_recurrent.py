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

Layout: inside the loop the gates are GATE-MAJOR, (K, N, H) per step: GI (+ the foldable
part of b_hh) is rearranged once to (T, K, N, H) (LSTM: added per step from a strided view
instead), and the step GEMM is a stack of K GEMMs
``h·W_kᵀ`` writing each gate block contiguously. Every elementwise op then runs on a
contiguous (N, H) block and writes into a preallocated buffer (``out=``): on column slices
of a (N, K·H) row the same ufuncs are 2–7× slower and the gate maths, not the GEMMs,
dominated the step. Backward builds each step's dgates gate-major and copies them once
into the row layout (T, N, K·H) that ``dGI`` and the ``dW_hh`` GEMM need.

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


def _dsigmoid(xp, s, x, y, out, buf):
    """out = x·y·s(1-s): the gradient through the σ gate s, no temporaries."""
    xp.subtract(1, s, out=buf)
    buf *= s
    buf *= y
    xp.multiply(buf, x, out=out)


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


def _weight_grads(xp, da, h0, hs, reverse):
    """dW_hh = Σ_t da_tᵀ·h_{t-1} (one GEMM over the (T-1)·N rows whose h_{t-1} is in
    ``hs``, plus h0's step) and db_hh = Σ_t Σ_n da_t."""
    T, N, G = da.shape
    first, rest, prev = (T - 1, slice(0, T - 1), slice(1, T)) if reverse else (0, slice(1, T),
                                                                             slice(0, T - 1))
    dw = da[rest].reshape(-1, G).T @ hs[prev].reshape(-1, hs.shape[-1])
    dw += da[first].T @ h0
    return dw, da.reshape(-1, G).sum(axis=0)


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
                xp.multiply(hs[t], hs[t], out=buf)
                xp.subtract(1, buf, out=buf)
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
            xp.multiply(n, n, out=b)
            xp.subtract(1, b, out=b)
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


_IFOG = (0, 1, 3, 2)  # PyTorch's gate rows i, f, g, o ↔ internal order i, f, o, g


def _add_ifog(a, gi_t):
    """a (4, N, H) in order i, f, o, g  +=  gi_t (4, N, H) in PyTorch's order i, f, g, o."""
    a[:2] += gi_t[:2]
    a[2] += gi_t[3]
    a[3] += gi_t[2]


class LSTMScan(Function):
    """Output (T+1, N, H): rows 0..T-1 are h_t, row T is the final cell state c.

    Parameters keep PyTorch's gate order i, f, g, o; inside the loop the gates are stored
    gate-major in the order i, f, o, g, (T, 4, N, H), so the three σ gates are one contiguous
    (3, N, H) block (one σ call per step) and every elementwise op runs on contiguous
    (N, H) blocks. GI is added each step from a strided view (no rearranged copy up front);
    backward builds each step's dA in PyTorch's order and copies it into the row layout."""

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
        wk = xp.ascontiguousarray(w_hh.reshape(4, H, H)[list(_IFOG)].transpose(0, 2, 1))
        bk = xp.ascontiguousarray(b_hh.reshape(4, 1, H)[list(_IFOG)])
        giv = gi.reshape(T, N, 4, H).transpose(0, 2, 1, 3)  # (T, 4, N, H) view, PyTorch order
        out, gates = xp.empty((T + 1, N, H), gi.dtype), xp.empty((T, 4, N, H), gi.dtype)
        tc, cs, ig = xp.empty((T, N, H), gi.dtype), xp.empty((T, N, H), gi.dtype), xp.empty_like(h0)
        h, c = h0, c0
        for t in _steps(T, reverse):
            a = xp.matmul(h, wk, out=gates[t])  # (4, N, H): h·W_kᵀ for k = i, f, o, g
            _add_ifog(a, giv[t])
            a += bk
            _sigmoid_(a[:3], xp)
            xp.tanh(a[3], out=a[3])
            c = xp.multiply(a[1], c, out=cs[t])
            c += xp.multiply(a[0], a[3], out=ig)
            xp.tanh(c, out=tc[t])
            h = xp.multiply(a[2], tc[t], out=out[t])
        out[T] = c
        self.out, self.gates, self.tc, self.cs = out, gates, tc, cs
        return out

    def backward(self, g):
        xp = namespace(g)
        out, gates, tc, reverse = self.out, self.gates, self.tc, self.params["reverse"]
        T, H = gates.shape[0], out.shape[-1]
        da, d = xp.empty((T, out.shape[1], 4 * H), out.dtype), xp.empty_like(gates[0])
        a, b = xp.empty_like(out[0]), xp.empty_like(out[0])
        dh, dc = xp.zeros_like(out[0]), g[T].copy()
        for t in _steps(T, not reverse):
            dh += g[t]
            i, f, o, gg = gates[t]
            xp.multiply(tc[t], tc[t], out=a)
            xp.subtract(1, a, out=a)
            a *= o
            a *= dh
            dc += a  # dc += dh·o·(1 - tanh²c)
            _dsigmoid(xp, i, dc, gg, d[0], b)
            _dsigmoid(xp, f, dc, _prev(self.cs, self.c0, t, reverse), d[1], b)
            _dsigmoid(xp, o, dh, tc[t], d[3], b)
            xp.multiply(gg, gg, out=b)
            xp.subtract(1, b, out=b)
            b *= i
            xp.multiply(b, dc, out=d[2])  # dA_g = dc·i·(1-g²);  d is in PyTorch's order
            dc *= f
            _to_rows(xp, da[t], d)
            xp.matmul(da[t], self.w, out=dh)
        dw, db = _weight_grads(xp, da, self.h0, out[:T], reverse)
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
