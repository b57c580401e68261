"""SparseAdam: Adam for embedding tables, updating only the rows a step looked up."""

import math

from glassnet._errors import GlassnetValueError
from glassnet.optim._optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""Lazy Adam, as ``torch.optim.SparseAdam`` (meant for ``nn.Embedding(sparse=True)``).

    Each step ``t`` (counted per parameter from 1), only for the rows ``r`` of the
    parameter that the gradient touches (``g[r] ≠ 0``)::

        m[r] ← m[r] + (1 − β1)·(±g[r] − m[r])
        v[r] ← v[r] + (1 − β2)·(g[r]² − v[r])
        p[r] ← p[r] − lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m[r] / (√v[r] + eps)

    Every other row — its value and its moments — stays as it was (dense Adam would decay
    their moments and keep moving them).

    glassnet has no sparse tensors: ``nn.Embedding(sparse=True)`` gives a dense gradient
    whose untouched rows are zero, so the rows updated are the gradient's nonzero rows.
    PyTorch's sparse gradient lists the looked-up rows instead; the two differ only for a
    row that was looked up but received a gradient of exactly zero (PyTorch decays its
    moments and moves it; glassnet leaves it). PyTorch refuses dense gradients here;
    glassnet accepts any parameter.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    _zero_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group):
        """PyTorch's checks: lr and eps strictly positive, each beta in [0, 1)."""
        for key in ("lr", "eps"):
            if not group[key] > 0:
                raise GlassnetValueError(f"SparseAdam: {key} must be > 0, got {group[key]}")
        for i, beta in enumerate(group["betas"]):
            if not 0 <= beta < 1:
                raise GlassnetValueError(f"SparseAdam: beta parameter at index {i} must be in [0, 1), "
                                         f"got {beta}")

    def _update_group(self, group):
        lr, eps, maximize = group["lr"], group["eps"], group["maximize"]
        beta1, beta2 = group["betas"]
        for x, g, xp, state in self._stepped(group):
            rows = _touched_rows(xp, g)
            if rows is None:
                continue
            step = state["step"]
            grad = -g[rows] if maximize else g[rows]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            old_m, old_v = m[rows], v[rows]
            new_m = old_m + (grad - old_m) * (1 - beta1)
            new_v = old_v + (grad * grad - old_v) * (1 - beta2)
            m[rows], v[rows] = new_m, new_v
            step_size = lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
            x[rows] += -step_size * (new_m / (xp.sqrt(new_v) + eps))


def _touched_rows(xp, g):
    """Indices of the rows (first dimension) of ``g`` with any nonzero entry; for a 0-d
    gradient ``()`` when it is nonzero; None when nothing is touched."""
    if g.ndim == 0:
        return () if bool(g != 0) else None
    nonzero = (g != 0).reshape(g.shape[0], -1).any(axis=1)
    rows = xp.flatnonzero(nonzero)
    return rows if rows.size else None
