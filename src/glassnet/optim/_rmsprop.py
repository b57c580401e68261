"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from glassnet._backend import namespace
from glassnet.optim._optimizer import Optimizer, check_nonnegative, directed_grad

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
                 centered=False, maximize=False):
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group):
        for key in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            check_nonnegative(self, group, key)

    def _update_group(self, group):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            x = p.data
            xp = namespace(x)
            state = self.state[p]
            if not state:
                _init_state(state, xp, x, momentum, centered)
            state["step"] += 1
            d, _ = directed_grad(xp, x, p.grad.data, weight_decay, maximize)
            square_avg = state["square_avg"]
            tmp = xp.multiply(d, d, out=xp.empty_like(x))
            tmp *= 1 - alpha
            square_avg *= alpha
            square_avg += tmp
            if centered:
                grad_avg = _buffer(state, "grad_avg", xp, x)
                xp.subtract(d, grad_avg, out=tmp)
                tmp *= 1 - alpha
                grad_avg += tmp
                xp.multiply(grad_avg, grad_avg, out=tmp)
                xp.subtract(square_avg, tmp, out=tmp)
                xp.sqrt(tmp, out=tmp)
            else:
                xp.sqrt(square_avg, out=tmp)
            tmp += eps
            xp.divide(d, tmp, out=tmp)
            if momentum > 0:
                buf = _buffer(state, "momentum_buffer", xp, x)
                buf *= momentum
                buf += tmp
                xp.multiply(buf, lr, out=tmp)
            else:
                tmp *= lr
            x -= tmp


def _init_state(state, xp, x, momentum, centered):
    state["step"] = 0
    state["square_avg"] = xp.zeros_like(x)
    if momentum > 0:
        state["momentum_buffer"] = xp.zeros_like(x)
    if centered:
        state["grad_avg"] = xp.zeros_like(x)


def _buffer(state, key, xp, x):
    """``state[key]``, made as zeros if the option was turned on after the first step."""
    buf = state.get(key)
    if buf is None:
        buf = state[key] = xp.zeros_like(x)
    return buf
