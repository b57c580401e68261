"""The fused loss primitives: softmax + cross-entropy, and binary cross-entropy on
probabilities and on logits.

Composing log_softmax and a weighted sum would work, but the fused backward is both
simpler and faster: with coefficients ``a`` (one-hot or probability targets, after label
smoothing, class weights and ignored rows), ``L_i = -Σ_c a_ic · log p_ic`` and
``dL_i/dz_i = p_i · Σ_c a_ic - a_i`` — for plain one-hot targets, ``dZ = Ŷ − Y``.
The binary losses are primitives because their gradients are not the derivatives of a
composition: PyTorch clamps the logs at -100 but not the gradient, and on logits the
gradient ``σ(z) − y`` is smooth where the stable formula's pieces (|z|, max) have kinks.
"""

from glassnet._backend import namespace
from glassnet.autograd._function import Function
from glassnet.ops._activation import sigmoid, softmax
from glassnet.ops._elementwise import _quiet, add, constant, div, log, maximum, mul, neg, sub
from glassnet.ops._math import log1p, softplus

__all__ = ["SoftmaxCrossEntropy", "SoftmaxCrossEntropyIndex", "BinaryCrossEntropy",
           "BinaryCrossEntropyWithLogits"]


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

    def differentiable_backward(self, g, out):
        z, coef = self.inputs
        p = softmax(z, 1)  # as a node: dz depends on z through Ŷ
        dz = sub(mul(p, constant(self.coef.sum(axis=1, keepdims=True))), coef)
        return mul(dz, g.reshape(-1, 1)), None


class SoftmaxCrossEntropyIndex(Function):
    """The common case on its own path: integer labels ``y`` (N,), no class weights, no
    label smoothing, no ignored rows, reduced in the same op. No one-hot matrix is
    built: ``L_i = logsumexp(z_i) - z_i[y_i]`` and ``dz = Ŷ`` with 1 subtracted at each
    label, scaled by the reduction."""

    formula = "L = mean_i (log Σ_c exp(z_ic) - z_i,y_i)"
    grad_formulas = ("dz = (Ŷ - Y) / N   (Y one-hot at the labels)",)

    def forward(self, z, labels, reduction):
        xp = namespace(z)
        shifted = z - z.max(axis=1, keepdims=True) if z.size else z  # (0, 0): no rows, no classes
        exp = xp.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        self.p = exp / total
        self.rows = xp.arange(z.shape[0])
        losses = xp.log(total[:, 0]) - shifted[self.rows, labels]
        if reduction == "mean":  # sum / N: what ndarray.mean computes, without its wrapper
            n = losses.shape[0]
            return xp.asarray(losses.sum() / n if n else xp.nan, dtype=losses.dtype)  # 0 rows: NaN, quietly
        if reduction == "sum":
            return xp.asarray(losses.sum())
        return losses

    def backward(self, g):
        dz = self.p.copy()
        dz[self.rows, self.params["labels"]] -= 1
        reduction = self.params["reduction"]
        if reduction == "mean":
            dz *= g / max(dz.shape[0], 1)  # no rows: dz is empty
        elif reduction == "sum":
            dz *= g
        else:
            dz *= g[:, None]
        return dz

    def differentiable_backward(self, g, out):
        (z,) = self.inputs
        xp = namespace(z.array)
        one_hot = xp.zeros(z.shape, dtype=z.dtype)
        one_hot[self.rows, self.params["labels"]] = 1
        dz = sub(softmax(z, 1), constant(one_hot))
        reduction = self.params["reduction"]
        if reduction == "mean":
            return mul(dz, div(g, max(z.shape[0], 1)))
        return mul(dz, g if reduction == "sum" else g.reshape(-1, 1))


