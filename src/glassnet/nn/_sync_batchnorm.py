"""``nn.SyncBatchNorm``: batch norm whose statistics are those of the global batch, every
rank's samples together, when training under a process group of several ranks.

Under :class:`~glassnet.nn.parallel.DistributedDataParallel` a plain BatchNorm normalises
each rank's batch by that batch's own mean and variance (per-rank statistics). With N
ranks of ``n_q`` values per channel each (``n_q`` = batch × trailing axes; the ranks may
differ), SyncBatchNorm uses the statistics of all ``n = Σ_q n_q`` values::

    forward   one all-gather of each rank's (n_q, μ_q, M2_q = Σ (x − μ_q)²), then
              μ = Σ_q n_q·μ_q / n,   σ² = (Σ_q M2_q + Σ_q n_q·(μ_q − μ)²) / n
              (Chan's pairwise update: no cancellation of Σx² − n·μ²);
              y = γ·(x − μ)/√(σ² + ε) + β
    backward  one all-reduce of (Σ dy, Σ dy·(x − μ)) over every rank's values, then
              dx = (γ/σ)·(dy − Σ dy/n − x̂·Σ dy·x̂/n)
              dγ = Σ dy·x̂ and dβ = Σ dy over this rank's values (DDP averages them)

The running statistics move towards ``μ`` and the unbiased ``σ²·n/(n − 1)`` of the global
batch. In evaluation, and without a process group of more than one rank, it is exactly
:class:`~glassnet.nn.BatchNorm1d` / ``BatchNorm2d`` (PyTorch's behaviour).

A rank's input gradient is ``Σ_q ∂L_q/∂x`` (every rank's loss reaches this rank's inputs
through the shared statistics), PyTorch's convention: with losses that are means over
each rank's b samples it is N times the gradient of the mean over all N·b samples, and
DDP's average of the parameters' gradients is that gradient exactly.
"""

import math

import numpy as np

from glassnet._backend import to_numpy
from glassnet._errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.autograd._function import Function
from glassnet.distributed._collectives import ReduceOp, all_gather_rows, start_all_reduce
from glassnet.distributed._world import current_group, is_initialized
from glassnet.nn._batchnorm import _BatchNorm
from glassnet.ops._batchnorm import RunningStats, _channel_sum

__all__ = ["SyncBatchNorm", "sync_batch_norm"]


def _combine(stats, c):
    """The global (count, μ, σ²) from every rank's row ``(n_q, μ_q (C,), M2_q (C,))``."""
    counts, means, m2 = stats[:, 0], stats[:, 1:1 + c], stats[:, 1 + c:]
    total = counts.sum()
    mean = counts @ means / total
    spread = (means - mean) ** 2
    return total, mean, (m2.sum(axis=0) + counts @ spread) / total


