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
    its own thread. Inputs: the split tensors that need gradients, then every tensor the
    shards' graphs share or reach as leaves (parameters; anything computed outside the
    module), where each shard's backward stops — the engine carries on from those once."""

    formula = "Y = concat(f(X₁), …, f(X_S))   (each shard X_s on its own thread)"
    grad_formulas = ("dX_s = shard s's backward of dY_s (threads in parallel)",
                     "dW = Σ_s dW_s   (the shards' gradients of each shared parameter)")

    def backward(self, g):
        xp, pieces, start = namespace(g), [], 0
        for size in self.sizes:
            pieces.append(g[(slice(None),) * self.out_axis + (slice(start, start + size),)])
            start += size

        def shard_backward(i):
            sink = {}
            if self.outputs[i]._requires_grad:
                run_backward(self.outputs[i], pieces[i], sink, self.stop)
            return sink

        sinks = run_shards(shard_backward, len(pieces), seeded=False)
        grads = [self._joined(xp, sinks, leaves, axis) for leaves, axis in self.shard_leaves]
        for t in self.inputs[len(self.shard_leaves):]:
            found = [sink[id(t)][1] for sink in sinks if id(t) in sink]
            grads.append(sum(found[1:], found[0]) if found else None)
        return tuple(grads)

    @staticmethod
    def _joined(xp, sinks, leaves, axis):
        """A split input's gradient: its shards' gradients side by side along ``axis``."""
        parts = [sink[id(leaf)][1] if id(leaf) in sink else xp.zeros(leaf.shape, dtype=leaf.dtype)
                 for sink, leaf in zip(sinks, leaves, strict=True)]
        return xp.concatenate(parts, axis=axis)


