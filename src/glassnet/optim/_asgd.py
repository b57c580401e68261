"""ASGD: stochastic gradient descent with a decaying step and a running average of the
weights (Polyak–Ruppert averaging)."""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet.optim._optimizer import Optimizer, check_nonnegative, directed_grad, refuse_torch_only

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992), as ``torch.optim.ASGD``.

    Each step ``t`` (counted per parameter from 1), with ``η`` (``eta``, starting at lr) and
    ``μ`` (``mu``, starting at 1)::

        d ← ±g + wd·p
        p ← p·(1 − λ·η) − η·d
        ā ← p if μ = 1, else ā + μ·(p − ā)       (the averaged weights, ``state["ax"]``)
        η ← lr / (1 + λ·lr·t)^α;   μ ← 1 / max(1, t − t0)

    ``η`` and ``μ`` are kept in the default dtype (float32 unless set to float64), as
    PyTorch keeps them, so the numbers match PyTorch's. State per parameter: ``step``,
    ``eta``, ``mu``, ``ax``.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        refuse_torch_only("ASGD", capturable, differentiable, foreach)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "weight_decay")

    def _init_state(self, state, xp, x, group):
        state["step"] = 0
        state["eta"] = _scalar(group["lr"])
        state["mu"] = _scalar(1.0)
        state["ax"] = xp.zeros_like(x)

    def _update_group(self, group):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        for x, g, xp, state in self._stepped(group):
            d, _ = directed_grad(xp, x, g, group["weight_decay"], group["maximize"])
            eta, mu, ax = state["eta"], state["mu"], state["ax"]
            x *= 1 - lambd * eta
            x -= eta * d
            if mu != 1:
                ax += (x - ax) * mu
            else:
                ax[...] = x
            step = state["step"]
            state["eta"] = _scalar(lr / ((1 + lambd * lr * step) ** alpha))
            state["mu"] = _scalar(1 / max(1, step - t0))


def _scalar(value):
    """``value`` rounded to the default dtype, as PyTorch's 0-d state tensors hold it."""
    return float(np.asarray(value, dtype=get_default_dtype()))
