"""Adamax: Adam with the infinity norm of past gradients in place of their RMS."""

from glassnet._backend import namespace
from glassnet.optim._optimizer import (
    Optimizer,
    check_betas,
    check_nonnegative,
    directed_grad,
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

    def _check_options(self, group):
        for key in ("lr", "eps", "weight_decay"):
            check_nonnegative(self, group, key)
        check_betas(self, group)

    def _update_group(self, group):
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            if p.grad is None:
                continue
            x = p.data
            xp = namespace(x)
            state = self.state[p]
            if not state:
                state.update(step=0, exp_avg=xp.zeros_like(x), exp_inf=xp.zeros_like(x))
            state["step"] = step = state["step"] + 1
            d, _ = directed_grad(xp, x, p.grad.data, weight_decay, group["maximize"])
            m, u = state["exp_avg"], state["exp_inf"]
            tmp = xp.subtract(d, m, out=xp.empty_like(x))  # m ← m + (1 − β1)·(d − m)
            tmp *= 1 - beta1
            m += tmp
            xp.abs(d, out=tmp)  # u ← max(β2·u, |d| + eps)
            tmp += eps
            u *= beta2
            xp.maximum(u, tmp, out=u)
            xp.divide(m, u, out=tmp)  # p ← p − lr/(1 − β1ᵗ) · m / u
            tmp *= lr / (1 - beta1**step)
            x -= tmp
