"""The optimiser update of a replay as fused passes (SGD momentum, Adam): one per parameter,
or one over all of them.

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

With the NumPy kernels, one kernel call per parameter is most of a small model's update
(Adam: 13 NumPy calls each). When the parameters' gradients lie side by side in one
array — the lowered backward writes the leaves' gradients into one array per dtype — the
update runs over all of them at once: their state (momentum buffer; m and v) is moved into
arrays laid out like the gradients (the optimiser's state entries become views of them, so
its own ``step()``, ``state_dict()`` and a replay see the same numbers), the kernel runs
once over the whole stretch, and each parameter subtracts its own stretch of the result:
the same arithmetic element by element, so the same bits. MNIST-1D's 40-100-100-10 MLP
(batch 100, 1 thread): Adam's update from 70 to 44 µs of a 245 → 220 µs step.
"""

from functools import partial

import numpy as np

from glassnet.optim._adam import Adam
from glassnet.optim._sgd import SGD

__all__ = ["UPDATE_FORMULAS", "lower_update"]

UPDATE_FORMULAS = {
    "SGD": "v ← μ·v + g; p ← p − lr·v (one pass per parameter, or over all at once)",
    "Adam": "m ← m + (1 − β1)·(g − m); v ← β2·v + (1 − β2)·g²; p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) "
            "+ eps) (one pass per parameter, or over all at once)",
}


def lower_update(optimizer, fallback, kernels):
    """A replay closure for ``optimizer.step()``, or None when it has no fused form."""
    rule = _RULES.get(type(optimizer))
    return None if rule is None else _replay(optimizer, fallback, kernels, rule)


class _Rule:
    """What the replay knows of one optimiser: whether a group's options are the covered
    case, its state arrays (and their keys), the update of one parameter (``step``) and of
    one flat run of parameters (``flat_step``: the NumPy kernels only)."""

    def __init__(self, ready, state_keys, step, flat_step):
        self.ready, self.state_keys, self.step, self.flat_step = ready, state_keys, step, flat_step

    def state_arrays(self, state):
        if not state or any(key not in state for key in self.state_keys):
            return ()
        return tuple(state[key] for key in self.state_keys)


def _replay(optimizer, fallback, kernels, rule):
    """Each replay: check the options, then the update's kernels on flat views (or the
    optimiser's own ``step()`` when a parameter leaves the case)."""
    last = {"ids": None, "parts": None}  # the arrays of the last replay, and the update's parts for them

    def run(env):
        todo = [(group, p, optimizer.state.get(p)) for group in optimizer.param_groups
                for p in group["params"] if p.grad is not None]
        if not all(rule.ready(group) for group in {id(g): g for g, _, _ in todo}.values()):
            fallback(env)
            return
        ids = _ids(todo, rule)
        if ids != last["ids"]:  # a parameter, gradient or state array is another object: plan again
            parts = _plan(todo, rule, kernels)
            if parts is None:
                fallback(env)
                return
            last.update(ids=_ids(todo, rule), parts=parts)  # a flat run moves state: ids again
        scalars = {}  # the update's scalars, computed once per group, step count and dtype
        for part in last["parts"]:
            part(kernels, scalars)
    return run


def _ids(todo, rule):
    keys = rule.state_keys
    ids = []
    for _, p, state in todo:
        ids += (id(p.array), id(p.grad.array))
        if state:
            ids += [id(state.get(key)) for key in keys]
    return ids


def _plan(todo, rule, kernels):
    """The update as a list of parts ``part(kernels, scalars)``: one per flat run of
    parameters (:func:`_flat_runs`), one per other parameter; None when a parameter has no
    state yet or an array that is not contiguous. The parts keep the arrays they were
    planned for, so their ids stay unique while the plan is in use."""
    arrays = [(p.array, p.grad.array, *rule.state_arrays(state)) for _, p, state in todo]
    if any(len(group) < 3 or not _contiguous(*group) for group in arrays):
        return None
    runs = _flat_runs(todo, arrays) if kernels.name == "numpy" else []
    in_runs = {i for run in runs for i in run}
    parts = [_flat_part(todo, arrays, run, rule) for run in runs]
    for i in (i for i in range(len(todo)) if i not in in_runs):
        group, _, state = todo[i]
        flat = tuple(a.reshape(-1) for a in arrays[i])
        tmp = np.empty(flat[0].size, flat[0].dtype)
        parts.append(partial(_single_part, rule.step, group, state, flat, tmp))
    return parts


def _single_part(step, group, state, flat, tmp, kernels, scalars):
    step(kernels, group, state, flat, tmp, scalars)


