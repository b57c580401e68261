"""The graph node of one checkpointed call: ``y = f(x, θ)`` kept as ``x`` and ``θ`` only.

Forward runs ``f`` with recording off, so none of its intermediate activations outlive the
call, while an observer notes every tensor requiring grad that ``f``'s ops read: the
arguments and what ``f`` reaches on its own (a module's parameters, a tensor it closes
over). These *externals* ``e`` become the inputs of one :class:`CheckpointFunction` node.
Its backward puts the random generator back where forward found it, runs ``f`` again with
recording on, and backpropagates ``∂L/∂y`` through that recomputed graph to the externals:
``∂L/∂e = (∂y/∂e)ᵀ·∂L/∂y``. For that inner backward each external is cut from its own
history (its ``grad_fn`` and hooks set aside, then put back), so the inner walk stops at
the checkpoint's boundary and the outer backward carries each gradient on from there.
"""

import threading
from contextlib import nullcontext

from glassnet._backend import default_generator
from glassnet._errors import GlassnetError
from glassnet.autograd import Function, enable_grad, is_grad_enabled, no_grad, observe
from glassnet.autograd._engine import run_backward
from glassnet.autograd._function import OpName
from glassnet.autograd._tensor import Tensor

__all__ = ["CheckpointFunction", "run_checkpointed"]


def run_checkpointed(function, args, kwargs, preserve_rng_state=True, context_fn=None,
                     determinism_check="default"):
    """``function(*args, **kwargs)`` with only its inputs kept for backward (see the module)."""
    forward_context, recompute_context = context_fn() if context_fn is not None else (nullcontext(),) * 2
    call = _Call(function, args, kwargs, recompute_context, determinism_check == "default")
    call.rng_state = default_generator().get_state() if preserve_rng_state else None
    reads = _Reads(threading.get_ident())
    with no_grad(), observe(reads), forward_context:
        out = function(*args, **kwargs)
    top = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor) and a.requires_grad]
    externals = _unique(top + reads.tensors)
    leaves, rebuild = _flatten(out)
    tensors = [leaf for leaf in leaves if isinstance(leaf, Tensor)]
    if not externals or not tensors:
        return out
    call.metas = [_meta(leaf) for leaf in leaves]
    call.outputs = tensors[0] if len(tensors) == 1 else tuple(tensors)
    linked = CheckpointFunction.apply(call, *externals)
    linked = iter(linked if isinstance(linked, tuple) else (linked,))
    return rebuild([next(linked) if isinstance(leaf, Tensor) else leaf for leaf in leaves])


class _Call:
    """What backward needs to run the function again (never its outputs' values)."""

    outputs = None
    metas = ()
    rng_state = None

    def __init__(self, function, args, kwargs, recompute_context, check):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.recompute_context, self.check = recompute_context, check

    def recompute(self):
        """The function's outputs again, recorded, drawing the random numbers forward drew."""
        generator = default_generator()
        now = generator.get_state() if self.rng_state is not None else None
        if self.rng_state is not None:
            generator.set_state(self.rng_state)
        try:
            with enable_grad(), self.recompute_context:
                out = self.function(*self.args, **self.kwargs)
        finally:
            if now is not None:
                generator.set_state(now)
        leaves, _ = _flatten(out)
        if self.check:
            self._same_as_forward(leaves)
        return [leaf for leaf in leaves if isinstance(leaf, Tensor)]

    def _same_as_forward(self, leaves):
        again = [_meta(leaf) for leaf in leaves]
        if again != self.metas:
            name = getattr(self.function, "__name__", type(self.function).__name__)
            raise GlassnetError(
                f"checkpoint: recomputing {name} in backward gave outputs {again} (shape, dtype), but "
                f"forward gave {self.metas}; the function must compute the same thing both times (did a "
                "global it reads change?) — pass determinism_check='none' to skip this check")


