"""Batch normalisation as one primitive: per-channel statistics, normalisation and the
affine map in a single forward, and the closed-form gradient in a single backward.

Composed from mean, var, sub, div, mul and add, batch norm made six graph nodes, each a
full pass over the activations with its own temporary, and a backward that retraced
them; in the MNIST-1D CNN step it took over a third of the op time. Fused, it reads
``x`` (N, C, *) as a contiguous (N, C·M) matrix (M = the product of the trailing axes)
so that every per-channel reduction ends in BLAS (``1ₙᵀ·X`` then a sum over each
channel's M columns) and every per-channel broadcast runs along the contiguous rows. It
keeps ``x − μ`` and ``1/σ`` for backward (one activation-sized array) and allocates
one scratch array each way, reused for ``(x − μ)²`` and then the output (forward) and for
``dy·(x − μ)`` and then ``dx`` (backward).

Training: ``μ, σ²`` are the batch mean and biased variance over all axes but 1 (the
variance from the centred values, two passes, for float32 stability);
``x̂ = (x − μ)/√(σ² + ε)``, ``y = γ·x̂ + β``. Backward, with sums over the reduced axes
and ``n = N·M`` values per channel::

    dβ = Σ dy        dγ = Σ dy·x̂
    dx = (γ/σ)·(dy − dβ/n − x̂·dγ/n)

Evaluation (``mean`` and ``var`` given as inputs): ``y = γ·(x − μ)/σ + β``, a fixed
affine map per channel, so ``dx = (γ/σ)·dy``; no gradient flows to the statistics.
"""

import math

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet.autograd._function import Function
from glassnet.ops._norm_backward import normalisation_backward

__all__ = ["BatchNorm", "RunningStats", "batch_norm_op"]


class RunningStats:
    """Where a training-mode :class:`BatchNorm` writes its batch statistics, in place and
    outside the graph (PyTorch's rule): ``r ← (1 − m)·r + m·batch``, the running variance
    taking the unbiased batch variance ``σ²·n/(n − 1)``. Either array may be None."""

    __slots__ = ("mean", "var", "momentum")

    def __init__(self, mean, var, momentum):
        self.mean, self.var, self.momentum = mean, var, float(momentum)

    def update(self, mean, var, count):
        m = self.momentum
        if self.mean is not None:
            self.mean *= 1 - m
            self.mean += (m * mean).astype(self.mean.dtype, copy=False)
        if self.var is not None:
            self.var *= 1 - m
            self.var += (m * count / (count - 1) * var).astype(self.var.dtype, copy=False)

    def __repr__(self):
        return f"RunningStats(momentum={self.momentum})"


