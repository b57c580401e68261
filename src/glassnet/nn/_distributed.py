"""``nn.parallel.DistributedDataParallel``: the same model on every rank, each rank a
different slice of the batch, gradients averaged so every rank takes the same step.

With N ranks, rank r computes the gradient ``g_r = ∂L_r/∂θ`` of the loss of its own
batch of b samples; DDP replaces it by the average ``ḡ = (1/N) Σ_r g_r`` before the
optimizer step. For a loss that is a mean over samples, ``ḡ`` is the gradient of the mean
over all N·b samples — N ranks × batch b train exactly as one process with batch N·b.

How the average is computed (PyTorch's design, on MPI):

* **Buckets.** The parameters, in reverse registration order (roughly the order their
  gradients appear in backward), are packed into buckets of at most ``bucket_cap_mb``
  megabytes; each bucket is one flat array and one all-reduce.
* **Overlap.** A hook on every parameter (``Tensor.register_hook``, so the autograd engine
  knows nothing of ranks) copies the parameter's gradient into its bucket; when a
  bucket is full its non-blocking all-reduce (``Iallreduce``) starts at once, while
  backward goes on computing the gradients of the layers below. Buckets are started in
  bucket order, so every rank issues the same all-reduces in the same order.
* **Completion in the last hook.** When the hook of the last parameter fires, every
  bucket has started; the hook waits for them, divides by N, and writes ``ḡ`` into each
  ``.grad``. The last parameter's average is returned from its hook, so the engine stores
  it (a hook runs before its gradient is accumulated). When ``loss.backward()`` returns,
  the gradients are averaged: no step in the optimizer or the training loop is needed.
* **Accumulation.** Inside ``with ddp.no_sync():`` forward and backward accumulate local
  gradients only; the next synchronised backward averages ``.grad + g`` (the accumulated
  sum), as PyTorch does.

Buffers (BatchNorm's running statistics) are rank 0's at wrap time and, with
``broadcast_buffers``, again before every synchronised forward that records gradients; batch
statistics are each rank's own (per-rank BatchNorm) unless the model's BatchNorm layers are
converted with ``nn.SyncBatchNorm.convert_sync_batchnorm(model)`` (the global batch's
statistics). Every parameter that requires a
gradient must receive one in each synchronised backward (PyTorch's default,
``find_unused_parameters=False``); a forward after an incomplete reduction names the
parameters that got none. ``autograd.grad`` through the wrapped model is not supported.
"""

import contextlib
import functools

import numpy as np

from glassnet._backend import namespace, to_numpy
from glassnet._errors import GlassnetError, GlassnetTypeError, GlassnetValueError
from glassnet.autograd._mode import is_grad_enabled
from glassnet.autograd._tensor import Tensor
from glassnet.distributed._collectives import ReduceOp, broadcast, start_all_reduce
from glassnet.distributed._world import current_group
from glassnet.nn._module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """Parameters whose gradients travel in one all-reduce: ``flat`` holds them end to end,
    ``views[i]`` is parameter ``i``'s slice shaped like the parameter."""

    def __init__(self, params, dtype):
        self.params = params
        self.flat = np.empty(sum(p.array.size for p in params), dtype=dtype)
        self.views, start = [], 0
        for p in params:
            self.views.append(self.flat[start:start + p.array.size].reshape(p.array.shape))
            start += p.array.size
        self.ready, self.work = 0, None


def _make_buckets(params, cap_bytes):
    """Pack ``params`` (in backward order) into buckets of one dtype and at most
    ``cap_bytes`` each (a parameter larger than the cap gets a bucket of its own)."""
    buckets, open_by_dtype, open_bytes = [], {}, {}
    for p in params:
        members = open_by_dtype.setdefault(p.dtype, [])
        if members and open_bytes[p.dtype] + p.array.nbytes > cap_bytes:
            buckets.append(_Bucket(members, p.dtype))
            members = open_by_dtype[p.dtype] = []
        open_bytes[p.dtype] = (open_bytes[p.dtype] if members else 0) + p.array.nbytes
        members.append(p)
    buckets += [_Bucket(members, dtype) for dtype, members in open_by_dtype.items() if members]
    return buckets


