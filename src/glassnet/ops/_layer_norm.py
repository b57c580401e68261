"""Layer normalisation as one primitive: statistics, normalisation and the affine map in
one forward, the closed-form gradient in one backward.

``x`` (…, F) is read as rows of its last ``F`` values (F = the product of the normalised
trailing axes); each row is standardised on its own and then scaled and shifted
elementwise by ``γ, β`` of shape (F,)::

    μ = mean(x),  σ² = mean((x − μ)²)   (per row, biased, from the centred values)
    x̂ = (x − μ)/√(σ² + ε),   y = γ·x̂ + β

Backward, with ``dx̂ = γ·dy`` and means over each row's F values, sums over the rows::

    dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / √(σ² + ε)
    dγ = Σ dy·x̂      dβ = Σ dy

Composed from mean, subtract, multiply, sqrt and divide (as it was) it made seven graph
nodes whose backward retraced them with broadcasts and reductions — about twice the
array passes of this formula; in the GPT training step of ``benchmarks/train_gpt.py``
the five layer norms were the third-largest cost after the GEMMs and GELU. It keeps only
``μ`` and ``1/σ`` per row for backward and recomputes ``x̂`` from the input (which the graph
keeps anyway), as PyTorch's native layer norm does: one pass, and no activation-sized array
held between forward and backward.
"""

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet.autograd._function import Function
from glassnet.ops._norm_backward import normalisation_backward

__all__ = ["LayerNorm", "layer_norm_op"]


class LayerNorm(Function):
    """Rows of the last ``size`` values of x (…) → y (…); γ, β are ``size`` values each.

    Inputs are ``x`` then the ones named in ``parts`` (from "weight", "bias", in that
    order); γ and β may have any shape with ``size`` values (the normalised axes)."""

    formula = "y = γ·(x − μ)/√(σ² + ε) + β, μ and σ² per row of the normalised trailing axes"
    grad_formulas = (
        "dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ, dx̂ = γ·dy",
        "dγ = Σ dy·x̂",
        "dβ = Σ dy",
    )

    def forward(self, x, *rest, size, eps, parts):
        xp = namespace(x)
        named = dict(zip(parts, rest, strict=True))
        rows = x.reshape(-1, size)
        self.mean = rows.mean(axis=1, keepdims=True)
        centred = rows - self.mean
        out = xp.multiply(centred, centred)  # scratch: (x − μ)², then the output
        var = out.mean(axis=1, keepdims=True)
        self.inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        centred *= self.inv_std
        self.shape = x.shape
        if "weight" in named:
            xp.multiply(centred, named["weight"].reshape(size), out=out)
        else:
            out[...] = centred
        if "bias" in named:
            out += named["bias"].reshape(size)
        return out.reshape(x.shape)

    def backward(self, g):
        xp = namespace(g)
        parts, size = self.params["parts"], self.params["size"]
        x_hat = self.inputs[0].array.reshape(-1, size) - self.mean  # recomputed, as forward did
        x_hat *= self.inv_std
        dy = g.reshape(x_hat.shape)
        named = dict(zip(parts, self.inputs[1:], strict=True))
        dy_x_hat = dy * x_hat
        grads = {"bias": dy.sum(axis=0).reshape(named["bias"].shape) if "bias" in named else None,
                 "weight": dy_x_hat.sum(axis=0).reshape(named["weight"].shape) if "weight" in named else None}
        dx = None
        if self.needs_grad[0]:
            if "weight" in named:
                weight = named["weight"].array.reshape(-1)
                d_x_hat = dy * weight
                xp.multiply(d_x_hat, x_hat, out=dy_x_hat)  # now dx̂·x̂
            else:
                d_x_hat = dy.copy()
            mean_d = d_x_hat.mean(axis=1, keepdims=True)
            mean_dx = dy_x_hat.mean(axis=1, keepdims=True)
            d_x_hat -= mean_d
            xp.multiply(x_hat, mean_dx, out=dy_x_hat)
            d_x_hat -= dy_x_hat
            d_x_hat *= self.inv_std
            dx = d_x_hat.reshape(self.shape)
        return (dx, *(grads[p] for p in parts))

    def shape_error(self, inputs, exc):
        shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
        return ShapeError(f"layer_norm: inputs {shapes} rejected (x is (…, *D), γ and β D): {exc}")

    def differentiable_backward(self, g, out):
        """The same closed form with Tensor ops (:mod:`glassnet.ops._norm_backward`)."""
        parts, size = self.params["parts"], self.params["size"]
        x = self.inputs[0]
        named = dict(zip(parts, self.inputs[1:], strict=True))
        weight = named["weight"].reshape(1, size) if "weight" in named else None
        rows = g.reshape(-1, size)
        dx, dy_x_hat = normalisation_backward(x.reshape(-1, size), rows, weight, (1,), self.params["eps"])
        d_weight, d_bias = dy_x_hat.sum(0), rows.sum(0)
        grads = {"weight": d_weight.reshape(named["weight"].shape) if "weight" in named else None,
                 "bias": d_bias.reshape(named["bias"].shape) if "bias" in named else None}
        return (dx.reshape(x.shape), *(grads[p] for p in parts))


def layer_norm_op(x, size, weight=None, bias=None, eps=1e-5):
    """Apply :class:`LayerNorm` over the last ``size`` values of each row of ``x``."""
    named = {"weight": weight, "bias": bias}
    parts = tuple(k for k, v in named.items() if v is not None)
    return LayerNorm.apply(x, *(named[p] for p in parts), size=size, eps=float(eps), parts=parts)
