"""The fast recurrent scans: the reference loops' arithmetic, rearranged for speed.

Registered for :class:`~glassnet.ops._recurrent.RNNScan`, ``GRUScan`` and ``LSTMScan``
(not ``LSTMProjScan``, the LSTM with ``proj_size``: it always runs its reference loop):
the same inputs (a layer-direction's x (T, N, I), its state(s) and PyTorch's ``w_ih``,
``w_hh``, ``b_ih``, ``b_hh``), the same outputs and gradients (held equal to the reference
to 1e-12 in float64 by tests/test_kernels.py). What they do differently, and why
(figures: hidden 128, 40 steps, batch 100, float32, one thread — benchmarks/train_rnn.py):

- **Gate-major blocks.** Inside the loop a step's gates are (K, N, H), one contiguous
  (N, H) block per gate, and the step's GEMM is a stack of K GEMMs ``h·W_kᵀ`` writing each
  block in place. On column slices of an (N, K·H) row the same ufuncs were 2–7× slower,
  and the gate maths, not the GEMMs, dominated the step. Every elementwise op writes into
  a buffer made once per call (``out=``), none per step.
- **dW_hh in one GEMM.** Backward runs the recurrence for dh only (one ``dA_t·W_hh`` GEMM
  per step), writes each step's gate gradients into row layout (T, N, K·H), and computes
  ``dW_hh = dAᵀ·H_prev`` over all T·N rows at once (cuDNN's arrangement) instead of T small
  GEMMs; the projection's ``dX`` and ``dW_ih`` are one GEMM each, skipped when unwanted.
- **Biases added once.** The RNN's and LSTM's two biases only ever appear as a sum: it is
  added in the input projection's pass, and their gradient is one sum handed to both. The
  GRU folds b_ih and the r, z blocks of b_hh into the pass that lays GI out gate-major.
- **The LSTM's own gate layout.** σ(x) = ½ + ½·tanh(x/2): with the three σ blocks' pre-
  activations halved, ONE ``tanh`` call covers all four blocks of a step. The kernel puts
  the rows of the small matrices W_ih, W_hh and b_ih + b_hh in the order o, i, f, g with
  the σ blocks halved (:func:`_lstm_layout`) before the input projection's GEMM, so the
  gates come out of that GEMM already laid out for the loop — at no cost per step or per
  element of GI. o, i, f, g puts the σ blocks together (o, i, f) and the blocks that
  backward multiplies by dc together (i, f, g). Forward (when a gradient can be wanted)
  stores, per step, the products backward needs — four gate factors, o·(1 − tanh²c) and f —
  so backward is three products, three updates and one GEMM per step, and it writes the
  gradients of the *unscaled* gates straight into PyTorch's order (the σ factors carry
  ¼ = ½ from σ' times ½ from the halving), so dW_hh, dW_ih and dX use the weights as given.
  Why the projection is part of the scan primitive: the alternative, a scan over a GI
  already projected in PyTorch's order, has to lay GI out itself — one pass over all of
  GI (1.4 ms per forward, timed alone) or, per step, a two-part permuted add, a halving
  multiply and a separate b_hh add (~12 µs × 40 steps), plus its own db_hh reduction
  (0.19 ms) — 2–5 % of a 27 ms training step that laying out the small weights avoids.
- **Scratch memory.** Temporaries that live within one call (GI, gate-major GI, the gate
  gradients) come from the kernels' scratch pool, and the products forward keeps for
  backward from its owned buffers (:mod:`glassnet.kernels._memory`), so a training step
  does not map and page-fault megabytes of fresh memory every time. Against the previous
  scans, which allocated afresh, in one process with glibc's default allocator settings
  (CPU time, input 1): GRU step 30.2 → 25.1 ms, LSTM 30.9 → 28.4 ms; with
  ``gn.backend.tune_host_allocator()`` the two were within 1 %.
- σ(x) is computed in place as ``½·tanh(½x) + ½``; an input of width 1 is projected by a
  broadcast multiply (an outer product: BLAS GEMM with K = 1 is slow).
"""

from glassnet._backend import namespace
from glassnet.autograd._mode import state
from glassnet.kernels._memory import owned_buffer, scratch
from glassnet.kernels._registry import Kernel, register

