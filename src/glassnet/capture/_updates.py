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
``step()`` instead, whole. The flat views a kernel works on are made once and made again
only when one of a parameter's arrays is another object (``load_state_dict``, a new
``.grad``), so that a replay's update costs one kernel call per parameter.
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
    rule = _RULES.get(type(optimizer))
    return None if rule is None else _replay(optimizer, fallback, kernels, *rule)


def _replay(optimizer, fallback, kernels, group_ready, state_arrays, step):
    """Each replay: check the options, then one kernel call per parameter on flat views of
    its arrays (or the optimiser's own ``step()`` when a parameter leaves the case)."""
    last = {"ids": None, "arrays": None, "flat": None}  # the arrays of the last replay, their flat views

    def run(env):
        todo = [(group, p, optimizer.state.get(p)) for group in optimizer.param_groups
                for p in group["params"] if p.grad is not None]
        if not all(group_ready(group) for group in {id(g): g for g, _, _ in todo}.values()):
            fallback(env)
            return
        arrays = [(p.array, p.grad.array, *state_arrays(state)) for _, p, state in todo]
        ids = [id(a) for group in arrays for a in group]
        if ids != last["ids"]:  # a parameter, gradient or state array is another object: check them again
            views = _flat_views(arrays)
            if views is None:
                fallback(env)
                return
            last.update(ids=ids, arrays=arrays, flat=views)  # keeping the arrays keeps their ids unique
        scalars = {}  # the update's scalars, computed once per group, step count and dtype
        for (group, _, state), (flat, tmp) in zip(todo, last["flat"], strict=True):
            step(kernels, group, state, flat, tmp, scalars)
    return run


def _flat_views(arrays):
    """Per parameter, 1-D views of its arrays (parameter, gradient, state) and a scratch
    array for the NumPy kernels; None when one has no state yet or is not contiguous."""
    views = []
    for group in arrays:
        if len(group) < 3 or not _contiguous(*group):
            return None
        views.append((tuple(a.reshape(-1) for a in group), np.empty(group[0].size, group[0].dtype)))
    return views


def _contiguous(*arrays):
    first = arrays[0]
    return all(type(a) is np.ndarray and a.flags.c_contiguous and a.dtype == first.dtype
               and a.shape == first.shape for a in arrays)


def _sgd_ready(group):
    return (group["momentum"] > 0 and group["dampening"] == 0 and group["weight_decay"] == 0
            and not group["nesterov"] and not group["maximize"])


def _sgd_state(state):
    buf = None if state is None else state.get("momentum_buffer")
    return () if buf is None else (buf,)


def _sgd_step(kernels, group, state, arrays, tmp, scalars):
    x, g, buf = arrays
    key = (id(group), x.dtype)
    if key not in scalars:
        as_dtype = x.dtype.type  # a Python float next to an array is cast to its dtype, as here
        scalars[key] = as_dtype(group["momentum"]), as_dtype(-group["lr"])
    kernels.sgd_momentum(x, g, buf, *scalars[key], tmp)


def _adam_ready(group):
    return group["weight_decay"] == 0 and not group["amsgrad"] and not group["maximize"]


def _adam_state(state):
    if not state or "exp_avg" not in state or "exp_avg_sq" not in state:
        return ()
    return state["exp_avg"], state["exp_avg_sq"]


def _adam_step(kernels, group, state, arrays, tmp, scalars):
    x, g, m, v = arrays
    state["step"] += 1
    key = (id(group), state["step"], x.dtype)
    if key not in scalars:
        scalars[key] = _adam_scalars(group, state["step"], x.dtype.type)
    kernels.adam(x, g, m, v, *scalars[key], tmp)


def _adam_scalars(group, step, as_dtype):
    """``(1 − β1, β2, 1 − β2, √(1 − β2ᵗ), eps, lr / (1 − β1ᵗ))`` in the arrays' dtype."""
    lr, eps = group["lr"], group["eps"]
    beta1, beta2 = group["betas"]
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    return (as_dtype(1 - beta1), as_dtype(beta2), as_dtype(1 - beta2), as_dtype(bias_correction2_sqrt),
            as_dtype(eps), as_dtype(lr / bias_correction1))


_RULES = {SGD: (_sgd_ready, _sgd_state, _sgd_step), Adam: (_adam_ready, _adam_state, _adam_step)}
