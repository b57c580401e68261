"""DataParallel: one module, its batch split into shards that run on separate CPU threads.

``nn.DataParallel(model)`` is used like ``model``. Each forward splits the batch (axis
``dim`` of every tensor argument) into one shard per thread, runs ``model`` on each
shard in its own thread and joins the outputs along ``dim``; backward runs each shard's
graph in its own thread again and adds the shards' parameter gradients. In matrices: a
layer's ``Z = X·Wᵀ`` becomes ``Z_s = X_s·Wᵀ`` for the row blocks ``X_s`` of ``X``, and
``dW = Σ_s dZ_sᵀ·X_s`` — the same sum one GEMM forms, in blocks.

Why threads: NumPy computes its elementwise work (activations, pooling, im2col copies) on
one core; only BLAS uses more. Shards keep every core busy for the whole step (BLAS is
held to one thread per shard while they run; see :mod:`glassnet._threads`).

Differences from the unsharded module, as in PyTorch's ``DataParallel``: BatchNorm
normalises each shard with that shard's statistics and only shard 0 updates the running
statistics; random draws (dropout) come from per-shard generators seeded from the global
one, so results are reproducible under ``gn.manual_seed`` but differ from an unsharded run.
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet._threads import blas_threads, run_shards
from glassnet.autograd._engine import _topological_order, run_backward
from glassnet.autograd._function import Function
from glassnet.autograd._mode import is_grad_enabled, set_grad_enabled, state
from glassnet.autograd._tensor import Tensor
from glassnet.nn._module import Module

__all__ = ["DataParallel"]


class ShardedForward(Function):
    """The node joining the shards' outputs; its backward runs each shard's backward in
    its own thread. Inputs: the split tensors that need gradients, then every other leaf
    (parameters) the shards' graphs reach."""

    formula = "Y = concat(f(X₁), …, f(X_S))   (each shard X_s on its own thread)"
    grad_formulas = ("dX_s = shard s's backward of dY_s (threads in parallel)",
                     "dW = Σ_s dW_s   (the shards' gradients of each shared parameter)")

    def backward(self, g):
        xp, pieces, start = namespace(g), [], 0
        for size in self.sizes:
            pieces.append(g[(slice(None),) * self.dim + (slice(start, start + size),)])
            start += size

        def shard_backward(i):
            sink = {}
            if self.outputs[i]._requires_grad:
                run_backward(self.outputs[i], pieces[i], sink)
            return sink

        sinks = run_shards(shard_backward, len(pieces))
        grads = [self._joined(xp, sinks, leaves) for leaves in self.shard_leaves]
        for leaf in self.inputs[len(self.shard_leaves):]:
            found = [sink[id(leaf)][1] for sink in sinks if id(leaf) in sink]
            grads.append(None if not found else _total(found))
        return tuple(grads)

    def _joined(self, xp, sinks, leaves):
        """The split input's gradient: its shards' gradients side by side along ``dim``."""
        parts = [sink[id(leaf)][1] if id(leaf) in sink else xp.zeros(leaf.shape, dtype=leaf.dtype)
                 for sink, leaf in zip(sinks, leaves, strict=True)]
        return xp.concatenate(parts, axis=self.dim)


def _total(arrays):
    total = arrays[0]
    for a in arrays[1:]:
        total = total + a
    return total