def _flat_runs(todo, arrays):
    """Groups of parameter indices (two or more, one optimiser group each) whose gradients
    tile one contiguous stretch of a 1-D array with no gap — the lowered backward writes the
    leaves' gradients into one such array per dtype (:mod:`._lower`) — so that the update
    runs over the stretch in one kernel instead of one per parameter."""
    by_group = {}
    for i, ((group, _, _), (_, g, *_)) in enumerate(zip(todo, arrays, strict=True)):
        base = g.base
        if base is not None and base.ndim == 1 and base.flags.c_contiguous and base.dtype == g.dtype:
            by_group.setdefault((id(group), id(base)), []).append(i)
    runs = []
    for members in by_group.values():
        spans = sorted((_offset(arrays[i][1]), arrays[i][1].size, i) for i in members)
        if len(spans) > 1 and all(a + n == b for (a, n, _), (b, _, _) in zip(spans, spans[1:], strict=False)):
            runs.append([i for _, _, i in spans])
    return runs


def _offset(view):
    return (view.ctypes.data - view.base.ctypes.data) // view.itemsize


def _flat_part(todo, arrays, run, rule):
    """The update of one flat run: the gradients' stretch as one array, the state moved into
    arrays laid out alike (the optimiser's state entries become views of them), one scratch
    array, and per parameter its own stretch of the scratch array shaped like it."""
    first = arrays[run[0]][1]
    lo = _offset(first)
    hi = _offset(arrays[run[-1]][1]) + arrays[run[-1]][1].size
    g = first.base[lo:hi]
    states = [todo[i][2] for i in run]
    moved = []
    for key in rule.state_keys:
        flat = np.empty(hi - lo, first.dtype)
        for i, state in zip(run, states, strict=True):
            a, n = _offset(arrays[i][1]) - lo, arrays[i][1].size
            flat[a: a + n] = state[key].reshape(-1)
            state[key] = flat[a: a + n].reshape(state[key].shape)
        moved.append(flat)
    tmp = np.empty(hi - lo, first.dtype)
    params = [(x, gx, tmp[_offset(gx) - lo:][: gx.size].reshape(x.shape))
              for x, gx, *_ in (arrays[i] for i in run)]
    return partial(rule.flat_step, todo[run[0]][0], states, g, tuple(moved), tmp, params)


def _contiguous(*arrays):
    first = arrays[0]
    return all(type(a) is np.ndarray and a.flags.c_contiguous and a.dtype == first.dtype
               and a.shape == first.shape for a in arrays)


def _sgd_ready(group):
    return (group["momentum"] > 0 and group["dampening"] == 0 and group["weight_decay"] == 0
            and not group["nesterov"] and not group["maximize"])


def _sgd_step(kernels, group, state, arrays, tmp, scalars):
    x, g, buf = arrays
    kernels.sgd_momentum(x, g, buf, *_sgd_scalars(group, x.dtype, scalars), tmp)


def _sgd_flat_step(group, states, g, state_arrays, tmp, params, kernels, scalars):
    (buf,) = state_arrays
    kernels.sgd_momentum_step(g, buf, *_sgd_scalars(group, g.dtype, scalars), tmp)
    for x, _, t in params:
        x += t


def _sgd_scalars(group, dtype, scalars):
    key = (id(group), dtype)
    if key not in scalars:
        as_dtype = dtype.type  # a Python float next to an array is cast to its dtype, as here
        scalars[key] = as_dtype(group["momentum"]), as_dtype(-group["lr"])
    return scalars[key]


def _adam_ready(group):
    return group["weight_decay"] == 0 and not group["amsgrad"] and not group["maximize"]


def _adam_step(kernels, group, state, arrays, tmp, scalars):
    x, g, m, v = arrays
    state["step"] += 1
    key = (id(group), state["step"], x.dtype)
    if key not in scalars:
        scalars[key] = _adam_scalars(group, state["step"], x.dtype.type)
    kernels.adam(x, g, m, v, *scalars[key], tmp)


def _adam_flat_step(group, states, g, state_arrays, tmp, params, kernels, scalars):
    step = states[0]["step"]
    if any(state["step"] != step for state in states):  # step counts set apart by hand
        for state, (x, gx, t) in zip(states, params, strict=True):
            arrays = (x, gx, state["exp_avg"], state["exp_avg_sq"])
            _adam_step(kernels, group, state, tuple(a.reshape(-1) for a in arrays), t.reshape(-1), scalars)
        return
    step += 1
    for state in states:
        state["step"] = step
    key = (id(group), step, g.dtype)
    if key not in scalars:
        scalars[key] = _adam_scalars(group, step, g.dtype.type)
    kernels.adam_step(g, *state_arrays, *scalars[key], tmp)
    for x, _, t in params:
        x -= t


def _adam_scalars(group, step, as_dtype):
    """``(1 − β1, β2, 1 − β2, √(1 − β2ᵗ), eps, lr / (1 − β1ᵗ))`` in the arrays' dtype."""
    lr, eps = group["lr"], group["eps"]
    beta1, beta2 = group["betas"]
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    return (as_dtype(1 - beta1), as_dtype(beta2), as_dtype(1 - beta2), as_dtype(bias_correction2_sqrt),
            as_dtype(eps), as_dtype(lr / bias_correction1))


_RULES = {SGD: _Rule(_sgd_ready, ("momentum_buffer",), _sgd_step, _sgd_flat_step),
          Adam: _Rule(_adam_ready, ("exp_avg", "exp_avg_sq"), _adam_step, _adam_flat_step)}