class BinaryCrossEntropy(Function):
    """Probabilities ``p`` and targets ``y`` (same shape) → elementwise losses.

    As PyTorch: each log is clamped at -100 (so ``p = 0`` with ``y = 1`` costs 100, not
    inf), and the gradient divides by ``p(1-p)`` clamped at 1e-12 (±1e12 at p = 0 or 1).
    """

    formula = "L = -(y · max(log p, -100) + (1 - y) · max(log(1 - p), -100))"
    grad_formulas = ("dp = dL · (p - y) / max(p (1 - p), 1e-12)",
                     "dy = dL · (log(1 - p) - log p)")

    def forward(self, p, y):
        xp = namespace(p)
        self.p, self.y = p, y
        with _quiet(xp):
            log_p = xp.maximum(xp.log(p), -100)
            log_q = xp.maximum(xp.log1p(-p), -100)
        return (y - 1) * log_q - y * log_p

    def backward(self, g):
        xp = namespace(g)
        p, y = self.p, self.y
        dp = dy = None
        if self.needs_grad[0]:
            dp = g * (p - y) / xp.maximum((1 - p) * p, p.dtype.type(1e-12))
        if self.needs_grad[1]:
            with _quiet(xp):
                dy = g * (xp.log1p(-p) - xp.log(p))
        return dp, dy

    def differentiable_backward(self, g, out):
        p, y = self.inputs
        dp = dy = None
        with _quiet(namespace(p.array)):
            if self.needs_grad[0]:
                floor = constant(namespace(p.array).asarray(1e-12, dtype=p.dtype))
                dp = div(mul(g, sub(p, y)), maximum(mul(sub(1.0, p), p), floor))
            if self.needs_grad[1]:
                dy = mul(g, sub(log1p(neg(p)), log(p)))
        return dp, dy


class BinaryCrossEntropyWithLogits(Function):
    """Logits ``z`` and targets ``y`` (same shape) → elementwise losses, with an optional
    constant ``pos_weight`` w (broadcasting, e.g. one per class). Stable for any z:
    ``softplus(-z) = max(-z, 0) + log1p(e^-|z|)`` keeps small losses (9.4e-14 at z = 30,
    y = 1 in float32, where ``log(1 + e^-z)`` rounds to 0)."""

    formula = "L = (1 - y) · z + (1 + (w - 1) · y) · softplus(-z)"
    grad_formulas = ("dz = dL · ((1 + (w - 1) · y) · σ(z) - w · y)   (w = 1: σ(z) - y)",
                     "dy = dL · (-z + (w - 1) · softplus(-z))")

    def forward(self, z, y, pos_weight):
        xp = namespace(z)
        self.z, self.y = z, y
        self.e = xp.exp(-xp.abs(z))  # e^-|z| in (0, 1]: σ(z) without overflow
        self.softplus = xp.maximum(-z, 0) + xp.log1p(self.e)
        if pos_weight is None:
            return (1 - y) * z + self.softplus
        return (1 - y) * z + (1 + (pos_weight - 1) * y) * self.softplus

    def backward(self, g):
        xp = namespace(g)
        z, y, w = self.z, self.y, self.params["pos_weight"]
        dz = dy = None
        if self.needs_grad[0]:
            sigma = xp.where(z >= 0, 1, self.e) / (1 + self.e)
            dz = g * (sigma - y if w is None else (1 + (w - 1) * y) * sigma - w * y)
        if self.needs_grad[1]:
            dy = g * (-z if w is None else -z + (w - 1) * self.softplus)
        return dz, dy

    def differentiable_backward(self, g, out):
        z, y = self.inputs
        w = self.params["pos_weight"]
        dz = dy = None
        if self.needs_grad[0]:
            sigma = sigmoid(z)
            dz = mul(g, sub(sigma, y) if w is None else sub(mul(add(mul(y, w - 1), 1.0), sigma), mul(y, w)))
        if self.needs_grad[1]:
            dy = mul(g, neg(z) if w is None else add(neg(z), mul(softplus(neg(z)), w - 1)))
        return dz, dy
