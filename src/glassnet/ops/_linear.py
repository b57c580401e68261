"""The dense-layer primitive ``Z = X·Wᵀ + b``.

Composing ``x @ w.T + b`` from matmul, transpose and add gives the same numbers, but the
fused op is faster where it matters most (every Linear layer of every step): the
weight's gradient comes out as one C-contiguous GEMM ``dZᵀ·X`` in the weight's own
layout (the composition yields a transposed view that must be copied before the
optimiser can update in place quickly), the bias is added in place, and one op
replaces three. It also reads like the by-hand formula: ``z = W·x + b`` per sample.
"""

from glassnet._errors import GlassnetTypeError, ShapeError
from glassnet.autograd._function import Function
from glassnet.ops._linalg import matmul

__all__ = ["LinearOp", "linear", "check_dtypes"]

_CONVERSIONS = {"float32": "x.float()", "float64": "x.double()"}


class LinearOp(Function):
    """X (..., in), W (out, in), b (out,) → Z (..., out)."""

    formula = "Z = X·Wᵀ + b   (each row: z = W·x + b)"
    grad_formulas = ("dX = dZ·W", "dW = dZᵀ·X", "db = Σ_rows dZ")

    def forward(self, x, w, b=None):
        self.x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        self.w, self.lead = w, x.shape[:-1]
        if w.shape[1] == 1:  # one input feature: an outer product; BLAS GEMM with K = 1 is slow
            z = self.x2 * w[:, 0]
        else:
            z = self.x2 @ w.T
        if b is not None:
            z += b
        return z if x.ndim == 2 else z.reshape(*self.lead, w.shape[0])

    def backward(self, g):
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        need = self.needs_grad
        dx = None
        if need[0]:
            dx = g2 @ self.w
            dx = dx if g.ndim == 2 else dx.reshape(*self.lead, self.w.shape[1])
        dw = g2.T @ self.x2 if need[1] else None
        if len(need) == 2:
            return dx, dw
        return dx, dw, (g2.sum(axis=0) if need[2] else None)

    def differentiable_backward(self, g, out):
        x, w = self.inputs[0], self.inputs[1]
        g2 = g.reshape(-1, g.shape[-1])
        need = self.needs_grad
        dx = matmul(g, w) if need[0] else None
        dw = matmul(g2.transpose(0, 1), x.reshape(-1, x.shape[-1])) if need[1] else None
        if len(need) == 2:
            return dx, dw
        return dx, dw, (g2.sum(0) if need[2] else None)

    def shape_error(self, inputs, exc):
        x, w = inputs[0], inputs[1]
        return ShapeError(
            f"linear: input {tuple(x.shape)} with weight {tuple(w.shape)} — the input's last "
            f"dimension must equal the weight's in_features ({w.shape[-1]}); Z = X·Wᵀ + b "
            f"needs X (..., {w.shape[-1]})"
        )


def check_dtypes(x, weight, name):
    """Refuse an input whose dtype differs from the weight's, as PyTorch does (a float32
    layer fed float64 would silently compute and return float64; fed int64, it could not
    learn from it)."""
    if x.dtype != weight.dtype:
        fix = _CONVERSIONS.get(str(weight.dtype), f"x.to({str(weight.dtype)!r})")
        if x.dtype.kind == "f":
            fix += f" (or the layer's parameters to {x.dtype})"
        raise GlassnetTypeError(
            f"{name}: input dtype {x.dtype} does not match the weight's dtype {weight.dtype}; "
            f"convert the input with {fix}"
        )


def linear(x, weight, bias=None):
    """``Z = X·Wᵀ + b`` — x (..., in), weight (out, in), bias (out,) → (..., out); x must
    have the weight's dtype."""
    check_dtypes(x, weight, "linear")
    if bias is None:
        return LinearOp.apply(x, weight)
    return LinearOp.apply(x, weight, bias)