def _broadcast_coalesced(tensors, src=0):
    """Give every rank rank ``src``'s values of ``tensors``: one broadcast per dtype."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for group in by_dtype.values():
        flat = Tensor(np.concatenate([to_numpy(t.array).ravel() for t in group]))
        broadcast(flat, src)
        start = 0
        for t in group:
            t.array[...] = namespace(t.array).asarray(flat.array[start:start + t.array.size].reshape(t.shape))
            start += t.array.size


class _Reducer:
    """The gradient hooks and the buckets of one DistributedDataParallel."""

    def __init__(self, params, cap_bytes, group):
        self.group, self.buckets = group, _make_buckets(params[::-1], cap_bytes)
        self.expected = len(params)
        self.armed = None  # True: average in the next backward; False: no_sync; None: not prepared
        self._reset()
        self.handles = [p.register_hook(functools.partial(self._grad_ready, b, i))
                        for b, bucket in enumerate(self.buckets) for i, p in enumerate(bucket.params)]

    def prepare(self, sync):
        """Called by each forward that records gradients."""
        if self.seen:
            missing = [tuple(p.shape) for bucket in self.buckets for p in bucket.params
                       if id(p) not in self.seen]
            count = len(self.seen)
            self._reset()
            raise GlassnetError(
                f"DistributedDataParallel: the previous backward gave gradients to {count} of "
                f"{self.expected} parameters, so their average was never completed; every parameter "
                "that requires grad must take part in the loss (parameters without a gradient, by "
                f"shape: {missing[:8]}); freeze unused ones (requires_grad=False) before wrapping")
        self.armed = sync

    def _reset(self):
        self.seen, self.next_bucket, self.polled = set(), 0, 0
        for bucket in self.buckets:
            bucket.ready, bucket.work = 0, None

    def _grad_ready(self, b, i, grad):
        """Hook of parameter ``i`` of bucket ``b``: copy ``.grad + grad`` into the bucket."""
        if self.armed is None:
            raise GlassnetError(
                "DistributedDataParallel: backward reached the wrapped parameters without a forward "
                "through the DistributedDataParallel wrapper since the last averaged backward; call "
                "the wrapper (ddp(x)), not ddp.module, so every rank averages the same gradients")
        if not self.armed:
            return None
        bucket = self.buckets[b]
        p, view = bucket.params[i], bucket.views[i]
        if p.grad is None:
            view[...] = to_numpy(grad.array)
        else:
            np.add(to_numpy(p.grad.array), to_numpy(grad.array), out=view)
        bucket.ready += 1
        self.seen.add(id(p))
        self._start_full_buckets()
        if len(self.seen) < self.expected:
            self._progress()
            return None
        return self._finish(p, view)

    def _progress(self):
        """Poll the started all-reduces: MPI moves a non-blocking collective forward only
        inside MPI calls, so each hook lends it one, and the messages travel during backward."""
        while self.polled < self.next_bucket and self.buckets[self.polled].work.is_completed():
            self.polled += 1

    def _start_full_buckets(self):
        """Start the all-reduces of the full buckets, in bucket order (the same on every rank)."""
        while self.next_bucket < len(self.buckets):
            bucket = self.buckets[self.next_bucket]
            if bucket.ready < len(bucket.params):
                return
            bucket.work = start_all_reduce(bucket.flat, ReduceOp.AVG, self.group,
                                           f"DistributedDataParallel gradient bucket {self.next_bucket}")
            self.next_bucket += 1

    def _finish(self, last, last_view):
        """Wait for every bucket and write the averages into ``.grad``; the last parameter's
        average is returned to the engine, which stores it."""
        for bucket in self.buckets:
            bucket.work.wait()
        for bucket in self.buckets:
            for p, view in zip(bucket.params, bucket.views, strict=True):
                if p is last:
                    continue
                if p.grad is None:
                    p.grad = Tensor._wrap(namespace(p.array).array(view), False, None)
                else:
                    p.grad.array[...] = namespace(p.grad.array).asarray(view)
        last.grad = None  # the engine stores the returned average as the gradient
        self._reset()
        self.armed = None
        return namespace(last.array).asarray(last_view)


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training across the ranks of the process group.

    Args:
        module: the model (the same architecture on every rank; rank 0's parameters and
            buffers are copied to every rank now).
        device_ids, output_device, dim: accepted for PyTorch programs (host only).
        broadcast_buffers: copy rank 0's buffers to every rank before each forward that
            records gradients outside ``no_sync`` (PyTorch's default, True).
        bucket_cap_mb: the largest bucket of gradients averaged by one all-reduce, in MB.

    Shape: whatever ``module`` takes and returns. ``state_dict`` keys carry the
    ``module.`` prefix (``ddp.module.state_dict()`` gives the bare model's).

    Example::

        >>> import glassnet as gn, glassnet.distributed as dist
        >>> dist.init_process_group()
        >>> ddp = gn.nn.parallel.DistributedDataParallel(gn.nn.Linear(3, 2))
        >>> ddp(gn.ones(4, 3)).sum().backward()     # gradients averaged over the ranks
        >>> sorted(ddp.state_dict())
        ['module.bias', 'module.weight']
        >>> dist.destroy_process_group()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 bucket_cap_mb=25):
        super().__init__()
        if not isinstance(module, Module):
            raise GlassnetTypeError(
                f"DistributedDataParallel: expected an nn.Module to wrap, got {type(module).__name__}")
        for name, value in (("device_ids", device_ids), ("output_device", output_device)):
            values = value if isinstance(value, (list, tuple)) else [value]
            if any(v not in (None, "cpu", -1) for v in values):
                raise GlassnetTypeError(f"DistributedDataParallel: {name}={value!r} names a GPU; leave it "
                                        "out (one process per rank, each on the host)")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or not bucket_cap_mb > 0:
            raise GlassnetValueError(
                f"DistributedDataParallel: bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        group = current_group("DistributedDataParallel")
        self.module, self.dim, self.broadcast_buffers = module, int(dim), bool(broadcast_buffers)
        self.bucket_cap_mb = bucket_cap_mb
        self.__dict__["_require_sync"] = True
        params = list({id(p): p for p in module.parameters() if p.requires_grad}.values())
        if group.size > 1:
            _broadcast_coalesced(list(module.parameters()) + list(module.buffers()))
        self.__dict__["_reducer"] = _Reducer(params, bucket_cap_mb * 2**20, group)

    def forward(self, *args, **kwargs):
        if is_grad_enabled():
            self._reducer.prepare(self._require_sync)
            buffers = list(self.module.buffers())
            if self.broadcast_buffers and self._require_sync and buffers and self._reducer.group.size > 1:
                _broadcast_coalesced(buffers)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Forward and backward inside accumulate local gradients without averaging them;
        the first synchronised backward after it averages the accumulated sum."""
        previous = self._require_sync
        self.__dict__["_require_sync"] = False
        try:
            yield
        finally:
            self.__dict__["_require_sync"] = previous

    def remove_gradient_hooks(self):
        """Stop averaging: take the hooks off the wrapped parameters, so the module can be
        trained on its own again (``fit`` calls this when it ends)."""
        for handle in self._reducer.handles:
            handle.remove()
        self._reducer.handles = []

    def extra_repr(self):
        return f"world_size={self._reducer.group.size}, buckets={len(self._reducer.buckets)}"
