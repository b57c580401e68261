"""NAdam and RAdam: Adam with Nesterov momentum, and Adam with a rectified warm-up."""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet.optim._adam import AdamFamily
from glassnet.optim._optimizer import check_nonnegative, refuse_torch_only

__all__ = ["NAdam", "RAdam"]


class NAdam(AdamFamily):
    r"""NAdam (Dozat, 2016), as ``torch.optim.NAdam``.

    Each step ``t`` (per parameter from 1), with ``(β1, β2) = betas`` and
    ``ψ = momentum_decay``::

        d ← ±g + wd·p          (or p ← p·(1 − lr·wd), d ← ±g, when decoupled_weight_decay)
        μₜ ← β1·(1 − ½·0.96^(t·ψ)),   μₜ₊₁ ← β1·(1 − ½·0.96^((t+1)·ψ))
        Π ← Π·μₜ                                 (product of all μ so far)
        m ← β1·m + (1 − β1)·d,   v ← β2·v + (1 − β2)·d²
        r ← √(v / (1 − β2ᵗ)) + eps
        p ← p − lr·(1 − μₜ)/(1 − Π) · d / r − lr·μₜ₊₁/(1 − Π·μₜ₊₁) · m / r

    State per parameter: ``step``, ``mu_product`` (Π, a 0-d array in the default dtype —
    PyTorch keeps it in its default dtype too, so float32 unless that is changed),
    ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        refuse_torch_only("NAdam", capturable, differentiable)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group):
        super()._check_options(group)
        check_nonnegative(self, group, "momentum_decay")

    def _init_state(self, state, xp, x, group):
        state.update(step=0, mu_product=np.ones((), dtype=get_default_dtype()),
                     exp_avg=xp.zeros_like(x), exp_avg_sq=xp.zeros_like(x))

    def _update_group(self, group):
        lr, eps, psi = group["lr"], group["eps"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        for x, g, xp, state in self._stepped(group):
            step = state["step"]
            d, tmp = self._moments(group, xp, x, g, state)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            state["mu_product"] *= mu
            mu_product = float(state["mu_product"])
            r = xp.sqrt(state["exp_avg_sq"] / (1 - beta2**step))  # r ← √(v / (1 − β2ᵗ)) + eps
            r += eps
            xp.divide(d, r, out=tmp)
            tmp *= -lr * (1.0 - mu) / (1.0 - mu_product)
            x += tmp
            xp.divide(state["exp_avg"], r, out=tmp)
            tmp *= -lr * mu_next / (1.0 - mu_product * mu_next)
            x += tmp


class RAdam(AdamFamily):
    r"""RAdam (Liu et al., 2020), as ``torch.optim.RAdam``.

    Adam whose adaptive step is switched on only once the variance of ``v`` is tractable.
    Each step ``t`` (per parameter from 1), with ``(β1, β2) = betas``::

        d ← ±g + wd·p          (or p ← p·(1 − lr·wd), d ← ±g, when decoupled_weight_decay)
        m ← β1·m + (1 − β1)·d,   v ← β2·v + (1 − β2)·d²
        m̂ ← m / (1 − β1ᵗ)
        ρ∞ ← 2/(1 − β2) − 1,   ρₜ ← ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ)
        ρₜ > 5:  rₜ ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
                 p ← p − lr · m̂ · √(1 − β2ᵗ)/(√v + eps) · rₜ
        else:    p ← p − lr · m̂                       (plain momentum while warming up)

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        refuse_torch_only("RAdam", capturable, differentiable)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        for x, g, xp, state in self._stepped(group):
            step = state["step"]
            self._moments(group, xp, x, g, state)
            bias_correction2 = 1 - beta2**step
            update = state["exp_avg"] / (1 - beta1**step)  # m̂
            update *= lr
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                denom = xp.sqrt(state["exp_avg_sq"])
                denom += eps
                update *= bias_correction2**0.5 / denom
                update *= rect
            x -= update
