"""The one fused loss primitive: softmax + cross-entropy.

Composing log_softmax and a weighted sum would work, but the fused backward is both
simpler and faster: with coefficients ``a`` (one-hot or probability targets, after label
smoothing, class weights and ignored rows), ``L_i = -Σ_c a_ic · log p_ic`` and
``dL_i/dz_i = p_i · Σ_c a_ic - a_i`` — for plain one-hot targets, ``dZ = Ŷ − Y``.
"""

from glassnet._backend import namespace
from glassnet.autograd._function import Function

__all__ = ["SoftmaxCrossEntropy"]


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
