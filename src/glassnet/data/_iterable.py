"""Iterable-style datasets and dataset concatenation (``torch.utils.data`` names).

A map-style dataset answers ``ds[i]``; an :class:`IterableDataset` only streams its
samples (``for sample in ds``), e.g. lines of a file too large to index. A DataLoader
batches a stream in arrival order: no sampler, no shuffle.
"""

import bisect

import numpy as np

from glassnet._errors import GlassnetIndexError, GlassnetTypeError, GlassnetValueError
from glassnet.data._dataset import Dataset

__all__ = ["ConcatDataset", "IterableDataset"]


class IterableDataset:
    """Base class of streamed datasets: subclasses define ``__iter__`` (and, if they know
    it, ``__len__``). ``DataLoader(ds, batch_size=b)`` gives lists of ``b`` samples collated
    in the order ``__iter__`` yields them."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        raise GlassnetTypeError(
            f"{type(self).__name__}: iterable datasets cannot be concatenated with +; "
            "chain them in your own __iter__ (itertools.chain)")


class ConcatDataset(Dataset):
    """The samples of several map-style datasets one after another:
    ``len = Σ len(dᵢ)``; index ``i`` falls in the first dataset whose running total
    exceeds it."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise GlassnetValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise GlassnetTypeError(
                    "ConcatDataset: does not support IterableDataset (it has no length or "
                    "index); chain the streams in your own IterableDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise GlassnetTypeError(
                f"ConcatDataset: index with an int, got {type(index).__name__}")
        if not -n <= index < n:
            raise GlassnetIndexError(
                f"ConcatDataset: index {index} is out of range for {n} samples")
        index = int(index) % n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = 0 if which == 0 else self.cumulative_sizes[which - 1]
        return self.datasets[which][index - start]

    def __repr__(self):
        return f"ConcatDataset({len(self.datasets)} datasets, {len(self)} samples)"
