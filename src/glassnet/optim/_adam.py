"""Adam and AdamW: adaptive moments with bias correction."""

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.optim._optimizer import Optimizer, check_nonnegative, directed_grad

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``.

    Each step ``t`` (counted per parameter from 1), with ``(β1, β2) = betas``::

        d ← ±g + wd·p                   (L2 penalty; −g when maximize)
        p ← p·(1 − lr·wd), d ← ±g        (instead, when decoupled_weight_decay)
        m ← m + (1 − β1)·(d − m)         (= β1·m + (1 − β1)·d)
        v ← β2·v + (1 − β2)·d²
        v̂ ← max(v̂, v) and use v̂ for v  (amsgrad)
        p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad,
    ``max_exp_avg_sq`` (v̂).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False, decoupled_weight_decay=False):
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _check_options(self, group):
        for key in ("lr", "eps", "weight_decay"):
            check_nonnegative(self, group, key)
        betas = group["betas"]
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise GlassnetValueError(
                f"{type(self).__name__}: betas must be two numbers in [0, 1), got {betas}"
            )

    def _update_group(self, group):
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            x = p.data
            xp = namespace(x)
            state = self.state[p]
            if not state:
                _init_state(state, xp, x)
            state["step"] = step = state["step"] + 1
            if decoupled and weight_decay != 0:
                x *= 1 - lr * weight_decay
            l2 = 0 if decoupled else weight_decay
            d, _ = directed_grad(xp, x, p.grad.data, l2, maximize)
            m, v = state["exp_avg"], state["exp_avg_sq"]
            tmp = xp.subtract(d, m, out=xp.empty_like(x))  # m ← m + (1 − β1)·(d − m)
            tmp *= 1 - beta1
            m += tmp
            xp.multiply(d, d, out=tmp)  # v ← β2·v + (1 − β2)·d²
            tmp *= 1 - beta2
            v *= beta2
            v += tmp
            if amsgrad:
                v_max = state.get("max_exp_avg_sq")
                if v_max is None:
                    v_max = state["max_exp_avg_sq"] = xp.zeros_like(x)
                v = xp.maximum(v_max, v, out=v_max)
            bias_correction1 = 1 - beta1**step
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            xp.sqrt(v, out=tmp)  # p ← p − lr/bc1 · m / (√v / √bc2 + eps)
            tmp /= bias_correction2_sqrt
            tmp += eps
            xp.divide(m, tmp, out=tmp)
            tmp *= lr / bias_correction1
            x -= tmp


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    The same update as :class:`Adam` but the decay shrinks the weights directly instead
    of entering the gradient::

        p ← p·(1 − lr·wd)
        m ← m + (1 − β1)·(±g − m),  v ← β2·v + (1 − β2)·g²
        p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)


def _init_state(state, xp, x):
    state["step"] = 0
    state["exp_avg"] = xp.zeros_like(x)
    state["exp_avg_sq"] = xp.zeros_like(x)
