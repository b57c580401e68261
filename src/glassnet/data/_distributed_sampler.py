"""``DistributedSampler``: each rank reads its own disjoint shard of the dataset per epoch.

PyTorch's rules, index for index. With n samples and N ranks:

* without ``drop_last``: each rank reads ``m = ⌈n / N⌉`` samples; the epoch's order
  (``0 … n−1``, or a permutation seeded with ``seed + epoch``) is padded to ``N·m`` by
  repeating its start, so a few samples are read twice;
* with ``drop_last``: each rank reads ``m = ⌊n / N⌋`` samples (PyTorch writes
  ``⌈(n − N) / N⌉``); the order's tail is dropped;
* rank r reads positions ``r, r + N, r + 2N, …`` of that order.

Every rank must use the same ``seed`` and call ``set_epoch(epoch)`` before each epoch, so
all ranks cut the same permutation. The permutation comes from NumPy's generator, not
PyTorch's, so the shuffled numbers differ from PyTorch's; the padding, dropping and
striding are PyTorch's (checked against ``torch.utils.data.DistributedSampler``).
"""

import math

import numpy as np

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.data._sampler import Sampler
from glassnet.distributed._world import current_group

__all__ = ["DistributedSampler", "shard_indices"]


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def shard_indices(order, num_replicas, rank, drop_last):
    """The part of the epoch's ``order`` (1-D array of n indices) that ``rank`` reads:
    padded (repeating its start) or cut to a multiple of ``num_replicas``, then every
    ``num_replicas``-th position starting at ``rank``."""
    n = len(order)
    per_rank = n // num_replicas if drop_last else math.ceil(n / num_replicas)
    total = per_rank * num_replicas
    if total > n:
        order = np.resize(order, total)  # repeats order from its start: PyTorch's padding
    return order[rank:total:num_replicas]


class DistributedSampler(Sampler):
    """Indices of this rank's shard of ``dataset`` for the current epoch.

    Args:
        dataset: anything with ``len``.
        num_replicas, rank: the world size and this rank (default: the process group's).
        shuffle: draw a new permutation each epoch, seeded with ``seed + epoch``.
        seed: the same on every rank.
        drop_last: drop the tail instead of repeating samples to even out the shards.

    Example::

        >>> s = DistributedSampler(range(10), num_replicas=4, rank=1, shuffle=False)
        >>> list(s), len(s)
        ([1, 5, 9], 3)
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        super().__init__()
        if num_replicas is None:
            num_replicas = current_group("DistributedSampler (num_replicas=None)").size
        if rank is None:
            rank = current_group("DistributedSampler (rank=None)").rank
        if not _is_int(num_replicas) or num_replicas < 1:
            raise GlassnetValueError(
                f"DistributedSampler: num_replicas must be an int ≥ 1, got {num_replicas!r}")
        if not _is_int(rank) or not 0 <= rank < num_replicas:
            raise GlassnetValueError(
                f"DistributedSampler: Invalid rank {rank}, rank should be in the interval "
                f"[0, {num_replicas - 1}]")
        if not _is_int(seed):
            raise GlassnetTypeError(f"DistributedSampler: seed must be an int, got {seed!r}")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = bool(shuffle), int(seed), bool(drop_last), 0
        n = len(dataset)
        self.num_samples = n // self.num_replicas if self.drop_last else math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch):
        """Use the permutation of ``epoch`` from now on (call it on every rank, every epoch)."""
        if not _is_int(epoch):
            raise GlassnetTypeError(f"DistributedSampler.set_epoch: epoch must be an int, got {epoch!r}")
        self.epoch = int(epoch)

    def indices(self):
        """This rank's indices for the current epoch, as a NumPy int array."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        return shard_indices(order, self.num_replicas, self.rank, self.drop_last)

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self):
        return self.num_samples
