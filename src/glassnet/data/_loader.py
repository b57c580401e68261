"""DataLoader: iterate over a dataset in (shuffled) mini-batches, as ``torch.utils.data``.

Every argument of PyTorch's DataLoader is accepted with PyTorch's meaning and its
argument-conflict errors. One epoch is::

    sampler        → indices            SequentialSampler, or RandomSampler (shuffle=True)
    batch_sampler  → lists of indices   BatchSampler(sampler, batch_size, drop_last)
    dataset[i]     → samples            (or dataset.__getitems__(indices))
    collate_fn     → one batch          default_collate: Tensors with a leading batch axis

Array-backed datasets (TensorDataset, a Subset of one, any dataset with its own
``get_batch(indices)``) under the default samplers and collate are read a whole batch
at a time: one fancy index per stored array, never a Python loop over samples; the
batch equals what ``default_collate`` would make (a list ``[X_b, y_b]``).
"""

import contextlib
import copy

import numpy as np

from glassnet._backend import default_generator
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.data._collate import default_collate, default_convert
from glassnet.data._dataset import Dataset, Subset, TensorDataset
from glassnet.data._iterable import IterableDataset
from glassnet.data._sampler import BatchSampler, RandomSampler, SequentialSampler
from glassnet.data._util import as_generator, check_positive_int
from glassnet.data._worker import WorkerInfo, in_process_worker, warn_in_process

__all__ = ["DataLoader"]

_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                     "persistent_workers")


