"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.optim._optimizer import (
    Optimizer,
    check_nonnegative,
    directed_grad,
    refuse_torch_only,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    Each step, with decay ``ρ = rho``::

        d ← ±g + wd·p                           (−g when maximize)
        s ← ρ·s + (1 − ρ)·d²                    (running average of squared gradients)
        Δ ← √(u + eps) / √(s + eps) · d         (u: running average of squared updates)
        u ← ρ·u + (1 − ρ)·Δ²
        p ← p − lr·Δ

    The units of Δ are those of p, so ``lr = 1`` (the default) is the method as published.
    State per parameter: ``step``, ``square_avg`` (s), ``acc_delta`` (u).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        refuse_torch_only("Adadelta", capturable, differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group):
        for key in ("lr", "eps", "weight_decay"):
            check_nonnegative(self, group, key)
        if not 0 <= group["rho"] <= 1:
            raise GlassnetValueError(f"Adadelta: rho must be in [0, 1], got {group['rho']}")

    def _update_group(self, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            x = p.data
            xp = namespace(x)
            state = self.state[p]
            if not state:
                state.update(step=0, square_avg=xp.zeros_like(x), acc_delta=xp.zeros_like(x))
            state["step"] += 1
            d, _ = directed_grad(xp, x, p.grad.data, weight_decay, maximize)
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            tmp = xp.multiply(d, d, out=xp.empty_like(x))  # s ← ρ·s + (1 − ρ)·d²
            tmp *= 1 - rho
            square_avg *= rho
            square_avg += tmp
            std = xp.sqrt(square_avg + eps)
            delta = xp.sqrt(acc_delta + eps)  # Δ ← √(u + eps) / √(s + eps) · d
            delta /= std
            delta *= d
            xp.multiply(delta, delta, out=tmp)  # u ← ρ·u + (1 − ρ)·Δ²
            tmp *= 1 - rho
            acc_delta *= rho
            acc_delta += tmp
            delta *= lr
            x -= delta