class DataParallel(Module):
    """Run ``module`` on shards of each batch in parallel threads (PyTorch's
    ``nn.DataParallel``, with CPU threads for devices).

    Args:
        module: the model; its parameters are shared by every shard (no copies).
        threads: shards per forward; ``None`` (default) uses as many as BLAS has threads
            (``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``), so one BLAS thread runs nothing
            in parallel. Never more shards than rows in the batch.
        dim: the batch axis that tensor arguments are split along and outputs joined on.

    The state dict keys carry the ``module.`` prefix, as PyTorch's. The module runs
    unsharded while an observer (``gn.explain``) or anomaly detection is on, and on CuPy
    arrays (a GPU already runs each op in parallel).
    """

    def __init__(self, module, threads=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise GlassnetTypeError(
                f"DataParallel: expected an nn.Module to wrap, got {type(module).__name__}")
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise GlassnetValueError(f"DataParallel: threads must be a positive int or None, got {threads!r}")
        self.module, self.threads, self.dim = module, threads, int(dim)

    def forward(self, *inputs, **kwargs):
        split_at = [i for i, a in enumerate(inputs) if isinstance(a, Tensor)]
        if not split_at:
            raise GlassnetTypeError("DataParallel: forward needs at least one tensor argument to split")
        batch = self._batch_size(inputs, split_at)
        n = min(self.threads or blas_threads(), batch)
        on_host = namespace(inputs[split_at[0]].data).__name__ == "numpy"  # a GPU runs one stream
        if n <= 1 or state.slow_path or not on_host:
            return self.module(*inputs, **kwargs)
        sizes = [batch // n + (s < batch % n) for s in range(n)]
        shards = {i: self._split(inputs[i], sizes) for i in split_at}
        recording = is_grad_enabled()  # grad mode is per thread: the shards take the caller's

        def shard_forward(s):
            args = [shards[i][s] if i in shards else a for i, a in enumerate(inputs)]
            with set_grad_enabled(recording):
                return self.module(*args, **kwargs)

        outputs = run_shards(shard_forward, n)
        return self._join(outputs, sizes, [shards[i] for i in split_at if inputs[i]._requires_grad],
                          [inputs[i] for i in split_at if inputs[i]._requires_grad], recording)

    def _batch_size(self, inputs, split_at):
        sizes = {}
        for i in split_at:
            t = inputs[i]
            if t.ndim <= self.dim:
                raise ShapeError(f"DataParallel: argument {i} of shape {tuple(t.shape)} has no axis "
                                 f"dim={self.dim} to split the batch along")
            sizes[i] = t.shape[self.dim]
        if len(set(sizes.values())) > 1:
            raise ShapeError(
                f"DataParallel: tensor arguments disagree on the batch size along dim={self.dim}: "
                + ", ".join(f"argument {i} has {n}" for i, n in sizes.items()))
        return next(iter(sizes.values()))

    def _split(self, t, sizes):
        """Leaf tensors viewing consecutive row blocks of ``t`` (needing a gradient if
        ``t`` does; the node hands their gradients back to ``t``)."""
        pieces, start = [], 0
        for size in sizes:
            where = (slice(None),) * self.dim + (slice(start, start + size),)
            pieces.append(Tensor._wrap(t.data[where], t._requires_grad, None))
            start += size
        return pieces

    def _join(self, outputs, sizes, shard_leaves, split_inputs, recording):
        for s, out in enumerate(outputs):
            if not isinstance(out, Tensor) or out.ndim <= self.dim or out.shape[self.dim] != sizes[s]:
                got = type(out).__name__ if not isinstance(out, Tensor) else f"shape {tuple(out.shape)}"
                raise GlassnetTypeError(
                    f"DataParallel: the module returned {got} for a shard of {sizes[s]} rows; it must return "
                    f"one tensor with the shard's rows along dim={self.dim} to join the shards")
        data = namespace(outputs[0].data).concatenate([o.data for o in outputs], axis=self.dim)
        if not (recording and any(o._requires_grad for o in outputs)):
            return Tensor._wrap(data, False, None)
        own = {id(leaf) for leaves in shard_leaves for leaf in leaves}
        others = {}
        for out in outputs:
            if out._requires_grad:
                for node in _topological_order(out):
                    if node._ctx is None and id(node) not in own:
                        others.setdefault(id(node), node)
        op = ShardedForward()
        op.params = {"dim": self.dim, "shards": len(sizes)}
        op.dim, op.sizes, op.outputs = self.dim, sizes, outputs
        op.shard_leaves = shard_leaves  # per split input: its n shard leaves
        op.inputs = (*split_inputs, *others.values())
        op.needs_grad = (True,) * len(op.inputs)
        return Tensor._wrap(data, True, op)

    def extra_repr(self):
        return f"threads={self.threads or 'BLAS threads'}, dim={self.dim}"
