"""Adamax: Adam with the infinity norm of past gradients in place of their RMS."""

from glassnet.optim._optimizer import (
    Optimizer,
    average_,
    check_betas,
    check_nonnegative,
    group_direction,
    refuse_torch_only,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, section 7), as ``torch.optim.Adamax``.

    Each step ``t`` (counted per parameter from 1), with ``(β1, β2) = betas``::

        d ← ±g + wd·p                       (−g when maximize)
        m ← m + (1 − β1)·(d − m)             (= β1·m + (1 − β1)·d)
        u ← max(β2·u, |d| + eps)             (elementwise: a decaying infinity norm)
        p ← p − lr/(1 − β1ᵗ) · m / u

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        refuse_torch_only("Adamax", capturable, differentiable)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    _zero_state = ("exp_avg", "exp_inf")

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        check_betas(self, group)

    def _update_group(self, group):
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        for x, g, xp, state in self._stepped(group):
            d = group_direction(xp, x, g, group)
            m, u = state["exp_avg"], state["exp_inf"]
            tmp = xp.empty_like(x)
            average_(xp, m, d, beta1, tmp)  # m ← m + (1 − β1)·(d − m)
            xp.abs(d, out=tmp)  # u ← max(β2·u, |d| + eps)
            tmp += eps
            u *= beta2
            xp.maximum(u, tmp, out=u)
            xp.divide(m, u, out=tmp)  # p ← p − lr/(1 − β1ᵗ) · m / u
            tmp *= lr / (1 - beta1 ** state["step"])
            x -= tmp
