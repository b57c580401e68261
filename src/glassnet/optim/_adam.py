"""Adam and AdamW: adaptive moments with bias correction (and the moments NAdam and
RAdam share with them: :class:`AdamFamily`)."""

from glassnet.optim._optimizer import (
    Optimizer,
    average_,
    average_square_,
    check_betas,
    check_nonnegative,
    group_direction,
    refuse_torch_only,
    zeros_state,
)

__all__ = ["Adam", "AdamFamily", "AdamW"]


class AdamFamily(Optimizer):
    """What Adam, AdamW, NAdam and RAdam share: the options ``lr``, ``eps``,
    ``weight_decay`` (each ≥ 0) and ``betas``; the state ``step``, ``exp_avg`` (m) and
    ``exp_avg_sq`` (v); and the update of m and v (:meth:`_moments`)."""

    _zero_state = ("exp_avg", "exp_avg_sq")

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        check_betas(self, group)

    def _moments(self, group, xp, x, g, state):
        """Weight decay (L2, or decoupled when the group says so), then in place::

            m ← m + (1 − β1)·(d − m)         (= β1·m + (1 − β1)·d)
            v ← β2·v + (1 − β2)·d²

        Returns ``(d, tmp)``: the direction (not to be written to) and scratch of x's shape."""
        beta1, beta2 = group["betas"]
        d = group_direction(xp, x, g, group)
        tmp = xp.empty_like(x)
        average_(xp, state["exp_avg"], d, beta1, tmp)
        average_square_(xp, state["exp_avg_sq"], d, beta2, tmp)
        return d, tmp


class Adam(AdamFamily):
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

    Args:
        params: the parameters to update (an iterable of Parameters, or of parameter-group
            dicts with their own options).
        lr: the learning rate (default 1e-3).
        betas: the decay rates ``(β1, β2)`` of the first and second moments.
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: the L2 factor ``wd`` (default 0).
        amsgrad: use the running maximum of ``v`` (AMSGrad).
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: shrink the weights directly, as AdamW.
        foreach: PyTorch's implementation choice, accepted (one implementation here).
        fused: likewise accepted.
        capturable: True is refused (no CUDA graphs).
        differentiable: True is refused (the update is not recorded by autograd).

    Example:
        >>> import glassnet as gn
        >>> w = gn.nn.Parameter(gn.tensor([1.0, -2.0]))
        >>> opt = gn.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                  # the first step moves each weight by lr against its sign
        >>> print(w.numpy().round(4))
        [ 0.9 -1.9]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False, decoupled_weight_decay=False, *, foreach=None,
                 capturable=False, differentiable=False, fused=None):
        refuse_torch_only(type(self).__name__, capturable, differentiable, foreach, fused)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        for x, g, xp, state in self._stepped(group):
            step = state["step"]
            _, tmp = self._moments(group, xp, x, g, state)
            m, v = state["exp_avg"], state["exp_avg_sq"]
            if group["amsgrad"]:
                v_max = zeros_state(state, "max_exp_avg_sq", xp, x)
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

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad,
    ``max_exp_avg_sq``.

    Args:
        params: the parameters to update (an iterable of Parameters, or of parameter-group
            dicts with their own options).
        lr: the learning rate (default 1e-3).
        betas: the decay rates ``(β1, β2)`` of the first and second moments.
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: the decoupled decay factor ``wd`` (default 1e-2, as PyTorch).
        amsgrad: use the running maximum of ``v`` (AMSGrad).
        maximize: ascend the objective instead of descending it.
        foreach: PyTorch's implementation choice, accepted (one implementation here).
        capturable: True is refused (no CUDA graphs).
        differentiable: True is refused (the update is not recorded by autograd).
        fused: likewise accepted.

    Example:
        >>> import glassnet as gn
        >>> w = gn.nn.Parameter(gn.tensor([1.0, -2.0]))
        >>> opt = gn.optim.AdamW([w], lr=0.1, weight_decay=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()      # decay: w·(1 − 0.1·0.1) = [0.99, -1.98]; then Adam's first step of 0.1
        >>> print(w.numpy().round(4))
        [ 0.89 -1.88]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False, *, foreach=None, capturable=False, differentiable=False,
                 fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused)