class _Reads:
    """Observer: the tensors requiring grad that ops of this thread read."""

    def __init__(self, thread):
        self.thread, self.tensors, self.ids = thread, [], set()

    def __call__(self, event):
        if event.phase != "forward" or threading.get_ident() != self.thread:
            return
        for t in event.inputs:
            if getattr(t, "_requires_grad", False) and id(t) not in self.ids:
                self.ids.add(id(t))
                self.tensors.append(t)


class CheckpointFunction(Function):
    """``y = f(e)`` recorded as one node; ``∂L/∂e`` from ``f`` run again in backward."""

    formula = "y = f(x, θ) (recomputed in backward)"
    grad_formulas = ("∂L/∂e = (∂f/∂e)ᵀ·∂L/∂y for each input and parameter e, through f run again",)

    @property
    def name(self):
        return OpName("checkpointFunction")

    @staticmethod
    def forward(ctx, call, *externals):
        ctx.call = call
        ctx.save_for_backward(*externals)
        outputs, call.outputs = call.outputs, None
        tensors = outputs if isinstance(outputs, tuple) else (outputs,)
        ctx.mark_non_differentiable(*[t for t in tensors if t.dtype.kind not in "fc"])
        ctx.set_materialize_grads(False)
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        create_graph = is_grad_enabled()  # on only under backward(create_graph=True)
        externals = ctx.saved_tensors
        cut = [(t, t._ctx, t._hooks) for t in externals]
        try:
            for t in externals:
                t._ctx = t._hooks = None
            outs = ctx.call.recompute()
            pairs = [(y, g) for y, g in zip(outs, grads, strict=True) if g is not None and y.requires_grad]
            _check_reach([y for y, _ in pairs], externals)
            if not pairs:
                return (None,) * (1 + len(externals))
            seeds = [g if create_graph else g.array for _, g in pairs]
            found = run_backward([y for y, _ in pairs], seeds, create_graph, list(externals), create_graph)
        finally:
            for t, grad_fn, hooks in cut:
                t._ctx, t._hooks = grad_fn, hooks
        return (None, *found)


def _check_reach(roots, externals):
    """Raise if the recomputed outputs depend on a tensor requiring grad that forward did not
    see (its gradient would be lost): read outside glassnet's ops, e.g. through ``.numpy()``."""
    boundary = {id(t) for t in externals}
    stack, seen = list(roots), set()
    while stack:
        t = stack.pop()
        if id(t) in seen or id(t) in boundary:
            continue
        seen.add(id(t))
        op = t._ctx
        if op is None:
            raise GlassnetError(
                f"checkpoint: in backward the recomputed outputs depend on a tensor of shape "
                f"{tuple(t.shape)} requiring grad that the forward run did not read with glassnet ops, so "
                "its gradient cannot reach it; pass it as an argument of the checkpointed function")
        stack.extend(p for p, needed in zip(op.inputs, op.needs_grad, strict=True) if needed)


def _unique(tensors):
    seen = set()
    return [t for t in tensors if not (id(t) in seen or seen.add(id(t)))]


def _meta(leaf):
    return (tuple(leaf.shape), str(leaf.dtype)) if isinstance(leaf, Tensor) else type(leaf).__name__


def _flatten(value):
    """``value``'s leaves (tuples, named tuples, lists and dicts opened) and a function that
    rebuilds it."""
    if isinstance(value, (tuple, list)):
        parts = [_flatten(v) for v in value]
        kind = type(value)
        return _joined(parts, lambda items: kind(*items) if hasattr(kind, "_fields") else kind(items))
    if isinstance(value, dict):
        keys = list(value)
        parts = [_flatten(value[k]) for k in keys]
        kind = type(value)
        return _joined(parts, lambda items: kind(zip(keys, items, strict=True)))
    return [value], lambda leaves: leaves[0]


def _joined(parts, make):
    leaves, sizes = [], []
    for part_leaves, _ in parts:
        leaves.extend(part_leaves)
        sizes.append(len(part_leaves))

    def rebuild(new_leaves):
        items, start = [], 0
        for (_, part_rebuild), n in zip(parts, sizes, strict=True):
            items.append(part_rebuild(new_leaves[start:start + n]))
            start += n
        return make(items)

    return leaves, rebuild
