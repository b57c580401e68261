"""Adagrad: per-coordinate step sizes that shrink with the sum of squared gradients."""

from glassnet._backend import namespace
from glassnet.optim._optimizer import Optimizer, check_nonnegative, group_direction, refuse_torch_only

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011), as ``torch.optim.Adagrad``.

    Each step ``t`` (counted per parameter from 1)::

        d ← ±g + wd·p                     (−g when maximize)
        lr_t ← lr / (1 + (t − 1)·lr_decay)
        s ← s + d²                         (s starts at initial_accumulator_value)
        p ← p − lr_t · d / (√s + eps)

    State per parameter (made when the parameter is added, as in PyTorch): ``step``
    and ``sum`` (s).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        refuse_torch_only("Adagrad", False, differentiable, foreach, fused)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "lr_decay", "eps", "weight_decay",
                          "initial_accumulator_value")

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(self.state[p], namespace(p.array), p.array, group)

    def _init_state(self, state, xp, x, group):
        state["step"] = 0
        state["sum"] = xp.full_like(x, group["initial_accumulator_value"])

    def _update_group(self, group):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for x, g, xp, state in self._stepped(group):
            d = group_direction(xp, x, g, group)
            clr = lr / (1 + (state["step"] - 1) * lr_decay)
            total = state["sum"]
            tmp = xp.multiply(d, d, out=xp.empty_like(x))
            total += tmp
            xp.sqrt(total, out=tmp)
            tmp += eps
            xp.divide(d, tmp, out=tmp)
            tmp *= clr
            x -= tmp
