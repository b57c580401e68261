"""Connectionist temporal classification (CTC): ``−log p(target | input)`` by the forward
(alpha) recursion in log space, its gradient by the alpha-beta recursion.

Shapes: log-probabilities ``lp`` (T, N, C); the targets padded to ``labels`` (N, S), of
lengths ``S_n`` (N,); the inputs' lengths ``T_n`` (N,), each at most T.

The extended label sequence of sample n puts the blank b around every label:
``l' = (b, l_1, b, l_2, …, b, l_{S_n}, b)``, of length ``L_n = 2·S_n + 1`` (padded to
L = 2·S + 1). A path steps from s to s, to s + 1, or to s + 2 over a blank when
``skip(s + 2)``: l'_{s+2} is a label unlike l'_s (a repeated label needs a blank between).

Forward — α_t(s), the log-probability of the path prefixes that are at s at time t:

    α_0(0) = lp_0(b),  α_0(1) = lp_0(l'_1),  α_0(s) = −∞ for s ≥ 2
    α_t(s) = lp_t(l'_s) + logsumexp(α_{t−1}(s), α_{t−1}(s−1), [skip(s)] α_{t−1}(s−2))
    log p = logsumexp(α_{T_n−1}(L_n−1), α_{T_n−1}(L_n−2)),   loss_n = −log p

(T_n = 0: log p = 0 for an empty target, −∞ otherwise.) Backward — β_t(s), the
log-probability of the path suffixes emitted after t, starting from s at t:

    β_{T_n−1}(s) = 0 for s ∈ {L_n−1, L_n−2}, −∞ otherwise
    β_t(s) = logsumexp_{s' ∈ {s, s+1, [skip(s+2)] s+2}} (lp_{t+1}(l'_{s'}) + β_{t+1}(s'))

Gradient — the occupancy γ_t(c), the posterior probability of emitting c at time t:

    γ_t(c) = Σ_{s: l'_s = c} exp(α_t(s) + β_t(s) − log p),   ∂loss_n/∂lp_t(c) = −γ_t(c)

for t < T_n, and 0 for t ≥ T_n. An impossible alignment (log p = −∞) has an infinite loss
and NaN gradients at t < T_n, unless ``zero_infinity`` zeroes both. (PyTorch's backward
returns ``exp(lp) − γ``, the gradient of the logits under a log_softmax; through the
log_softmax that CTC's inputs come from, both give the logits the same gradient.)
"""

import numpy as np

from glassnet._backend import namespace
from glassnet.autograd._function import Function
from glassnet.ops._elementwise import _quiet, constant, where
from glassnet.ops._reduce import logsumexp
from glassnet.ops._shape import cat, stack

__all__ = ["CtcLoss"]