class DataLoader:
    """Mini-batches of ``dataset``; PyTorch's arguments, defaults and errors.

    For a :class:`TensorDataset` of ``X (n, *f)`` and ``y (n,)`` each batch is
    ``[X_b, y_b]`` with shapes ``(batch_size, *f)`` and ``(batch_size,)``; the last batch
    is smaller when ``batch_size`` does not divide ``n`` (dropped with ``drop_last=True``).
    Every sample appears exactly once per epoch. ``batch_size=None`` yields single
    samples (``default_convert``); ``collate_fn`` replaces ``default_collate``.

    Randomness: ``shuffle=True`` draws a new order at each ``iter(loader)`` (each epoch)
    from ``generator`` (a ``numpy.random.Generator``), or from a generator made once from
    ``seed`` (glassnet's shorthand: the same seed gives the same sequence of epochs), or,
    with neither, from glassnet's default generator (``gn.manual_seed`` makes it
    reproducible). Orders differ from PyTorch's (another generator), not their kind.

    Differences from PyTorch, each said out loud: ``num_workers > 0`` loads in this
    process (a one-time :class:`~glassnet.GlassnetWarning`; see ``glassnet.data._worker``);
    ``pin_memory``, ``prefetch_factor``, ``timeout``, ``in_order``,
    ``multiprocessing_context`` and ``pin_memory_device`` are checked as PyTorch does and
    then have nothing to do.

    An empty dataset, or ``drop_last=True`` with fewer samples than one batch, gives
    epochs of no batches (``len(loader) == 0``), as PyTorch; ``shuffle=True`` on an empty
    dataset raises (RandomSampler needs a positive number of samples), as PyTorch.

    Args:
        dataset: what to draw samples from (``len`` and integer indexing).
        batch_size: samples per batch (default 1; None: single samples).
        shuffle: a new random order every epoch (default: in order).
        sampler: the order of the indices (instead of ``shuffle``).
        batch_sampler: yields whole lists of indices (instead of ``batch_size``/``sampler``).
        collate_fn: turns a list of samples into a batch (default ``default_collate``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: the ``numpy.random.Generator`` that shuffles.
        seed: glassnet's shorthand for a generator made once from this seed.
        num_workers: accepted; loading happens in this process (see above).

    Example:
        >>> import glassnet as gn
        >>> data = gn.data.TensorDataset(gn.randn(10, 3), gn.arange(10))
        >>> loader = gn.data.DataLoader(data, batch_size=4)
        >>> len(loader), [tuple(X.shape) for X, y in loader]
        (3, [(4, 3), (4, 3), (2, 3)])
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None):
        prefetch_factor = _check_workers(num_workers, timeout, prefetch_factor,
                                         persistent_workers, multiprocessing_context)
        self._iterable = isinstance(dataset, IterableDataset)
        _check_dataset(dataset, self._iterable)
        shuffle = _check_sampling(self._iterable, shuffle, sampler, batch_sampler)
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise GlassnetValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last (the batch sampler decides them all)")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise GlassnetValueError(
                    "DataLoader: batch_size=None option disables auto-batching and is "
                    "mutually exclusive with drop_last")
        else:
            batch_size = check_positive_int(batch_size, "batch_size", "DataLoader")
        self._generator = _loader_generator(generator, seed)
        default_sampler = sampler is None and not self._iterable
        if default_sampler:
            _check_has_len(dataset)
            sampler = (RandomSampler(dataset, generator=self._generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self._set_fields(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last,
                         generator, collate_fn)
        self.num_workers, self.prefetch_factor = int(num_workers), prefetch_factor
        self.pin_memory, self.pin_memory_device = bool(pin_memory), pin_memory_device
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context, self.in_order = multiprocessing_context, in_order
        self.persistent_workers = bool(persistent_workers)
        self._worker_started = False
        self._initialized = True
        if self.num_workers > 0:
            warn_in_process(self.num_workers)

    def _set_fields(self, dataset, batch_size, shuffle, sampler, batch_sampler, drop_last,
                    generator, collate_fn):
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.drop_last, self.generator = bool(drop_last), generator
        auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if auto_collation else default_convert
        self.collate_fn = collate_fn

    def __setattr__(self, name, value):
        if name in _FIXED_AFTER_INIT and self.__dict__.get("_initialized", False):
            raise GlassnetValueError(
                f"DataLoader: {name} attribute should not be set after DataLoader is "
                "initialized; make a new DataLoader")
        super().__setattr__(name, value)

    # -- one epoch ----------------------------------------------------------------
    def __len__(self):
        """The number of batches per epoch (samples, with ``batch_size=None``)."""
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        # The order is drawn here, when the epoch starts, not at the first next().
        self._start_worker()
        if self._iterable:
            return _LoaderIter(self._stream(), self)
        if self.batch_sampler is None:
            return _LoaderIter(self._singles(iter(self.sampler)), self)
        bs = self.batch_sampler
        arrays = bs._arrays() if isinstance(bs, BatchSampler) else None
        return _LoaderIter(self._batches(iter(bs) if arrays is None else arrays), self)

    def _batches(self, index_batches):
        read = _batch_reader(self.dataset) if self.collate_fn is default_collate else None
        for indices in index_batches:
            with self._as_worker():
                batch = self._fetch(indices, read)
            yield batch

    def _fetch(self, indices, read):
        if read is not None:
            batch = read(np.asarray(indices, dtype=np.intp))
            return list(batch) if isinstance(batch, tuple) else batch
        if isinstance(indices, np.ndarray):
            indices = indices.tolist()
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems is not None else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _singles(self, indices):
        for i in indices:
            with self._as_worker():
                sample = self.collate_fn(self.dataset[i])
            yield sample

    def _stream(self):
        with self._as_worker():
            samples = iter(self.dataset)
        size = self.batch_size
        while True:
            with self._as_worker():
                if size is None:
                    batch = next(samples, _END)
                    if batch is _END:
                        return
                    batch = self.collate_fn(batch)
                else:
                    chunk = [s for _, s in zip(range(size), samples, strict=False)]
                    if not chunk or (self.drop_last and len(chunk) < size):
                        return
                    batch = self.collate_fn(chunk)
            yield batch

    # -- the in-process worker ------------------------------------------------------
    def _start_worker(self):
        if self.num_workers == 0:
            return
        self._worker_info = WorkerInfo(0, 1, _peek_seed(self._generator), self.dataset)
        if self.worker_init_fn is not None and not (self.persistent_workers and
                                                     self._worker_started):
            with in_process_worker(self._worker_info):
                self.worker_init_fn(0)
        self._worker_started = True

    def _as_worker(self):
        if self.num_workers == 0:
            return contextlib.nullcontext()
        return in_process_worker(self._worker_info)

    def __repr__(self):
        size = len(self.dataset) if hasattr(self.dataset, "__len__") else "?"
        return (f"DataLoader({size} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")


_END = object()


class _LoaderIter:
    """One epoch's iterator; ``len()`` gives the loader's number of batches (PyTorch's)."""

    def __init__(self, batches, loader):
        self._batches, self._loader = batches, loader

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self):
        return len(self._loader)


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers, context):
    """PyTorch's checks of the worker options; returns the prefetch factor it would use."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or \
            num_workers < 0:
        raise GlassnetValueError(
            f"DataLoader: num_workers option should be non-negative; use num_workers=0 to "
            f"disable multiprocessing (got {num_workers!r})")
    if timeout < 0:
        raise GlassnetValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
    if num_workers == 0 and timeout > 0:
        raise GlassnetValueError(
            f"DataLoader: timeout={timeout} waits for worker processes, and num_workers=0 "
            "has none (PyTorch refuses this too, when iterating); drop timeout")
    if num_workers == 0 and prefetch_factor is not None:
        raise GlassnetValueError(
            "DataLoader: prefetch_factor option could only be specified in multiprocessing; "
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
            "None")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise GlassnetValueError("DataLoader: prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise GlassnetValueError("DataLoader: persistent_workers option needs num_workers > 0")
    if context is not None and num_workers == 0:
        raise GlassnetValueError(
            "DataLoader: multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}")
    return 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor


def _check_dataset(dataset, iterable):
    if iterable or hasattr(dataset, "__getitem__"):
        return
    raise GlassnetTypeError(
        f"DataLoader: dataset must have __getitem__ (a map-style dataset, e.g. a Dataset "
        f"subclass or a list) or be an IterableDataset; got {type(dataset).__name__}")


def _check_sampling(iterable, shuffle, sampler, batch_sampler):
    """PyTorch's sampler/shuffle conflicts; returns ``shuffle`` as a bool."""
    if iterable:
        for name, value, unset in (("shuffle", shuffle, shuffle in (None, False)),
                                   ("sampler", sampler, sampler is None),
                                   ("batch_sampler", batch_sampler, batch_sampler is None)):
            if not unset:
                raise GlassnetValueError(
                    f"DataLoader with IterableDataset: expected unspecified {name} option, but "
                    f"got {name}={value!r} (a stream is read in the order it yields)")
        return False
    shuffle = bool(shuffle)
    if sampler is not None and shuffle:
        raise GlassnetValueError(
            "DataLoader: sampler option is mutually exclusive with shuffle (the sampler "
            "decides the order)")
    return shuffle