__all__ = ["RNNScanFused", "GRUScanFused", "LSTMScanFused"]


# -- shared pieces ------------------------------------------------------------------------
def _steps(T, reverse):
    """Time indices in the order a scan visits them (backward passes ``not reverse``)."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _prev(seq, init, t, reverse):
    """The state step t started from: its neighbour in ``seq``, or ``init`` at the start."""
    if reverse:
        return seq[t + 1] if t + 1 < len(seq) else init
    return seq[t - 1] if t else init


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


def _project(op, xp, x, w, bias, tag):
    """GI = X·Wᵀ (+ bias) for every step in one GEMM, into scratch: (T·N, G). Keeps X as
    (T·N, I) on ``op`` for dW_ih."""
    T, N, I = x.shape
    op.x2 = x.reshape(T * N, I)
    gi = scratch(xp, tag, (T * N, w.shape[0]), x.dtype)
    if I == 1:  # an outer product: BLAS GEMM with K = 1 is slow
        xp.multiply(op.x2, w[:, 0], out=gi)
    else:
        xp.matmul(op.x2, w.T, out=gi)
    if bias is not None:
        gi += bias
    return gi.reshape(T, N, -1)


def _projection_grads(op, dgi):
    """dX = dGI·W_ih and dW_ih = dGIᵀ·X, each one GEMM, or None where no one wants it."""
    d2 = dgi.reshape(op.x2.shape[0], -1)
    need = op.needs_grad
    dx = (d2 @ op.w_ih).reshape(op.inputs[0].shape) if need[0] else None
    return dx, (d2.T @ op.x2 if need[-4] else None)


def _gate_major(xp, gi, bias, blocks, tag):
    """GI (T, N, K·H) + bias (K·H,) → contiguous (T, K, N, H) in scratch, in one pass."""
    T, N, G = gi.shape
    H = G // blocks
    out = scratch(xp, tag, (T, blocks, N, H), gi.dtype)
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
    """dW_hh = Σ_t dA_tᵀ·h_{t-1} (one GEMM over the (T-1)·N rows whose h_{t-1} is in
    ``hs``, plus h0's step) and db_hh = Σ_t Σ_n dA_t."""
    T, N, G = da.shape
    first, rest, prev = (T - 1, slice(0, T - 1), slice(1, T)) if reverse else (0, slice(1, T),
                                                                             slice(0, T - 1))
    dw = da[rest].reshape(-1, G).T @ hs[prev].reshape(-1, hs.shape[-1])
    dw += da[first].T @ h0
    return dw, da.reshape(-1, G).sum(axis=0)


class _ScanKernel(Kernel):
    """Applies to a non-empty sequence of floats of one dtype whose shapes fit (else the
    reference runs, and names the misfit)."""

    blocks = 1

    def applies(self, x, *arrays, **params):
        *states, w_ih, w_hh, _, _ = arrays
        if x.ndim != 3 or not len(x) or w_hh.ndim != 2 or x.dtype.kind != "f":
            return False
        T, N, I = x.shape
        G, H = self.blocks * w_hh.shape[1], w_hh.shape[1]
        want = [(N, H)] * len(states) + [(G, I), (G, H), (G,), (G,)]
        return [a.shape for a in arrays] == want and all(a.dtype == x.dtype for a in arrays)


# -- RNN ----------------------------------------------------------------------------------
class RNNScanFused(_ScanKernel):
    """h_t = act(GI_t + h_{t-1}·W_hhᵀ) with GI = X·W_ihᵀ + b_ih + b_hh, each step written in place."""

    primitive = "RNNScan"
    name = "rnn_scan_fused"
    summary = "Elman scan: biases summed into the projection, steps in place, dW_hh in one GEMM"

    def forward(self, op, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse):
        xp = namespace(x)
        gi = _project(op, xp, x, w_ih, b_ih + b_hh, "rnn_scan.gi")
        hs = xp.empty_like(gi)
        w_t, h = xp.ascontiguousarray(w_hh.T), h0
        for t in _steps(len(gi), reverse):
            h = xp.matmul(h, w_t, out=hs[t])
            h += gi[t]
            xp.tanh(h, out=h) if nonlinearity == "tanh" else xp.maximum(h, 0, out=h)
        op.h0, op.w_ih, op.w_hh, op.hs = h0, w_ih, w_hh, hs
        return hs

    def backward(self, op, g):
        xp = namespace(g)
        hs, reverse = op.hs, op.params["reverse"]
        da, buf = scratch(xp, "rnn_scan.da", hs.shape, hs.dtype), xp.empty_like(hs[0])
        dh = xp.zeros_like(hs[0])
        for t in _steps(len(hs), not reverse):
            dh += g[t]
            if op.params["nonlinearity"] == "tanh":
                _tanh_grad(xp, hs[t], buf)
            else:
                xp.greater(hs[t], 0, out=buf)
            xp.multiply(dh, buf, out=da[t])
            xp.matmul(da[t], op.w_hh, out=dh)
        dw_hh, db = _weight_grads(xp, da, op.h0, hs, reverse)
        dx, dw_ih = _projection_grads(op, da)
        return dx, dh, dw_ih, dw_hh, db, db


# -- GRU ----------------------------------------------------------------------------------
class GRUScanFused(_ScanKernel):
    """GRU gates gate-major, (T, 3, N, H) r, z, n: every elementwise op of the loop runs on
    a contiguous (N, H) block. b_hn stays inside r ⊙ (h·W_hnᵀ + b_hn); the other biases are
    folded into the pass that lays GI out."""

    primitive = "GRUScan"
    name = "gru_scan_fused"
    summary = "GRU scan on gate-major (3, N, H) blocks, in-place gate maths, dW_hh in one GEMM"
    blocks = 3

    def forward(self, op, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = namespace(x)
        T, N, _ = x.shape
        H = h0.shape[-1]
        fold = b_ih + xp.concatenate([b_hh[: 2 * H], xp.zeros(H, b_hh.dtype)])
        gik = _gate_major(xp, _project(op, xp, x, w_ih, None, "gru_scan.gi"), fold, 3, "gru_scan.gik")
        wk = _blocks_t(xp, w_hh, 3)
        hs = xp.empty((T, N, H), x.dtype)
        gates, ghn = owned_buffer(op, xp, gik.shape, x.dtype), owned_buffer(op, xp, hs.shape, x.dtype)
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
        op.h0, op.w_ih, op.w_hh, op.hs, op.gates, op.ghn = h0, w_ih, w_hh, hs, gates, ghn
        return hs

    def backward(self, op, g):
        xp = namespace(g)
        hs, gates, reverse = op.hs, op.gates, op.params["reverse"]
        T, N, H = hs.shape
        dgi = scratch(xp, "gru_scan.dgi", (T, N, 3 * H), hs.dtype)
        dgh = scratch(xp, "gru_scan.dgh", (T, N, 3 * H), hs.dtype)
        d, a, b = xp.empty_like(gates[0]), xp.empty_like(hs[0]), xp.empty_like(hs[0])
        dh = xp.zeros_like(hs[0])
        for t in _steps(T, not reverse):
            dh += g[t]
            r, z, n = gates[t]
            _tanh_grad(xp, n, b)
            xp.subtract(1, z, out=a)
            a *= dh
            xp.multiply(a, b, out=d[2])  # dA_n = dh·(1-z)·(1-n²)
            _dsigmoid(xp, r, d[2], op.ghn[t], d[0], a)  # dA_r
            xp.subtract(_prev(hs, op.h0, t, reverse), n, out=b)
            _dsigmoid(xp, z, dh, b, d[1], a)  # dA_z = dh·(h_{t-1} - n)·z(1-z)
            _to_rows(xp, dgi[t], d)
            d[2] *= r
            _to_rows(xp, dgh[t], d)
            dh *= z
            dh += xp.matmul(dgh[t], op.w_hh, out=a)
        dw_hh, db_hh = _weight_grads(xp, dgh, op.h0, hs, reverse)
        dx, dw_ih = _projection_grads(op, dgi)
        return dx, dh, dw_ih, dw_hh, dgi.reshape(-1, 3 * H).sum(axis=0), db_hh


# -- LSTM ---------------------------------------------------------------------------------
def _lstm_layout(xp, a):
    """Rows of PyTorch's LSTM blocks (i, f, g, o) → the loop's order o, i, f, g, with the
    σ blocks (o, i, f) halved. ``a`` is small: a weight matrix or a bias."""
    H = a.shape[0] // 4
    i, f, g, o = a[:H], a[H : 2 * H], a[2 * H : 3 * H], a[3 * H :]
    return xp.concatenate([o * 0.5, i * 0.5, f * 0.5, g])


class LSTMScanFused(_ScanKernel):
    """Per step, gate-major (4, N, H) blocks o, i, f, g in one reused buffer: one stacked
    GEMM ``h·W_kᵀ``, one add, ONE ``tanh`` over all four blocks, then ``σ = ½ + ½·tanh`` on
    the first three (their pre-activations were halved in the laid-out weights).

    With grad mode on, forward also stores, per step, (6, N, H): the four gate factors
    ``M = [tanh c·σ'_o, g·σ'_i, c_{t-1}·σ'_f, i·tanh'_g]`` (derivatives with respect to
    the unscaled pre-activations), ``o·(1 - tanh²c)`` and ``f``."""

    primitive = "LSTMScan"
    name = "lstm_scan_fused"
    summary = ("LSTM scan in its own gate layout (o, i, f, g; σ blocks halved in the laid-out weights): "
               "one tanh per step, products saved for a 3-multiply backward step, dW_hh in one GEMM")
    blocks = 4

    def forward(self, op, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = namespace(x)
        T, N, _ = x.shape
        H = h0.shape[-1]
        gp = _project(op, xp, x, _lstm_layout(xp, w_ih), _lstm_layout(xp, b_ih + b_hh), "lstm_scan.gi")
        gv = gp.reshape(T, N, 4, H).transpose(0, 2, 1, 3)  # (T, 4, N, H) view
        wk = xp.ascontiguousarray(_lstm_layout(xp, w_hh).reshape(4, H, H).transpose(0, 2, 1))
        out, a = xp.empty((T + 1, N, H), x.dtype), xp.empty((4, N, H), x.dtype)
        tc, ig, cells = xp.empty_like(h0), xp.empty_like(h0), xp.empty((2, N, H), x.dtype)
        save = state.grad_enabled  # backward is only ever called on a graph recorded in grad mode
        saved = owned_buffer(op, xp, (T, 6, N, H), x.dtype) if save else None
        h, c = h0, c0
        for step, t in enumerate(_steps(T, reverse)):
            xp.matmul(h, wk, out=a)
            a += gv[t]
            xp.tanh(a, out=a)  # tanh of every block: σ blocks still need ½ + ½·(·)
            if save:
                m = saved[t]
                _tanh_grad(xp, a, m[:4])
                m[:3] *= 0.25  # dσ/dx = ½·(1 - tanh²(x/2))·½ for the unscaled pre-activation x
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
        op.saved, op.hs, op.h0, op.w_ih, op.w_hh = saved, out[:T], h0, w_ih, w_hh
        return out

    def backward(self, op, g):
        xp = namespace(g)
        saved, reverse = op.saved, op.params["reverse"]
        T, _, N, H = saved.shape
        dgi = scratch(xp, "lstm_scan.dgi", (T, N, 4 * H), g.dtype)
        tmp, dh, dc = xp.empty((N, H), g.dtype), xp.zeros((N, H), g.dtype), g[T].copy()
        for t in _steps(T, not reverse):
            dh += g[t]
            m = saved[t]
            dc += xp.multiply(dh, m[4], out=tmp)  # dc += dh·o·(1 - tanh²c)
            blocks = dgi[t].reshape(N, 4, H).transpose(1, 0, 2)  # PyTorch's i, f, g, o, written in place
            xp.multiply(dh, m[0], out=blocks[3])
            xp.multiply(dc, m[1:4], out=blocks[:3])
            dc *= m[5]
            xp.matmul(dgi[t], op.w_hh, out=dh)
        dw_hh, db = _weight_grads(xp, dgi, op.h0, op.hs, reverse)
        dx, dw_ih = _projection_grads(op, dgi)
        return dx, dh, dc, dw_ih, dw_hh, db, db


register(RNNScanFused())
register(GRUScanFused())
register(LSTMScanFused())