def _logsumexp3(a, b, c, xp):
    """Elementwise log(e^a + e^b + e^c), −∞ where all three are −∞."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(m == -np.inf, 0, m)
    with _quiet(xp):
        return m + xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m))


def _shift(x, k, fill):
    """``x`` moved k places along the last axis (k > 0: right, k < 0: left), ``fill`` let in."""
    out = namespace(x).full_like(x, fill)
    if k > 0:
        out[..., k:] = x[..., :-k]
    else:
        out[..., :k] = x[..., -k:]
    return out


def _extended(labels, target_lengths, blank):
    """Host arrays (N, L): the extended labels l', where they lie within L_n, and skip(s)."""
    ext = np.full((labels.shape[0], 2 * labels.shape[1] + 1), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    positions = np.arange(ext.shape[1])
    valid = positions[None, :] < 2 * target_lengths[:, None] + 1
    skip = (positions % 2 == 1) & (ext != _shift(ext, 2, blank))
    return ext, valid, skip


class CtcLoss(Function):
    """Log-probabilities (T, N, C) → the per-sample CTC losses (N,) (see the module's
    docstring for the recursions). ``labels`` (N, S), ``input_lengths`` and
    ``target_lengths`` (N,) are host integer arrays, checked by the caller."""

    formula = "loss_n = −log Σ_{paths π → l_n} Π_t lp_t(π_t)   (α recursion over b l_1 b … l_S b)"
    grad_formulas = ("dlp_t(c) = −dL · Σ_{s: l'_s = c} exp(α_t(s) + β_t(s) + loss_n)   (t < T_n)",)

    def forward(self, lp, labels, input_lengths, target_lengths, blank, zero_infinity):
        xp = namespace(lp)
        n_batch = labels.shape[0]
        ext, valid, skip = _extended(labels, target_lengths, blank)
        neg_inf = lp.dtype.type(-np.inf)
        emit = lp[:, xp.asarray(np.arange(n_batch)[:, None]), xp.asarray(ext)]  # (T, N, L): lp_t(l'_s)
        emit = xp.where(xp.asarray(valid), emit, neg_inf)
        skip = xp.asarray(skip)
        alpha = xp.full_like(emit, neg_inf)
        if emit.shape[0]:
            alpha[0, :, :2] = emit[0, :, :2]
        for t in range(1, emit.shape[0]):
            prev = alpha[t - 1]
            hop = xp.where(skip, _shift(prev, 2, neg_inf), neg_inf)
            alpha[t] = emit[t] + _logsumexp3(prev, _shift(prev, 1, neg_inf), hop, xp)
        self.ext, self.skip, self.emit, self.alpha, self.classes = ext, skip, emit, alpha, lp.shape[2]
        self.log_p = self._log_p(alpha, input_lengths, target_lengths, xp)
        loss = -self.log_p
        self.dropped = xp.isinf(loss) if zero_infinity else None
        return xp.where(self.dropped, lp.dtype.type(0), loss) if zero_infinity else loss

    @staticmethod
    def _log_p(alpha, input_lengths, target_lengths, xp):
        """log p per sample: the last two extended positions at t = T_n − 1."""
        rows = xp.arange(alpha.shape[1])
        last = alpha[xp.asarray(np.maximum(input_lengths - 1, 0)), rows]  # (N, L)
        end = xp.asarray(2 * target_lengths)
        blank_end = last[rows, end]
        label_end = xp.where(end > 0, last[rows, xp.maximum(end - 1, 0)], -np.inf)
        log_p = xp.logaddexp(blank_end, label_end.astype(alpha.dtype))
        empty = xp.asarray(input_lengths == 0)  # no input: only the empty target is possible
        return xp.where(empty, xp.where(end == 0, 0, -np.inf), log_p).astype(alpha.dtype)

    def backward(self, g):
        xp = namespace(g)
        steps, n_batch, width = self.emit.shape
        input_lengths, target_lengths = self.params["input_lengths"], self.params["target_lengths"]
        neg_inf = self.emit.dtype.type(-np.inf)
        positions = np.arange(width)
        ends = (positions[None, :] == 2 * target_lengths[:, None]) | (
            (positions[None, :] == 2 * target_lengths[:, None] - 1) & (target_lengths[:, None] > 0))
        beta_end = xp.asarray(np.where(ends, 0.0, -np.inf).astype(self.emit.dtype))
        skip_next = _shift(self.skip, -2, False)  # skip(s + 2)
        beta = xp.full((n_batch, width), neg_inf, dtype=self.emit.dtype)
        occupancy = xp.zeros_like(self.emit)
        for t in range(steps - 1, -1, -1):
            if t < steps - 1:
                nxt = self.emit[t + 1] + beta
                hop = xp.where(skip_next, _shift(nxt, -2, neg_inf), neg_inf)
                beta = _logsumexp3(nxt, _shift(nxt, -1, neg_inf), hop, xp)
            beta = xp.where(xp.asarray(input_lengths == t + 1)[:, None], beta_end, beta)
            live = xp.asarray(t < input_lengths)[:, None]
            with _quiet(xp):
                occupancy[t] = xp.where(live, xp.exp(self.alpha[t] + beta - self.log_p[:, None]), 0)
        if self.dropped is not None:
            occupancy[:, self.dropped] = 0
        one_hot = np.zeros((n_batch, width, self.classes), dtype=self.emit.dtype)
        one_hot[np.arange(n_batch)[:, None], positions[None, :], self.ext] = 1
        dlp = -xp.matmul(occupancy.transpose(1, 0, 2), xp.asarray(one_hot))  # (N, T, C)
        return dlp.transpose(1, 0, 2) * g[None, :, None]

    @staticmethod
    def composed(lp, labels, input_lengths, target_lengths, blank, zero_infinity):
        """The alpha recursion with Tensor ops, for gradients of gradients. −∞ becomes a finite
        floor, so that states no path reaches pass on zero gradients rather than NaN; an
        impossible alignment gets NaN gradients at t < T_n (zero with ``zero_infinity``)."""
        xp = namespace(lp.array)
        steps, n_batch, _ = lp.shape
        ext, valid, skip = _extended(labels, target_lengths, blank)
        rows, ext = xp.asarray(np.arange(n_batch)), xp.asarray(ext)
        floor = constant(xp.asarray(-1e30, dtype=lp.dtype))
        emit = where(constant(xp.asarray(valid)), lp[:, rows[:, None], ext], floor)
        alpha = where(constant(xp.asarray(np.arange(ext.shape[1]) < 2)), emit[0], floor)
        alphas = [alpha]
        width, pad = ext.shape[1], floor.expand(n_batch, 2)
        for t in range(1, steps):
            hop = where(constant(xp.asarray(skip)), cat([pad, alpha], 1)[:, :width], floor)
            alpha = emit[t] + logsumexp(stack([alpha, cat([pad[:, :1], alpha], 1)[:, :width], hop]), dim=0)
            alphas.append(alpha)
        last = stack(alphas)[xp.asarray(np.maximum(input_lengths - 1, 0)), rows]  # (N, L) at t = T_n − 1
        ends = xp.asarray(2 * target_lengths)
        label_end = where(constant(ends > 0), last[rows, xp.maximum(ends - 1, 0)], floor)
        loss = -logsumexp(stack([last[rows, ends], label_end]), dim=0)
        zero = constant(xp.zeros((), dtype=lp.dtype))
        loss = where(constant(xp.asarray(input_lengths == 0)), zero, loss)  # no steps: nothing to emit
        exact = CtcLoss().forward(lp.array, labels, input_lengths, target_lengths, blank, False)
        lost = constant(xp.isinf(exact))
        if zero_infinity:
            return where(lost, zero, loss)
        live = constant(xp.asarray(np.arange(steps)[:, None] < input_lengths[None, :])[..., None])
        nan = constant(xp.where(lost.array, xp.nan, 0).astype(lp.dtype))  # no path: NaN gradients at t < T_n
        return where(lost, where(live, lp, zero).sum(dim=(0, 2)) * nan, loss)
