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

__all__ = ["run_backward", "unbroadcast"]


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


def _topological_order(root):
    """Tensors that need a gradient, each after every tensor computed from it.

    Depth-first post-order: a node is marked when it is expanded (not when it is first
    pushed), so it is emitted only after everything reachable from it.
    """
    order, expanded = [], set()
    stack = [(root, False)]
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
        grad = namespace(grad).asarray(tensor.grad.data + grad)
    elif (grad.base is not None or id(grad) in handed_out or isinstance(grad, np.generic)
          or not getattr(grad.flags, "writeable", True)):
        grad = namespace(grad).array(grad, order="C")
    handed_out.add(id(grad))
    tensor.grad = type(tensor)._wrap(grad, False, None)


def run_backward(root, grad, retain_graph=False):
    """Propagate ``grad`` (an array shaped like ``root``) to every tensor feeding root.

    Each op's backward runs once per call; unless ``retain_graph``, the ops are then
    released, and a second backward through them raises (as PyTorch's does)."""
    pending = {id(root): grad}
    handed_out = {id(grad)}  # the seed may be the caller's own array
    observed = state.slow_path
    for node in _topological_order(root):
        grad = pending.pop(id(node), None)
        if grad is None:
            continue
        op = node._ctx
        if op is not None:
            if op.released:
                raise GlassnetError(
                    f"backward: the graph through {op.name} was already used by a backward call; pass "
                    "retain_graph=True to the first backward to go through it again")
            if not retain_graph:
                op.released = True
        if op is None or node._retains_grad:
            _store_leaf_grad(node, grad, handed_out)
            if op is None:
                continue
        grads = op.backward(grad) if op.kernel is None else op.kernel.backward(op, grad)
        if type(grads) is not tuple:
            grads = (grads,)
        if observed:
            notify(op, "backward", op.inputs, node, grad, grads)
        _send_to_inputs(op, grads, pending)


def _send_to_inputs(op, grads, pending):
    """Reduce each input's gradient to its shape and dtype and add it to ``pending``."""
    for parent, g, needed in zip(op.inputs, grads, op.needs_grad, strict=True):
        if not needed or g is None:
            continue
        data = parent.data
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
        if tensor.data.size != 1:
            raise GlassnetValueError(
                f"backward: called on a tensor of shape {tuple(tensor.shape)} without "
                "`gradient`; backward() needs a scalar (reduce it first, e.g. "
                "loss.sum() or loss.mean()) or an explicit gradient of the same shape"
            )
        xp = namespace(tensor.data)
        return xp.ones_like(tensor.data)
    g = gradient.data if hasattr(gradient, "_ctx") else gradient
    xp = namespace(tensor.data)
    g = xp.asarray(g, dtype=tensor.dtype)
    if g.shape != tensor.shape:
        raise GlassnetValueError(
            f"backward: gradient of shape {g.shape} does not match the tensor's shape "
            f"{tuple(tensor.shape)}"
        )
    return g
