"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from glassnet.optim._optimizer import (
    Optimizer,
    average_,
    average_square_,
    check_nonnegative,
    group_direction,
    refuse_torch_only,
    zeros_state,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop``.

    Each step, with smoothing constant ``α = alpha``::

        d ← ±g + wd·p                       (−g when maximize)
        s ← α·s + (1 − α)·d²
        a ← a + (1 − α)·(d − a)              (centered: running mean of d)
        r ← √(s − a²) + eps   (centered)   or   r ← √s + eps
        b ← μ·b + d / r,  p ← p − lr·b        (momentum μ > 0)
        p ← p − lr·d / r                      (μ = 0)

    State per parameter: ``step``, ``square_avg`` (s), ``grad_avg`` (a, when centered),
    ``momentum_buffer`` (b, when μ > 0).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False, differentiable=False):
        refuse_torch_only("RMSprop", capturable, differentiable, foreach)
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "alpha", "eps", "weight_decay", "momentum")

    def _init_state(self, state, xp, x, group):
        state["step"] = 0
        state["square_avg"] = xp.zeros_like(x)
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(x)
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(x)

    def _update_group(self, group):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        momentum = group["momentum"]
        for x, g, xp, state in self._stepped(group):
            d = group_direction(xp, x, g, group)
            square_avg = state["square_avg"]
            tmp = xp.empty_like(x)
            average_square_(xp, square_avg, d, alpha, tmp)  # s ← α·s + (1 − α)·d²
            if group["centered"]:
                grad_avg = zeros_state(state, "grad_avg", xp, x)
                average_(xp, grad_avg, d, alpha, tmp)  # a ← a + (1 − α)·(d − a)
                xp.multiply(grad_avg, grad_avg, out=tmp)
                xp.subtract(square_avg, tmp, out=tmp)
                xp.sqrt(tmp, out=tmp)
            else:
                xp.sqrt(square_avg, out=tmp)
            tmp += eps
            xp.divide(d, tmp, out=tmp)
            if momentum > 0:
                buf = zeros_state(state, "momentum_buffer", xp, x)
                buf *= momentum
                buf += tmp
                xp.multiply(buf, lr, out=tmp)
            else:
                tmp *= lr
            x -= tmp
