"""Reverse-mode differentiation: topological order, gradient flow, the one unbroadcast.

``run_backward(root, grad)`` walks the graph that :meth:`Function.apply` recorded, from
``root`` back to the leaves, calling each op's ``backward`` once with the sum of the
gradients that reached its output. Gradients of leaves accumulate into ``.grad``.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetError, GlassnetValueError
from glassnet.autograd._hooks import notify
from glassnet.autograd._inplace import live_versions, prepare_for_backward
from glassnet.autograd._mode import state

__all__ = ["as_grad_array", "run_backward", "seed_tensor", "unbroadcast"]


def unbroadcast(grad, shape, op_name="op"):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``.

    ``(3, 2) -> (2,)`` sums axis 0; ``(3, 2) -> (3, 1)`` sums axis 1 keeping it.
    Raises if the result still has the wrong shape (a bug in an op's backward).
    """
    shape = tuple(shape)
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(
        i for i, (g, s) in enumerate(zip(grad.shape, shape, strict=False)) if s == 1 and g != 1
    )
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise GlassnetError(
            f"backward of {op_name}: gradient of shape {grad.shape} does not fit its input "
            f"of shape {shape} (an op's backward is wrong)"
        )
    return grad


def _topological_order(roots):
    """Tensors that need a gradient, each after every tensor computed from them (``roots``:
    one tensor or a list).

    Depth-first post-order: a node is marked when it is expanded (not when it is first
    pushed), so it is emitted only after everything reachable from it.
    """
    order, expanded = [], set()
    stack = [(root, False) for root in (roots if isinstance(roots, list) else [roots])]
    push, pop, emit, mark = stack.append, stack.pop, order.append, expanded.add
    while stack:
        node, done = pop()
        if done:
            emit(node)
            continue
        key = id(node)
        if key in expanded:
            continue
        mark(key)
        op = node._ctx
        if op is None:  # a leaf: nothing below it
            emit(node)
            continue
        push((node, True))
        if live_versions:  # some array was changed in place: check, and follow recorded history
            prepare_for_backward(op, node)
        for parent, needed in zip(op.inputs, op.needs_grad, strict=True):
            if needed and id(parent) not in expanded:
                push((parent, False))
    order.reverse()
    return order


def _store_leaf_grad(tensor, grad, handed_out):
    """Accumulate into ``tensor.grad`` an array that no other tensor or caller shares.

    Ops may pass the same array to several inputs (``add``: dx = dy = dz) or return views
    and NumPy scalars; ``handed_out`` holds the ids of arrays already stored elsewhere.
    """
    if tensor.grad is not None:
        grad = namespace(grad).asarray(tensor.grad.array + grad)
    elif (grad.base is not None or id(grad) in handed_out or isinstance(grad, np.generic)
          or not getattr(grad.flags, "writeable", True)):
        grad = namespace(grad).array(grad, order="C")
    handed_out.add(id(grad))
    tensor.grad = _plain_tensor(grad)


def _plain_tensor(array):
    """``array`` as a plain Tensor without a graph: what ``.grad`` and a hook hold, also for a
    Parameter or another subclass (as PyTorch's ``p.grad`` is a Tensor, not a Parameter)."""
    global _Tensor
    if _Tensor is None:
        from glassnet.autograd._tensor import Tensor as _Tensor  # _tensor imports this module
    return _Tensor._wrap(array, False, None)


_Tensor = None


def run_backward(root, grad, retain_graph=False, targets=None, create_graph=False):
    """Propagate ``grad`` (an array shaped like ``root``) to every tensor feeding root.

    Without ``targets`` the gradients of leaves (and of tensors that ``retain_grad()``)
    accumulate into ``.grad``. With ``targets`` (a list of tensors) nothing is stored:
    the gradient reaching each target is returned (None where none arrives), and only the
    ops on a path to a target run. ``root`` and ``grad`` may be lists (several outputs).

    Each op's backward runs once per call; unless ``retain_graph``, the ops are then
    released, and a second backward through them raises (as PyTorch's does).

    With ``create_graph`` the seeds and every gradient are Tensors computed with Tensor ops
    (:mod:`glassnet.autograd._graph_mode`), so the gradients can be differentiated again."""
    roots, seeds = (root, grad) if isinstance(root, list) else ([root], [grad])
    pending = {}
    for r, g in zip(roots, seeds, strict=True):
        pending[id(r)] = pending[id(r)] + g if id(r) in pending else g
    handed_out = {id(g) for g in seeds}  # the seeds may be the caller's own arrays
    order = _topological_order(roots)
    wanted = None if targets is None else _leading_to(order, {id(t) for t in targets})
    captured = {}
    observed = state.slow_path
    for node in order:
        grad = pending.pop(id(node), None)
        if grad is None:
            continue
        if node._hooks is not None:
            grad = _run_hooks(node, grad, create_graph)
        op = node._ctx
        if op is not None:
            if op.released:
                raise GlassnetError(
                    f"backward: the graph through {op.name} was already used by a backward call; pass "
                    "retain_graph=True to the first backward to go through it again")
            if not retain_graph:
                op.released = True
        if wanted is not None:
            if id(node) in wanted["targets"]:
                captured[id(node)] = grad
            if op is None or id(node) not in wanted["below"]:
                continue
        elif op is None or node._retains_grad:
            (_store_leaf_tensor if create_graph else _store_leaf_grad)(node, grad, handed_out)
            if op is None:
                if node._post_accumulate_hooks is not None:
                    for hook in list(node._post_accumulate_hooks.values()):  # after .grad is accumulated
                        hook(node)
                continue
        if create_graph:
            _send_tensors_to_inputs(op, _graph_mode().tensor_backward(op, node, grad), pending)
            continue
        grads = op.run_backward(grad)
        if type(grads) is not tuple:
            grads = (grads,)
        if observed:
            notify(op, "backward", op.inputs, node, grad, grads)
        _send_to_inputs(op, grads, pending)
    if targets is not None:
        return [captured.get(id(t)) for t in targets]
    return None


