"""The recording engine: ``loss.backward()`` during a capture, step by step on the tape.

It walks the graph exactly as :func:`glassnet.autograd._engine.run_backward` does — the
same topological order, each op's backward (or its kernel's) once with the sum of the
gradients that reached its output, the one unbroadcast, the cast to the input's dtype,
and PyTorch's rule for storing a leaf's ``.grad`` (accumulate, or keep a private copy) —
and records every one of those array operations as a step, running it on the capture's
values as it goes (so the first call and the replays run the same code).
"""

from functools import partial

import numpy as np

from glassnet.autograd._engine import _topological_order, as_grad_array, unbroadcast
from glassnet.autograd._tensor import Tensor
from glassnet.capture._tape import SEED_NOTE, Entry, StaleBranch, backward_run, sum_run, unary_run

__all__ = ["record_backward"]


def record_backward(rec, root, gradient, retain_graph, original):
    """``root.backward(gradient)`` while ``rec`` records; ``original`` runs what it cannot follow."""
    order = _topological_order(root)
    reason = _unfollowable(order, gradient)
    if reason is not None:
        rec.tape.refuse(reason)
        rec.in_backward = True
        try:
            return original(root, gradient, retain_graph)
        finally:
            rec.in_backward = False
    rec.backward_ran = True
    _guard_grad_state(rec, [node for node in order if node._ctx is None])
    seed_slot, handed = _seed(rec, root, gradient)
    pending = {id(root): seed_slot}
    for node in order:
        slot = pending.pop(id(node), None)
        if slot is None:
            continue
        op = node._ctx
        if op is None:
            _store_leaf(rec, node, slot, handed)
            continue
        if not retain_graph:
            op.released = True
        for parent, g_slot in _op_backward(rec, op, slot):
            _route(rec, op, parent, g_slot, pending)
    return None


def _unfollowable(order, gradient):
    """Why the recording engine must hand this backward to the real one (None: it need not)."""
    if gradient is not None and not isinstance(gradient, Tensor):
        return "backward(gradient=…) with an array: pass a tensor"
    for node in order:
        op = node._ctx
        if node._hooks:
            return "a tensor hook (register_hook) runs during backward: not followed by the tape"
        if node._retains_grad and op is not None:
            return "retain_grad() on an intermediate tensor: not followed by the tape"
        if op is not None and (op.released or op._ctx_style):
            return (f"{op.name}: its graph was already used by a backward" if op.released else
                    f"{op.name} is a custom autograd.Function: not followed by the tape")
    return None


def _guard_grad_state(rec, leaves):
    """Whether each leaf's ``.grad`` is None decides between storing and accumulating: a
    replay that finds another state re-captures (before any gradient is stored)."""
    state = [(t, t.grad is None) for t in leaves]
    if rec.side_effects:
        rec.tape.refuse("backward runs after the step changed parameters or gradients (a second backward "
                        "or an update before it): not followed by the tape")

    def run(env):
        for t, was_none in state:
            if (t.grad is None) is not was_none:
                raise StaleBranch(f"{_leaf_name(t)}.grad was {'None' if was_none else 'a gradient'} when "
                                  f"captured, now {'None' if t.grad is None else 'a gradient'}")
    rec.emit(run, Entry("guard", note=f"the .grad of {len(state)} leaves is None or not, as when captured"))


def _seed(rec, root, gradient):
    """The slot of the seed gradient (ones for a scalar, fresh at every replay)."""
    root_slot = rec.slot_for(root, "backward")
    seed = as_grad_array(root, gradient)
    if gradient is None:
        slot = rec.new_slot(seed)
        rec.emit(unary_run(np.ones_like, root_slot, slot), Entry("route", reads=(root_slot,), writes=(slot,),
                                                                 note=SEED_NOTE))
    else:
        given = rec.slot_for(gradient, "backward")
        slot = rec.new_slot(seed)
        rec.emit(unary_run(partial(np.asarray, dtype=root.dtype), given, slot),
                 Entry("route", reads=(given,), writes=(slot,), note=f"seed: gradient as {root.dtype}"))
    return slot, {id(seed)}


def _op_backward(rec, op, slot):
    """Record ``op``'s backward (its kernel's, if a kernel ran it); yield ``(input, slot)``
    for each gradient it returns that an input needs."""
    kernel = op.kernel
    fn = partial(kernel.backward, op) if kernel is not None else op.backward
    grads = fn(rec.env[slot])
    if type(grads) is not tuple:
        grads = (grads,)
    outs = []
    for i, (g, needed) in enumerate(zip(grads, op.needs_grad, strict=True)):
        if needed and g is not None:
            outs.append((i, rec.new_slot(g)))
    rec.emit(backward_run(fn, slot, outs), Entry("backward", op, kernel, (slot,), [s for _, s in outs]))
    return [(op.inputs[i], s) for i, s in outs]


def _route(rec, op, parent, slot, pending):
    """What the engine does to a gradient on its way to an input: unbroadcast, cast, sum."""
    data, g = parent.array, rec.env[slot]
    if g.shape != data.shape:
        slot = _derive(rec, slot, partial(unbroadcast, shape=data.shape, op_name=op.name),
                       f"unbroadcast {g.shape} → {data.shape}")
        g = rec.env[slot]
    if g.dtype is not data.dtype and g.dtype != data.dtype:
        slot = _derive(rec, slot, partial(_astype, dtype=data.dtype), f"cast {g.dtype} → {data.dtype}")
    key = id(parent)
    if key in pending:
        total = rec.new_slot(rec.env[pending[key]] + rec.env[slot])
        rec.emit(sum_run(pending[key], slot, total), Entry("route", reads=(pending[key], slot),
                                                           writes=(total,),
                                                           note="sum of the gradients reaching one tensor"))
        pending[key] = total
    else:
        pending[key] = slot


def _astype(array, dtype):
    return array.astype(dtype)


def _derive(rec, slot, fn, note):
    out = rec.new_slot(fn(rec.env[slot]))
    rec.emit(unary_run(fn, slot, out), Entry("route", reads=(slot,), writes=(out,), note=note))
    return out


def _store_leaf(rec, tensor, slot, handed):
    """``tensor.grad`` as the engine stores it: added to a gradient already there, else the
    array itself, or a private copy of it when it is a view or shared with another leaf."""
    g = rec.env[slot]
    copy = (g.base is not None or id(g) in handed or isinstance(g, np.generic)
            or not getattr(g.flags, "writeable", True))
    value = _leaf_value(tensor.grad, g, copy)
    handed.add(id(value))
    out = rec.new_slot(value)
    rec.storing = True
    try:
        tensor.grad = Tensor._wrap(value, False, None)
    finally:
        rec.storing = False

    def run(env):
        v = env[out] = _leaf_value(tensor.grad, env[slot], copy)
        tensor.grad = Tensor._wrap(v, False, None)
    rec.emit(run, Entry("leaf", reads=(slot,), writes=(out,), note=f"{_leaf_name(tensor)}.grad"))


def _leaf_value(current, g, copy):
    if current is not None:
        return np.asarray(current.array + g)
    return np.array(g, order="C") if copy else g


def _leaf_name(tensor):
    return tensor.name or f"leaf {tuple(tensor.shape)}"