def _check_has_len(dataset):
    if not hasattr(dataset, "__len__"):
        raise GlassnetTypeError(
            f"DataLoader: dataset {type(dataset).__name__} has no __len__, which the default "
            "samplers need; define __len__ or pass sampler=")
    return len(dataset)


def _loader_generator(generator, seed):
    """The loader's own NumPy generator (from ``generator`` or ``seed``), or None."""
    if generator is not None and seed is not None:
        raise GlassnetValueError("DataLoader: give generator= or seed=, not both")
    if seed is not None:
        return as_generator(seed, "DataLoader")
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    raise GlassnetTypeError(
        f"DataLoader: generator must be a gn.Generator or numpy.random.Generator (or give "
        f"seed=<int>); "
        f"got {type(generator).__name__}")


def _peek_seed(generator):
    """A seed for the worker's WorkerInfo, read without advancing any generator."""
    source = generator if generator is not None else default_generator()
    return int(copy.deepcopy(source).integers(2**63))


def _batch_reader(dataset):
    """``dataset.get_batch`` when it gives exactly what default_collate of the samples
    would (array-backed datasets whose per-sample reads are not overridden), else None."""
    kind = type(dataset)
    method = getattr(kind, "get_batch", None)
    if method is None or method is Dataset.get_batch:
        return None
    if method is TensorDataset.get_batch:
        return dataset.get_batch if kind.__getitem__ is TensorDataset.__getitem__ else None
    if method is Subset.get_batch:
        inner = _batch_reader(dataset.dataset) if kind.__getitem__ is Subset.__getitem__ else None
        return None if inner is None else dataset.get_batch
    return dataset.get_batch  # the dataset's own batch read (glassnet's protocol)
