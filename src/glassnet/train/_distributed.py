"""What ``fit`` does differently when a process group of several ranks is initialised.

* the training data is sharded: each rank's DataLoader reads its own
  :class:`~glassnet.data.DistributedSampler` shard (the same batch size per rank, so the
  global batch is ``world_size × batch_size``), reshuffled each epoch with ``set_epoch``;
* the model is trained through :class:`~glassnet.nn.parallel.DistributedDataParallel`
  (gradients averaged over the ranks; the model passed to ``fit`` is the one updated);
* the epoch's loss and metrics are summed over every rank's samples (``Σ total / Σ
  count``), so every rank logs the numbers of the whole epoch;
* only rank 0 prints and writes checkpoints; validation runs whole on every rank (the
  weights are the same everywhere, so are the numbers).

With no process group, or a world of one, ``fit`` trains exactly as before.
"""

import numpy as np

from glassnet.autograd._tensor import Tensor
from glassnet.data import DataLoader, DistributedSampler
from glassnet.distributed import ReduceOp, all_reduce, get_rank, get_world_size, is_initialized
from glassnet.nn.parallel import DistributedDataParallel

__all__ = ["DistributedFit", "rank_and_world_size"]


class DistributedFit:
    """The process group as ``fit`` sees it: ``active`` when there are several ranks."""

    def __init__(self):
        self.active = is_initialized() and get_world_size() > 1
        self.rank = get_rank() if is_initialized() else 0
        self.writes = self.rank == 0

    def model(self, model):
        """The module to call in training steps: ``model`` wrapped for data parallelism
        (until :meth:`release`)."""
        self.wrapped = None
        if not self.active or isinstance(model, DistributedDataParallel):
            return model
        self.wrapped = DistributedDataParallel(model)
        return self.wrapped

    def release(self):
        """Unhook the wrapper made by :meth:`model`: the model trains alone again."""
        if self.wrapped is not None:
            self.wrapped.remove_gradient_hooks()

    def loader(self, loader, seed):
        """``loader`` reading only this rank's shard (unchanged when already sharded)."""
        if not self.active or isinstance(loader.sampler, DistributedSampler):
            return loader
        sampler = DistributedSampler(loader.dataset, shuffle=bool(loader.shuffle), seed=seed or 0)
        return DataLoader(loader.dataset, batch_size=loader.batch_size, sampler=sampler,
                          collate_fn=loader.collate_fn, drop_last=loader.drop_last)

    def start_epoch(self, loader, epoch):
        if isinstance(getattr(loader, "sampler", None), DistributedSampler):
            loader.sampler.set_epoch(epoch)

    def sum_meter(self, meter):
        """Replace ``meter``'s totals by their sums over every rank."""
        if not self.active:
            return
        names = list(meter.totals)
        values = [meter.loss_total, meter.count] + [x for name in names for x in meter.totals[name]]
        totals = Tensor(np.array(values, dtype=np.float64))
        all_reduce(totals, ReduceOp.SUM)
        meter.loss_total, meter.count = float(totals.array[0]), int(totals.array[1])
        for i, name in enumerate(names):
            meter.totals[name] = [float(totals.array[2 + 2 * i]), float(totals.array[3 + 2 * i])]


def rank_and_world_size():
    """``(rank, world_size)``: ``(0, 1)`` without a process group."""
    return (get_rank(), get_world_size()) if is_initialized() else (0, 1)
