"""Samplers: which dataset indices a DataLoader reads, in which order, in which batches.

The classes, arguments and errors are ``torch.utils.data``'s. Iterating a sampler gives
Python ints (a BatchSampler gives lists of them), exactly as PyTorch:

=====================================  =================================================
sampler                                one epoch
=====================================  =================================================
``SequentialSampler(ds)``              ``0, 1, …, n−1``
``RandomSampler(ds)``                  a random permutation of ``0 … n−1``
``RandomSampler(ds, True, k)``         ``k`` draws from ``0 … n−1`` with replacement
``SubsetRandomSampler(indices)``       the given indices in a random order
``WeightedRandomSampler(w, k)``        ``k`` draws, index ``i`` with probability ``wᵢ/Σw``
``BatchSampler(sampler, b, drop)``     the sampler's indices in lists of ``b``
=====================================  =================================================

Random draws come from ``generator`` (a ``numpy.random.Generator``, or an int seed for a
fresh one) or, when it is None, from glassnet's default generator at the moment the
epoch starts, so ``gn.manual_seed`` makes them reproducible. The numbers differ from
PyTorch's (another generator); what is drawn (each index once per epoch, the
distribution) is the same. Each epoch's order is drawn when ``iter()`` is called.
"""

import itertools

import numpy as np

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.data._util import as_generator

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler",
           "SubsetRandomSampler", "WeightedRandomSampler"]


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_positive_int(who, name, value):
    if not _is_int(value) or value <= 0:
        raise GlassnetValueError(
            f"{who}: {name} should be a positive integer value, but got {name}={value!r}")


def _check_bool(who, name, value, error=GlassnetValueError):
    """PyTorch raises TypeError for RandomSampler's flag, ValueError for the others'."""
    if not isinstance(value, bool):
        raise error(f"{who}: {name} should be a boolean value, but got {name}={value!r}")


def _rng(generator, who):
    """The NumPy generator for this draw: the given one, or glassnet's default now."""
    return as_generator(generator, who)


class Sampler:
    """Base class: iterating gives the dataset indices of one epoch; ``len`` their number.

    Subclasses define ``__iter__`` (and ``__len__`` when the number is known). The
    ``data_source`` argument is accepted and ignored, as in PyTorch.
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class _DrawnSampler(Sampler):
    """A sampler whose epoch is one array drawn up front by ``_draw()`` (1-D intp).

    The DataLoader slices that array into batches (one fancy index per batch, no Python
    loop over samples) as long as a subclass does not override ``__iter__``."""

    def _draw(self):
        raise NotImplementedError

    def __iter__(self):
        return iter(self._draw().tolist())


class SequentialSampler(_DrawnSampler):
    """Indices ``0, 1, …, len(data_source) − 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _draw(self):
        return np.arange(len(self.data_source), dtype=np.intp)

    def __len__(self):
        return len(self.data_source)


class RandomSampler(_DrawnSampler):
    """A random permutation of ``0 … n−1`` each epoch (``n = len(data_source)``).

    ``num_samples`` (default ``n``) indices per epoch: without replacement, whole
    permutations back to back and then the start of one more; with ``replacement=True``,
    independent uniform draws.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_bool("RandomSampler", "replacement", replacement, GlassnetTypeError)
        _check_positive_int("RandomSampler", "num_samples", self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _draw(self):
        n, count = len(self.data_source), int(self.num_samples)
        rng = _rng(self.generator, "RandomSampler")
        if self.replacement:
            return rng.integers(0, n, size=count).astype(np.intp, copy=False)
        if count == n:  # the usual case: one permutation
            return rng.permutation(n).astype(np.intp, copy=False)
        parts = [rng.permutation(n) for _ in range(-(-count // n))]
        return np.concatenate(parts)[:count].astype(np.intp, copy=False)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(_DrawnSampler):
    """The given ``indices`` (any sequence of ints) in a new random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def _draw(self):
        order = _rng(self.generator, "SubsetRandomSampler").permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.intp).reshape(-1)[order]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(_DrawnSampler):
    """``num_samples`` indices, each ``i`` drawn with probability ``weights[i] / Σ weights``.

    ``weights`` (1-D, non-negative, not all zero) need not sum to 1. With
    ``replacement=False`` an index is drawn at most once per epoch (at most ``len(weights)``
    samples); as in PyTorch, indices of weight zero come last, once the others are drawn.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int("WeightedRandomSampler", "num_samples", num_samples)
        _check_bool("WeightedRandomSampler", "replacement", replacement)
        w = np.asarray(getattr(weights, "array", weights), dtype=np.float64)
        if w.ndim != 1:
            raise GlassnetValueError(
                f"WeightedRandomSampler: weights should be a 1d sequence but given weights "
                f"have shape {tuple(w.shape)}")
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise GlassnetValueError(
                f"WeightedRandomSampler: weights must be finite, non-negative and not all "
                f"zero; got {w.tolist()[:8]}{'…' if w.size > 8 else ''}")
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def _draw(self):
        n = self.weights.size
        rng = _rng(self.generator, "WeightedRandomSampler")
        if self.replacement:
            p = self.weights / self.weights.sum()
            return rng.choice(n, size=self.num_samples, p=p).astype(np.intp, copy=False)
        if self.num_samples > n:
            raise GlassnetValueError(
                f"WeightedRandomSampler: cannot draw {self.num_samples} samples without "
                f"replacement from {n} weights; lower num_samples or use replacement=True")
        # PyTorch's race: index i finishes at time Eᵢ/wᵢ (Eᵢ ~ Exp(1)); the first
        # num_samples to finish, in order (zero weights never finish before the others).
        with np.errstate(divide="ignore"):
            times = rng.exponential(size=n) / self.weights
        return np.argsort(times, kind="stable")[: self.num_samples].astype(np.intp, copy=False)

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler`` (any iterable of ints); the last
    list is shorter unless ``drop_last`` drops it.

    >>> list(BatchSampler(SequentialSampler(range(10)), 3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int("BatchSampler", "batch_size", batch_size)
        _check_bool("BatchSampler", "drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        return self._lists(iter(self.sampler))  # the sampler draws its epoch now

    def _lists(self, indices):
        while True:
            batch = list(itertools.islice(indices, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def _arrays(self):
        """This epoch's batches as 1-D intp arrays, or None when the sampler is not one
        whose epoch is a drawn array (then iterate the lists)."""
        if type(self).__iter__ is not BatchSampler.__iter__:
            return None
        sampler = self.sampler
        if not isinstance(sampler, _DrawnSampler) or type(sampler).__iter__ is not _DrawnSampler.__iter__:
            return None
        return _slices(sampler._draw(), self.batch_size, self.drop_last)

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)


def _slices(order, batch_size, drop_last):
    stop = len(order) - len(order) % batch_size if drop_last else len(order)
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]
