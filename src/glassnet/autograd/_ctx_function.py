"""PyTorch-style custom functions: ``forward(ctx, ...)`` and ``backward(ctx, ...)`` as
static methods on Tensors, underneath glassnet's own primitive protocol.

A subclass of :class:`~glassnet.autograd.Function` whose ``forward`` is a
``@staticmethod`` is taken to be written PyTorch's way::

    class Square(gn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output

``Square.apply(x)`` runs ``forward`` with recording off, then links the output to one
graph node whose backward calls the user's ``backward`` (recording off) and hands its
tensors to the engine as arrays.
"""

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._mode import grad_mode, no_grad
from glassnet.autograd._tensor import Tensor

__all__ = ["FunctionCtx", "apply_ctx_style"]


class FunctionCtx:
    """What ``forward`` and ``backward`` share (PyTorch's ``ctx``)."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()
        self.materialize_grads = True
        self.dirty = ()
        self.non_differentiable = ()

    def save_for_backward(self, *tensors):
        self.saved_tensors = tuple(tensors)

    def mark_dirty(self, *tensors):
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


def apply_ctx_style(cls, args, kwargs):
    """Run ``cls.forward(ctx, *args)`` and record one node whose backward is the user's."""
    tensors = [a for a in args if isinstance(a, Tensor)]
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx = FunctionCtx(needs)
    with no_grad():
        out = cls.forward(ctx, *args, **kwargs)
    if not isinstance(out, Tensor):
        raise GlassnetTypeError(
            f"{cls.__name__}.forward returned {type(out).__name__}; glassnet's custom functions return "
            "one tensor (return a tuple's parts from separate functions)")
    if not (grad_mode.enabled and any(needs)) or any(out is t for t in ctx.non_differentiable):
        return out
    node = cls()
    node.params = {}
    node.ctx, node.arg_slots = ctx, [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    dirty = [t for t in tensors if any(t is d for d in ctx.dirty)]
    # an input changed in place stands in the graph as it was (its old history); the
    # tensor itself becomes this node's output, as PyTorch's mark_dirty does
    node.inputs = tuple(Tensor._wrap(t.array, t._requires_grad, t._ctx) if t in dirty else t for t in tensors)
    node.needs_grad = tuple(t.requires_grad for t in tensors)
    if any(out is t for t in dirty):
        out._ctx, out._requires_grad = node, True
        out._bump_version()
        return out
    return Tensor._wrap(out.array, True, node)


def backward_ctx_style(node, grad):
    """The user's ``backward(ctx, grad_output)`` → one array (or None) per tensor input."""
    with no_grad():
        grads = type(node).backward(node.ctx, Tensor._wrap(grad, False, None))
    grads = grads if isinstance(grads, tuple) else (grads,)
    n_args = len(node.ctx.needs_input_grad)
    if len(grads) != n_args:
        raise GlassnetValueError(
            f"{type(node).__name__}.backward returned {len(grads)} gradients; forward took {n_args} "
            "arguments, so it must return one per argument (None for those without a gradient)")
    arrays = []
    for slot in node.arg_slots:
        g = grads[slot]
        arrays.append(None if g is None else (g.array if isinstance(g, Tensor) else g))
    return tuple(arrays)