class DataParallel(Module):
    """Run ``module`` on shards of each batch in parallel threads (PyTorch's
    ``nn.DataParallel``, with CPU threads for devices).

    Args:
        module: the model; its parameters are shared by every shard (no copies).
        threads: shards per forward; ``None`` (default) uses as many as BLAS has threads
            (``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``), so one BLAS thread runs nothing
            in parallel. Never more shards than rows in the batch.
        dim: the batch axis (negative counts from the end) along which every tensor
            argument, positional or keyword, is split and the outputs are joined.

    The module must return one tensor with the shard's rows along ``dim`` (for
    ``nn.LSTM``, which returns ``(output, (h, c))``, wrap a module that returns the part
    you need; a time-major LSTM input has its batch at ``dim=1``). The state dict keys
    carry the ``module.`` prefix, as PyTorch's. The module runs unsharded while an
    observer (``gn.explain``) or anomaly detection is on, and on CuPy arrays (a GPU
    already runs each op in parallel).
    """

    def __init__(self, module, threads=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise GlassnetTypeError(
                f"DataParallel: expected an nn.Module to wrap, got {type(module).__name__}")
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise GlassnetValueError(f"DataParallel: threads must be a positive int or None, got {threads!r}")
        self.module, self.threads, self.dim = module, threads, int(dim)

    def forward(self, *args, **kwargs):
        tensors = {**{i: a for i, a in enumerate(args) if isinstance(a, Tensor)},
                   **{k: v for k, v in kwargs.items() if isinstance(v, Tensor)}}
        if not tensors:
            raise GlassnetTypeError("DataParallel: forward needs at least one tensor argument to split")
        batch = self._batch_size(tensors)
        n = min(self.threads or blas_threads(), batch)
        on_host = namespace(next(iter(tensors.values())).data).__name__ == "numpy"  # a GPU: one stream
        if n <= 1 or state.slow_path or not on_host:
            return self.module(*args, **kwargs)
        sizes = [batch // n + (s < batch % n) for s in range(n)]
        shards = {key: self._split(t, sizes) for key, t in tensors.items()}
        recording = is_grad_enabled()  # grad mode is per thread: the shards take the caller's

        def shard_forward(s):
            shard_args = [shards[i][s] if i in shards else a for i, a in enumerate(args)]
            shard_kwargs = {k: shards[k][s] if k in shards else v for k, v in kwargs.items()}
            with set_grad_enabled(recording):
                return self.module(*shard_args, **shard_kwargs)

        outputs = run_shards(shard_forward, n)
        needing = [key for key, t in tensors.items() if t._requires_grad]
        return self._join(outputs, sizes, [(shards[k], self._axis(tensors[k])) for k in needing],
                          [tensors[k] for k in needing], recording)

    def _axis(self, t):
        return self.dim % t.ndim

    @staticmethod
    def _name(key):
        return f"argument {key}" if isinstance(key, int) else f"argument {key!r}"

    def _batch_size(self, tensors):
        sizes = {}
        for key, t in tensors.items():
            if not -t.ndim <= self.dim < t.ndim:
                raise ShapeError(f"DataParallel: {self._name(key)} of shape {tuple(t.shape)} has no axis "
                                 f"dim={self.dim} to split the batch along")
            sizes[key] = t.shape[self._axis(t)]
        if len(set(sizes.values())) > 1:
            raise ShapeError(
                f"DataParallel: tensor arguments disagree on the batch size along dim={self.dim}: "
                + ", ".join(f"{self._name(k)} has {n}" for k, n in sizes.items()))
        return next(iter(sizes.values()))

    def _split(self, t, sizes):
        """Leaf tensors viewing consecutive blocks of ``t`` along the batch axis (needing a
        gradient if ``t`` does; the node hands their gradients back to ``t``)."""
        pieces, start, axis = [], 0, self._axis(t)
        for size in sizes:
            where = (slice(None),) * axis + (slice(start, start + size),)
            pieces.append(Tensor._wrap(t.data[where], t._requires_grad, None))
            start += size
        return pieces

    def _join(self, outputs, sizes, shard_leaves, split_inputs, recording):
        for s, out in enumerate(outputs):
            fits = isinstance(out, Tensor) and -out.ndim <= self.dim < out.ndim
            if not fits or out.shape[self._axis(out)] != sizes[s]:
                got = f"shape {tuple(out.shape)}" if isinstance(out, Tensor) else type(out).__name__
                raise GlassnetTypeError(
                    f"DataParallel: the module returned {got} for a shard of {sizes[s]} rows; it must return "
                    f"one tensor with the shard's rows along dim={self.dim} to join the shards")
        axis = self._axis(outputs[0])
        data = namespace(outputs[0].data).concatenate([o.data for o in outputs], axis=axis)
        if not (recording and any(o._requires_grad for o in outputs)):
            return Tensor._wrap(data, False, None)
        op = ShardedForward()
        op.params = {"dim": self.dim, "shards": len(sizes)}
        op.out_axis, op.sizes, op.outputs = axis, sizes, outputs
        op.shard_leaves = shard_leaves  # per split input: (its n shard leaves, its axis)
        own = {id(leaf) for leaves, _ in shard_leaves for leaf in leaves}
        op.stop, boundary = _boundary([o for o in outputs if o._requires_grad], own)
        op.inputs = (*split_inputs, *boundary)
        op.needs_grad = (True,) * len(op.inputs)
        return Tensor._wrap(data, True, op)

    def extra_repr(self):
        return f"threads={self.threads or 'BLAS threads'}, dim={self.dim}"


def _boundary(outputs, own):
    """Where the shards' backward passes stop: (ids of the non-leaf tensors that more than
    one shard's graph reaches — computed outside the shards, or cached by one shard and used
    by another — and the tensors the stopped walks end at: those and the leaves, except the
    shards' own input leaves). Each shard then back-propagates only through what it made."""
    seen = {}
    for out in outputs:
        for node in _topological_order(out):
            seen.setdefault(id(node), [node, 0])[1] += 1
    stop = frozenset(key for key, (node, count) in seen.items() if count > 1 and node._ctx is not None)
    if not stop:  # the usual case: the shards share only leaves (parameters), all reached already
        return stop, [node for key, (node, _) in seen.items() if node._ctx is None and key not in own]
    boundary = {}
    for out in outputs:  # walk again, stopping where the shards' graphs meet
        for node in _topological_order(out, stop):
            if (node._ctx is None or id(node) in stop) and id(node) not in own:
                boundary.setdefault(id(node), node)
    return stop, list(boundary.values())