def _leading_to(order, target_ids):
    """The ids of the nodes whose op must run for a gradient to reach a target: those with
    a target below them (``order`` lists every node before the nodes it was computed from)."""
    below = set()
    for node in reversed(order):
        op = node._ctx
        if op is not None and any(id(p) in target_ids or id(p) in below
                                  for p, needed in zip(op.inputs, op.needs_grad, strict=True) if needed):
            below.add(id(node))
    return {"targets": target_ids, "below": below}


def _run_hooks(node, grad, create_graph=False):
    """Call the tensor's hooks in order; a hook returning a tensor replaces the gradient."""
    for hook in node._hooks.values():
        result = hook(grad if create_graph else _plain_tensor(grad))
        if result is not None:
            grad = result if create_graph or not hasattr(result, "_ctx") else result.array
    return grad


def _graph_mode():
    """The Tensor-valued backward's module (it builds on Function, which imports Tensor,
    which imports this engine: imported when first needed)."""
    from glassnet.autograd import _graph_mode

    return _graph_mode


def _store_leaf_tensor(tensor, grad, handed_out):
    """``tensor.grad`` += a Tensor gradient with a graph (``create_graph=True``): kept as a
    Tensor, so ``x.grad`` can be differentiated; a gradient also handed elsewhere is cloned."""
    if tensor.grad is not None:
        grad = tensor.grad + grad
    elif id(grad) in handed_out:
        grad = grad.clone()
    handed_out.add(id(grad))
    tensor.grad = grad


def _send_tensors_to_inputs(op, grads, pending):
    """:func:`_send_to_inputs` for Tensor gradients: shapes and dtypes fitted with Tensor ops."""
    for parent, g, needed in zip(op.inputs, grads, op.needs_grad, strict=True):
        if not needed or g is None:
            continue
        if g.shape != parent.shape:
            g = _graph_mode().unbroadcast_tensor(g, parent.shape, op.name)
        if g.dtype != parent.dtype:
            g = g.astype(parent.dtype)
        key = id(parent)
        pending[key] = pending[key] + g if key in pending else g


def _send_to_inputs(op, grads, pending):
    """Reduce each input's gradient to its shape and dtype and add it to ``pending``."""
    for parent, g, needed in zip(op.inputs, grads, op.needs_grad, strict=True):
        if not needed or g is None:
            continue
        data = parent.array
        if g.shape != data.shape:
            g = unbroadcast(g, data.shape, op.name)
        if g.dtype is not data.dtype and g.dtype != data.dtype:
            g = g.astype(data.dtype)
        key = id(parent)
        if key in pending:
            pending[key] = pending[key] + g
        else:
            pending[key] = g


def as_grad_array(tensor, gradient):
    """The seed gradient for ``tensor.backward(gradient)``: ones for a scalar."""
    if gradient is None:
        if tensor.array.size != 1:
            raise GlassnetValueError(
                f"backward: called on a tensor of shape {tuple(tensor.shape)} without "
                "`gradient`; backward() needs a scalar (reduce it first, e.g. "
                "loss.sum() or loss.mean()) or an explicit gradient of the same shape"
            )
        xp = namespace(tensor.array)
        return xp.ones_like(tensor.array)
    g = gradient.array if hasattr(gradient, "_ctx") else gradient
    xp = namespace(tensor.array)
    g = xp.asarray(g, dtype=tensor.dtype)
    if g.shape != tensor.shape:
        raise GlassnetValueError(
            f"backward: gradient of shape {g.shape} does not match the tensor's shape "
            f"{tuple(tensor.shape)}"
        )
    return g


def seed_tensor(seed, gradient):
    """The seed of a ``create_graph`` backward as a Tensor: the caller's gradient tensor
    itself when it was one (its own graph carries on), else ``seed`` wrapped."""
    from glassnet.autograd._tensor import Tensor

    if isinstance(gradient, Tensor) and gradient.shape == seed.shape and gradient.dtype == seed.dtype:
        return gradient
    return Tensor._wrap(seed, False, None)
