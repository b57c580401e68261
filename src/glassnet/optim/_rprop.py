"""Rprop: a per-weight step size that grows while the gradient keeps its sign and shrinks
when it flips; only the gradient's sign moves the weight."""

from glassnet._errors import GlassnetValueError
from glassnet.optim._optimizer import Optimizer, refuse_torch_only

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller & Braun, 1993), as ``torch.optim.Rprop``.

    Each step, per weight, with ``(η−, η+) = etas`` and ``(Δmin, Δmax) = step_sizes``::

        s ← sign(g·g_prev)                       (−g for g when maximize)
        Δ ← clamp(Δ·(η+ if s > 0, η− if s < 0, 1 if s = 0), Δmin, Δmax)
        g ← 0 where s < 0                        (a flipped sign skips this step)
        p ← p − sign(g)·Δ;   g_prev ← g

    State per parameter: ``step``, ``prev`` (g_prev), ``step_size`` (Δ, starting at lr).
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        refuse_torch_only("Rprop", capturable, differentiable, foreach)
        defaults = {"lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes), "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group):
        etaminus, etaplus = group["etas"]
        if not group["lr"] >= 0:
            raise GlassnetValueError(f"Rprop: lr must be >= 0, got {group['lr']}")
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise GlassnetValueError(f"Rprop: etas must satisfy 0 < eta- < 1 < eta+, got {group['etas']}")

    def _init_state(self, state, xp, x, group):
        state["step"] = 0
        state["prev"] = xp.zeros_like(x)
        state["step_size"] = xp.full_like(x, group["lr"])

    def _update_group(self, group):
        etaminus, etaplus = group["etas"]
        step_min, step_max = group["step_sizes"]
        for x, g, xp, state in self._stepped(group):
            grad = -g if group["maximize"] else g.copy()
            prev, step_size = state["prev"], state["step_size"]
            sign = xp.sign(grad * prev)
            factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, 1.0)).astype(x.dtype)
            step_size *= factor
            xp.clip(step_size, step_min, step_max, out=step_size)
            grad[sign < 0] = 0
            x -= xp.sign(grad) * step_size
            prev[...] = grad