class SyncBatchNormOp(Function):
    """Batch norm over every rank's batch of x (N, C, *) → y, same shape; γ, β (C,).

    Inputs: ``x`` then those named in ``parts`` ("weight", "bias"); ``group`` is the
    process group; ``running`` a :class:`~glassnet.ops._batchnorm.RunningStats` or None."""

    formula = "y = γ·(x − μ)/√(σ² + ε) + β, μ and σ² per channel over every rank's batch"
    grad_formulas = (
        "dx = (γ/σ)·(dy − Σ_ranks Σ dy/n − x̂·Σ_ranks Σ dy·x̂/n)",
        "dγ = Σ dy·x̂ (this rank's values)",
        "dβ = Σ dy (this rank's values)",
    )

    def forward(self, x, *rest, eps, parts, group, running=None):
        named = dict(zip(parts, rest, strict=True))
        n, c = x.shape[0], x.shape[1]
        self.c, self.m, self.shape = c, math.prod(x.shape[2:]), x.shape
        rows = np.ascontiguousarray(x).reshape(n, c * self.m)  # (N, C·M)
        count = n * self.m
        local_mean = _channel_sum(np, rows, c) / count if count else np.zeros(c, dtype=x.dtype)
        centred = rows - self._row(local_mean)
        local_m2 = _channel_sum(np, centred * centred, c)
        mine = np.concatenate([[count], local_mean, local_m2]).astype(np.float64)[None]
        stats = all_gather_rows(mine, [1] * group.size, "SyncBatchNorm statistics")
        total, mean, var = _combine(stats, c)
        if total <= 1:
            raise GlassnetValueError(f"SyncBatchNorm: expected more than 1 value per channel when "
                                     f"training, got {int(total)} over all {group.size} ranks")
        if running is not None:
            running.update(mean, var, total)
        mean, var = mean.astype(x.dtype), var.astype(x.dtype)
        centred = rows - self._row(mean)  # kept for backward: x̂ = (x − μ)·(1/σ)
        self.inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
        weight = named.get("weight")
        self.scale = self.inv_std if weight is None else weight * self.inv_std  # γ/σ
        self.centred, self.total, self.group = centred, total, group
        out = centred * self._row(self.scale)
        if "bias" in named:
            out += self._row(named["bias"])
        return out.reshape(x.shape)

    def _row(self, per_channel):
        """A (C,) vector laid out along one (C·M) row of the (N, C·M) view."""
        return per_channel if self.m == 1 else np.repeat(per_channel, self.m)

    def backward(self, g):
        centred, c = self.centred, self.c
        dy = np.ascontiguousarray(to_numpy(g)).reshape(centred.shape)
        local = np.concatenate([_channel_sum(np, dy, c), _channel_sum(np, dy * centred, c)])
        everyone = local.astype(np.float64)
        start_all_reduce(everyone, ReduceOp.SUM, self.group, "SyncBatchNorm gradient sums").wait()
        sum_dy, sum_dy_centred = everyone[:c] / self.total, everyone[c:] / self.total
        dx = dy - self._row(sum_dy.astype(dy.dtype))
        dx -= centred * self._row((self.inv_std ** 2 * sum_dy_centred).astype(dy.dtype))
        dx *= self._row(self.scale)
        grads = {"weight": local[c:] * self.inv_std, "bias": local[:c]}
        return (dx.reshape(self.shape), *(grads[p] for p in self.params["parts"]))


def sync_batch_norm(input, running_mean, running_var, weight, bias, momentum, eps):
    """Training-mode batch norm over every rank's batch (see the module docstring); the
    running statistics, when given, are updated in place."""
    group = current_group("SyncBatchNorm")
    tracked = running_mean is not None or running_var is not None
    running = RunningStats(None if running_mean is None else running_mean.array,
                           None if running_var is None else running_var.array,
                           momentum) if tracked else None
    named = {"weight": weight, "bias": bias}
    parts = tuple(k for k, v in named.items() if v is not None)
    return SyncBatchNormOp.apply(input, *(named[p] for p in parts), eps=eps, parts=parts, group=group,
                                 running=running)


class SyncBatchNorm(_BatchNorm):
    """Batch norm over (N, C, *) with the global batch's statistics across the ranks of the
    process group (PyTorch's ``nn.SyncBatchNorm``, same arguments as BatchNorm).

    Training under an initialised group of N > 1 ranks: μ and σ² of every rank's values
    per channel (the ranks' batch sizes may differ); otherwise, and in eval mode, exactly
    ``BatchNorm1d``/``BatchNorm2d``. Convert a model's BatchNorm layers with
    :meth:`convert_sync_batchnorm` before wrapping it in ``DistributedDataParallel``.
    Every rank must run the same SyncBatchNorm layers in each training step (each forward
    and backward is a collective).
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        if process_group is not None:
            raise GlassnetValueError("SyncBatchNorm: only the default process group "
                                     "(process_group=None) exists in glassnet")
        if device not in (None, "cpu"):
            raise GlassnetTypeError(f"SyncBatchNorm: device={device!r}; glassnet's ranks run on the "
                                    "host (leave device out)")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)

    _ndims = (2, 3, 4)  # BatchNorm's forward for these; more trailing axes are flattened first
    _layouts = "(N, C, *)"

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_features:
            raise ShapeError(f"SyncBatchNorm({self.num_features}): expected input (N, "
                             f"{self.num_features}, *), got {tuple(x.shape)}")
        if not (self.training and is_initialized() and current_group("SyncBatchNorm").size > 1):
            if x.ndim <= 4:
                return super().forward(x)
            shape = tuple(x.shape)  # (N, C, D, H, W): statistics over N and all trailing axes
            return super().forward(x.reshape(shape[0], shape[1], -1)).reshape(shape)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.array += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.array)
        return sync_batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                               momentum, self.eps)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm holding the same
        parameters, running statistics and training mode (PyTorch's recursion: a BatchNorm
        passed itself comes back converted)."""
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            if module.affine:
                converted.weight, converted.bias = module.weight, module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted.register_buffer(name, getattr(module, name))
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
