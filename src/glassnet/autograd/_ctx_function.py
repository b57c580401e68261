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

A ``forward`` may return a tuple: ``backward`` then receives one gradient per output
(zeros for an output nobody used, or None after ``ctx.set_materialize_grads(False)``).
The engine knows one output per node, so the node's output is a packed stand-in of all
the differentiable outputs' sizes (a zero-stride view: no memory), and each output is
linked to it by an :class:`~glassnet.autograd._ctx_outputs.OutputPart` that puts its
gradient in its slot (see that module). Outputs that are integers, or marked with
``ctx.mark_non_differentiable``, are returned without a graph, as PyTorch does.
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._inplace import live_versions, version_of
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
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx = FunctionCtx(needs)
    with no_grad():
        if _separate_setup(cls):  # PyTorch ≥ 2.0: forward(*args), then setup_context(ctx, inputs, output)
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args, **kwargs)
    if isinstance(out, (tuple, list)):
        return _link_outputs(cls, ctx, args, tuple(out))
    if not isinstance(out, Tensor):
        raise GlassnetTypeError(
            f"{cls.__name__}.forward returned {type(out).__name__}; a custom function returns a tensor "
            "or a tuple of them")
    if not (grad_mode.enabled and any(needs)) or _is_in(out, ctx.non_differentiable):
        return out
    node, dirty = _node(cls, ctx, args)
    if _is_in(out, dirty):
        out._ctx, out._requires_grad = node, True
        out._bump_version()
        return out
    return Tensor._wrap(out.array, True, node)


def _separate_setup(cls):
    """Whether ``cls`` (or a base of it below Function) defines ``setup_context``."""
    return any("setup_context" in vars(k) for k in cls.__mro__ if k.__module__ != __name__
               and not k.__module__.startswith("glassnet.autograd"))


def _is_in(tensor, tensors):
    return any(tensor is t for t in tensors)


def _node(cls, ctx, args):
    """The graph node of one call: the user's ctx, its tensor inputs (an input changed in
    place stands in the graph as it was — its old history; the tensor itself becomes this
    node's output, as PyTorch's mark_dirty does) and the arrays it saved (so that a change
    in place to one of them makes backward raise, as PyTorch's version counter does)."""
    tensors = [a for a in args if isinstance(a, Tensor)]
    dirty = [t for t in tensors if _is_in(t, ctx.dirty)]
    node = cls()
    node.params = {}
    node.ctx, node.arg_slots = ctx, [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    node.inputs = tuple(Tensor._wrap(t.array, t._requires_grad, t._ctx) if _is_in(t, dirty) else t
                        for t in tensors)
    node.needs_grad = tuple(t.requires_grad for t in tensors)
    if live_versions:  # the versions its inputs had, which backward compares with theirs then
        node.versions = tuple(version_of(t) for t in tensors)
    node.saved_arrays = tuple(t.array for t in ctx.saved_tensors if isinstance(t, Tensor))
    node.layout = None
    return node, dirty


def _differentiable(out, ctx):
    return isinstance(out, Tensor) and out.dtype.kind in "fc" and not _is_in(out, ctx.non_differentiable)


def _link_outputs(cls, ctx, args, outs):
    """Several outputs: each differentiable one linked to the node through its slot."""
    slots = [i for i, o in enumerate(outs) if _differentiable(o, ctx)]
    if not (grad_mode.enabled and any(ctx.needs_input_grad)) or not slots:
        return outs
    node, dirty = _node(cls, ctx, args)
    if any(_is_in(o, dirty) for o in outs):
        raise GlassnetValueError(
            f"{cls.__name__}: mark_dirty on an input that forward returns among several outputs is not "
            "supported by glassnet; return the changed input alone, or return a copy (x.clone())")
    from glassnet.autograd._ctx_outputs import link_parts  # needs Function, which imports this module

    return link_parts(node, outs, slots)


def backward_ctx_style(node, grad):
    """The user's ``backward(ctx, *grad_outputs)`` → one array (or None) per tensor input."""
    grads_out = (Tensor._wrap(grad, False, None),) if node.layout is None else _unpacked(node, grad)
    with no_grad():
        grads = type(node).backward(node.ctx, *grads_out)
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


def _unpacked(node, packed):
    """One gradient per forward output, cut from the packed gradient: the slot's values
    for an output that received one; zeros (or None without materialising) for the others,
    and for outputs that are not differentiable."""
    materialize = node.ctx.materialize_grads
    grads = []
    for i, out in enumerate(node.layout.outputs):
        part = node.layout.slots.get(i)
        if part is not None and i in node.layout.received:
            start, stop = part
            array = packed[start:stop].reshape(out.shape).astype(out.dtype, copy=False)
            grads.append(Tensor._wrap(array, False, None))
        elif materialize and isinstance(out, Tensor):
            grads.append(Tensor._wrap(namespace(out.array).zeros(out.shape, dtype=out.dtype), False, None))
        else:
            grads.append(None)
    node.layout.received.clear()
    return tuple(grads)

