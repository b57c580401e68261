"""Iterable-style datasets and datasets made of datasets (``torch.utils.data`` names):
ConcatDataset (one after another, indexed), ChainDataset (streams one after another),
StackDataset (the i-th samples of several datasets side by side).

A map-style dataset answers ``ds[i]``; an :class:`IterableDataset` only streams its
samples (``for sample in ds``), e.g. lines of a file too large to index. A DataLoader
batches a stream in arrival order: no sampler, no shuffle.
"""

import bisect

import numpy as np

from glassnet._errors import GlassnetIndexError, GlassnetTypeError, GlassnetValueError
from glassnet.data._dataset import Dataset

__all__ = ["ChainDataset", "ConcatDataset", "IterableDataset", "StackDataset"]


class IterableDataset:
    """Base class of streamed datasets: subclasses define ``__iter__`` (and, if they know
    it, ``__len__``). ``DataLoader(ds, batch_size=b)`` gives lists of ``b`` samples collated
    in the order ``__iter__`` yields them."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        """``a + b`` streams a's samples, then b's (a :class:`ChainDataset`, as PyTorch)."""
        return ChainDataset([self, other])


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


class ChainDataset(IterableDataset):
    """Several iterable datasets streamed one after another (``itertools.chain`` of them);
    ``len`` is the sum of their lengths when each has one.

    Args:
        datasets: the iterable datasets, in order.

    Example:
        >>> import glassnet.data as gd
        >>> class Count(gd.IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(self.n))
        >>> list(gd.ChainDataset([Count(2), Count(3)]))
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise GlassnetTypeError(f"ChainDataset only supports IterableDataset, got "
                                        f"{type(dataset).__name__}")
            yield from dataset

    def __len__(self):
        return sum(len(dataset) for dataset in self.datasets)


class StackDataset(Dataset):
    """The i-th samples of several equally long datasets together: ``StackDataset(a, b)[i]``
    is ``(a[i], b[i])``, ``StackDataset(image=a, text=b)[i]`` is ``{"image": a[i], "text": b[i]}``.

    Args:
        *args: datasets whose samples form tuples.
        **kwargs: datasets whose samples form dicts under these keys (not both forms).

    Example:
        >>> import glassnet.data as gd
        >>> pairs = gd.StackDataset([1, 2, 3], ["a", "b", "c"])
        >>> len(pairs), pairs[1]
        (3, (2, 'b'))
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise GlassnetValueError("StackDataset: give datasets as positional arguments (tuple samples) or "
                                     "as keywords (dict samples), not both")
        if not args and not kwargs:
            raise GlassnetValueError("StackDataset: at least one dataset should be passed")
        self.datasets = kwargs if kwargs else args
        lengths = {len(d) for d in (kwargs.values() if kwargs else args)}
        if len(lengths) != 1:
            raise GlassnetValueError(f"StackDataset: size mismatch between datasets: lengths "
                                     f"{sorted(lengths)}")
        self._length = lengths.pop()

    def __len__(self):
        return self._length

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)
