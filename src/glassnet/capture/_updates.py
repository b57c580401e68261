"""The optimiser update of a replay as one fused pass per parameter (SGD momentum, Adam).

A captured step records ``optimizer.step()`` as one opaque step that runs the optimiser as
is. For the two most common cases this module gives a replay version that reads the same
options and state and computes the same numbers in the same order (see
:class:`~glassnet.optim.SGD` and :class:`~glassnet.optim.Adam` for the formulas) with one
fused kernel per parameter and no temporary arrays:

- SGD with ``momentum > 0``, ``dampening = 0``, no Nesterov, no weight decay, not maximize:
  ``v ← μ·v + g``, ``p ← p − lr·v``;
- Adam with no weight decay, no amsgrad, not maximize:
  ``m ← m + (1 − β1)·(g − m)``, ``v ← β2·v + (1 − β2)·g²``,
  ``p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)``.

Options are read at every replay (a scheduler may change ``lr``); a step whose options or
state leave these cases (or whose arrays are not contiguous) runs the optimiser's own
``step()`` instead, whole.
"""

import numpy as np

from glassnet.optim._adam import Adam
from glassnet.optim._sgd import SGD

__all__ = ["UPDATE_FORMULAS", "lower_update"]

UPDATE_FORMULAS = {
    "SGD": "v ← μ·v + g; p ← p − lr·v (one pass per parameter)",
    "Adam": "m ← m + (1 − β1)·(g − m); v ← β2·v + (1 − β2)·g²; p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) "
            "+ eps) (one pass per parameter)",
}


def lower_update(optimizer, fallback, kernels):
    """A replay closure for ``optimizer.step()``, or None when it has no fused form."""
    kind = type(optimizer)
    if kind is SGD:
        return _replay(optimizer, fallback, kernels, _sgd_ready, _sgd_step)
    if kind is Adam:
        return _replay(optimizer, fallback, kernels, _adam_ready, _adam_step)
    return None


def _replay(optimizer, fallback, kernels, ready, step):
    scratch = {}  # id(parameter) → a scratch array (the NumPy kernels' temporary)

    def run(env):
        todo = _with_grads(optimizer)
        if not all(ready(group, optimizer.state.get(p), p) for group, p in todo):
            fallback(env)
            return
        for group, p in todo:
            x = p.array
            tmp = scratch.get(id(p))
            if tmp is None or tmp.shape != x.shape or tmp.dtype != x.dtype:
                tmp = scratch[id(p)] = np.empty_like(x)
            step(kernels, group, optimizer.state[p], x, p.grad.array, tmp)
    return run


def _with_grads(optimizer):
    return [(group, p) for group in optimizer.param_groups for p in group["params"] if p.grad is not None]


def _contiguous(*arrays):
    first = arrays[0]
    return all(type(a) is np.ndarray and a.flags.c_contiguous and a.dtype == first.dtype
               and a.shape == first.shape for a in arrays)


def _sgd_ready(group, state, p):
    if not (group["momentum"] > 0 and group["dampening"] == 0 and group["weight_decay"] == 0
            and not group["nesterov"] and not group["maximize"]):
        return False
    buf = None if state is None else state.get("momentum_buffer")
    return buf is not None and _contiguous(p.array, p.grad.array, buf)


def _sgd_step(kernels, group, state, x, g, tmp):
    as_dtype = x.dtype.type
    kernels.sgd_momentum(x, g, state["momentum_buffer"], as_dtype(group["momentum"]), as_dtype(-group["lr"]),
                         tmp)


def _adam_ready(group, state, p):
    if group["weight_decay"] != 0 or group["amsgrad"] or group["maximize"] or not state:
        return False
    return _contiguous(p.array, p.grad.array, state["exp_avg"], state["exp_avg_sq"])


def _adam_step(kernels, group, state, x, g, tmp):
    lr, eps = group["lr"], group["eps"]
    beta1, beta2 = group["betas"]
    state["step"] += 1
    step = state["step"]
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    as_dtype = x.dtype.type  # a Python float next to an array is cast to its dtype, as here
    kernels.adam(x, g, state["exp_avg"], state["exp_avg_sq"], as_dtype(1 - beta1), as_dtype(beta2),
                 as_dtype(1 - beta2), as_dtype(bias_correction2_sqrt), as_dtype(eps),
                 as_dtype(lr / bias_correction1), tmp)
