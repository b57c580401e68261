"""The one fused loss primitive: softmax + cross-entropy.

Composing log_softmax and a weighted sum would work, but the fused backward is both
simpler and faster: with coefficients ``a`` (one-hot or probability targets, after label
smoothing, class weights and ignored rows), ``L_i = -Σ_c a_ic · log p_ic`` and
``dL_i/dz_i = p_i · Σ_c a_ic - a_i`` — for plain one-hot targets, ``dZ = Ŷ − Y``.
"""

from glassnet._backend import namespace
from glassnet.autograd._function import Function

__all__ = ["SoftmaxCrossEntropy", "SoftmaxCrossEntropyIndex"]


class SoftmaxCrossEntropy(Function):
    """Logits ``z`` (N, C) and target coefficients ``a`` (N, C) → per-row losses (N,)."""

    formula = "L_i = -Σ_c Y_ic · log softmax(z_i)_c"
    grad_formulas = ("dz = Ŷ · Σ_c Y_c - Y   (= Ŷ - Y for one-hot rows)",)

    def forward(self, z, coef):
        xp = namespace(z)
        shifted = z - z.max(axis=1, keepdims=True)
        exp = xp.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        log_p = shifted - xp.log(total)
        self.p = exp / total
        self.coef = coef
        return -(coef * log_p).sum(axis=1)

    def backward(self, g):
        coef = self.coef
        dz = self.p * coef.sum(axis=1, keepdims=True) - coef
        return dz * g[:, None], None


class SoftmaxCrossEntropyIndex(Function):
    """The common case on its own path: integer labels ``y`` (N,), no class weights, no
    label smoothing, no ignored rows, reduced in the same op. No one-hot matrix is
    built: ``L_i = logsumexp(z_i) - z_i[y_i]`` and ``dz = Ŷ`` with 1 subtracted at each
    label, scaled by the reduction."""

    formula = "L = mean_i (log Σ_c exp(z_ic) - z_i,y_i)"
    grad_formulas = ("dz = (Ŷ - Y) / N   (Y one-hot at the labels)",)

    def forward(self, z, labels, reduction):
        xp = namespace(z)
        shifted = z - z.max(axis=1, keepdims=True)
        exp = xp.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        self.p = exp / total
        self.rows = xp.arange(z.shape[0])
        losses = xp.log(total[:, 0]) - shifted[self.rows, labels]
        if reduction == "mean":  # sum / N: what ndarray.mean computes, without its wrapper
            n = losses.shape[0]
            return xp.asarray(losses.sum() / n if n else losses.mean())
        if reduction == "sum":
            return xp.asarray(losses.sum())
        return losses

    def backward(self, g):
        dz = self.p.copy()
        dz[self.rows, self.params["labels"]] -= 1
        reduction = self.params["reduction"]
        if reduction == "mean":
            dz *= g / dz.shape[0]
        elif reduction == "sum":
            dz *= g
        else:
            dz *= g[:, None]
        return dz
