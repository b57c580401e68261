"""The normalisations' gradients written with Tensor ops, for ``create_graph=True``.

Layer norm and batch norm are fused primitives whose backward works on arrays. Their
gradients of gradients come from the same closed form recomputed here from Tensors, so
that it records a graph: with the reduced axes ``A`` and ``n`` values per group,

    x̂ = (x − μ)/√(σ² + ε),   dx̂ = γ·dy
    dx = (dx̂ − mean_A(dx̂) − x̂·mean_A(dx̂·x̂))/√(σ² + ε)   (statistics from the batch)
    dx = dx̂/√(σ² + ε)                                       (given statistics: eval mode)
    dγ = Σ dy·x̂,   dβ = Σ dy   (over the axes γ is shared along)
"""

from glassnet.ops._elementwise import add, constant, mul, pow, sub

__all__ = ["normalisation_backward"]


def normalisation_backward(x, g, weight, axes, eps, stats=None):
    """``(dx, dy·x̂)`` as Tensors: dγ and dβ are sums of ``dy·x̂`` and ``dy`` over the axes
    that γ is shared along, which the caller knows.

    Args:
        x, g: the input and its output's gradient, shaped so that ``axes`` are the
            reduced axes of each group.
        weight: γ broadcastable to ``x``, or None.
        axes: the reduced axes (a tuple).
        eps: ε.
        stats: ``(mean, var)`` arrays broadcastable to ``x`` for given statistics, or None
            for statistics of ``x`` itself.
    """
    if stats is None:
        mean = x.mean(axes, keepdim=True)
        centred = sub(x, mean)
        var = mul(centred, centred).mean(axes, keepdim=True)
    else:
        centred, var = sub(x, constant(stats[0])), constant(stats[1])
    inv_std = pow(add(var, eps), -0.5)
    x_hat = mul(centred, inv_std)
    d_x_hat = g if weight is None else mul(g, weight)
    if stats is None:
        spread = mul(x_hat, mul(d_x_hat, x_hat).mean(axes, keepdim=True))
        d_x_hat = sub(sub(d_x_hat, d_x_hat.mean(axes, keepdim=True)), spread)
    dx = mul(d_x_hat, inv_std)
    return dx, mul(g, x_hat)