def _channel_sum(xp, rows, c):
    """Σ over the rows (one GEMV, BLAS reads ``rows`` once) and then each channel's M
    columns of ``rows`` (N, C·M) → (C,). The second sum is over only C·M numbers: a plain
    sum (a tiny GEMV there once raised a spurious floating-point 'invalid' flag in OpenBLAS
    on finite data, which NumPy turned into a RuntimeWarning)."""
    n, cm = rows.shape
    per_column = xp.ones(n, dtype=rows.dtype) @ rows  # (C·M,)
    if cm == c:
        return per_column
    return per_column.reshape(c, cm // c).sum(axis=1)


class BatchNorm(Function):
    """Per-channel normalisation of x (N, C, *) → y, same shape; γ, β, μ, σ² are (C,).

    Inputs are ``x`` then the ones named in ``parts`` (a tuple from "mean", "var",
    "weight", "bias" in that order): with "mean" and "var" it is evaluation mode, without
    them training mode, which hands its batch statistics to ``running`` (a
    :class:`RunningStats`, or None)."""

    formula = "y = γ·(x − μ)/√(σ² + ε) + β, μ and σ² per channel over all axes but 1"
    grad_formulas = (
        "dx = (γ/σ)·(dy − mean(dy) − x̂·mean(dy·x̂))  (training; (γ/σ)·dy in eval)",
        "dγ = Σ dy·x̂",
        "dβ = Σ dy",
    )

    def forward(self, x, *rest, eps, parts, running=None):
        xp = namespace(x)
        named = dict(zip(parts, rest, strict=True))
        n, c = x.shape[0], x.shape[1]
        self.c, self.m, self.shape = c, math.prod(x.shape[2:]), x.shape
        rows = xp.ascontiguousarray(x).reshape(n, c * self.m)  # (N, C·M)
        if "mean" in named:
            mean, var = named["mean"].astype(x.dtype, copy=False), named["var"]
        else:
            mean = _channel_sum(xp, rows, c) / (n * self.m)
        centred = rows - self._row(xp, mean)  # kept for backward: x̂ = (x − μ)·(1/σ)
        out = None  # (N, C·M) scratch for (x − μ)², then the output
        if "mean" not in named:
            out = xp.multiply(centred, centred)
            var = _channel_sum(xp, out, c) / (n * self.m)
            if running is not None:
                running.update(mean, var, n * self.m)
        self.inv_std = (1 / xp.sqrt(var.astype(x.dtype, copy=False) + eps)).astype(x.dtype, copy=False)
        weight = named.get("weight")
        self.scale = self.inv_std if weight is None else weight * self.inv_std  # γ/σ
        self.centred = centred
        out = xp.multiply(centred, self._row(xp, self.scale), out=out)
        if "bias" in named:
            out += self._row(xp, named["bias"])
        return out.reshape(x.shape)

    def _row(self, xp, per_channel):
        """A (C,) vector laid out along one (C·M) row of the (N, C·M) view."""
        return per_channel if self.m == 1 else xp.repeat(per_channel, self.m)

    def backward(self, g):
        xp = namespace(g)
        parts, centred, c = self.params["parts"], self.centred, self.c
        dy = xp.ascontiguousarray(g).reshape(centred.shape)
        training = "mean" not in parts  # then μ and σ² depend on x too
        d_bias = _channel_sum(xp, dy, c) if "bias" in parts or training else None
        scratch = dy * centred if "weight" in parts or training else None
        d_weight = None if scratch is None else _channel_sum(xp, scratch, c) * self.inv_std  # Σ dy·x̂
        if training:  # dx = (γ/σ)·(dy − dβ/n − x̂·dγ/n), built in the scratch array
            count = dy.shape[0] * self.m
            dx = xp.multiply(centred, self._row(xp, self.inv_std * d_weight / count), out=scratch)
            dx += self._row(xp, d_bias / count)
            xp.subtract(dy, dx, out=dx)
            dx *= self._row(xp, self.scale)
        else:
            dx = dy * self._row(xp, self.scale)
        grads = {"weight": d_weight, "bias": d_bias}
        return (dx.reshape(self.shape), *(grads.get(p) for p in parts))

    def differentiable_backward(self, g, out):
        """The same closed form with Tensor ops (:mod:`glassnet.ops._norm_backward`), on
        x viewed as (N, C, M)."""
        parts = self.params["parts"]
        x = self.inputs[0]
        named = dict(zip(parts, self.inputs[1:], strict=True))
        n, c = x.shape[0], x.shape[1]
        per_channel = (1, c, 1)
        stats = None
        if "mean" in named:
            stats = tuple(named[k].array.astype(x.dtype, copy=False).reshape(per_channel)
                          for k in ("mean", "var"))
        weight = named["weight"].reshape(per_channel) if "weight" in named else None
        g3 = g.reshape(n, c, -1)
        eps = self.params["eps"]
        dx, dy_x_hat = normalisation_backward(x.reshape(n, c, -1), g3, weight, (0, 2), eps, stats)
        grads = {"weight": dy_x_hat.sum((0, 2)), "bias": g3.sum((0, 2))}
        return (dx.reshape(x.shape), *(grads.get(p) for p in parts))

    def shape_error(self, inputs, exc):
        shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
        return ShapeError(f"batch_norm: inputs {shapes} rejected (x is (N, C, *), the rest (C,)): {exc}")


def batch_norm_op(x, mean=None, var=None, weight=None, bias=None, eps=1e-5, running=None):
    """Apply :class:`BatchNorm`; ``mean`` and ``var`` both given means evaluation mode."""
    named = {"mean": mean, "var": var, "weight": weight, "bias": bias}
    parts = tuple(k for k, v in named.items() if v is not None)
    return BatchNorm.apply(x, *(named[p] for p in parts), eps=eps, parts=parts, running=running)
