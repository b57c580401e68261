"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from glassnet._errors import GlassnetValueError
from glassnet.optim._optimizer import (
    Optimizer,
    average_square_,
    check_nonnegative,
    group_direction,
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

    _zero_state = ("square_avg", "acc_delta")

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        if not 0 <= group["rho"] <= 1:
            raise GlassnetValueError(f"Adadelta: rho must be in [0, 1], got {group['rho']}")

    def _update_group(self, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for x, g, xp, state in self._stepped(group):
            d = group_direction(xp, x, g, group)
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            tmp = xp.empty_like(x)
            average_square_(xp, square_avg, d, rho, tmp)  # s ← ρ·s + (1 − ρ)·d²
            std = xp.sqrt(square_avg + eps)
            delta = xp.sqrt(acc_delta + eps)  # Δ ← √(u + eps) / √(s + eps) · d
            delta /= std
            delta *= d
            average_square_(xp, acc_delta, delta, rho, tmp)  # u ← ρ·u + (1 − ρ)·Δ²
            delta *= lr
            x -= delta
