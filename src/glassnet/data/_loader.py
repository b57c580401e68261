"""DataLoader: iterate over a dataset in (shuffled) mini-batches."""

import numpy as np

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.data._dataset import collate
from glassnet.data._util import as_generator, check_positive_int

__all__ = ["DataLoader"]


class DataLoader:
    """Mini-batches of ``dataset``, each a tuple of Tensors with a leading batch axis.

    For a :class:`TensorDataset` of ``X (n, *f)`` and ``y (n,)``, each batch is
    ``(X_b, y_b)`` with shapes ``(batch_size, *f)`` and ``(batch_size,)``; the last batch
    is smaller when ``batch_size`` does not divide ``n`` (dropped with ``drop_last=True``).
    Dtypes are those the dataset stores (built-in datasets: float32 features, int64 labels).

    Every sample appears exactly once per epoch. With ``shuffle=True`` each ``iter(loader)``
    (each epoch) draws a new order: from a generator seeded once with ``seed`` (the same
    seed gives the same sequence of epochs), or with ``seed=None`` from glassnet's default
    generator, so ``gn.manual_seed`` makes it reproducible.

    Datasets with a ``get_batch(indices)`` method (TensorDataset, Subset) are sliced a whole
    batch at a time; other datasets are read sample by sample and stacked.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise GlassnetTypeError(
                f"DataLoader: dataset must have __len__ and __getitem__, got "
                f"{type(dataset).__name__}"
            )
        self.dataset = dataset
        self.batch_size = check_positive_int(batch_size, "batch_size", "DataLoader")
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._generator = None if seed is None else as_generator(seed, "DataLoader")
        n = self._size()
        if self.drop_last and n < self.batch_size:
            raise GlassnetValueError(
                f"DataLoader: drop_last=True with batch_size {self.batch_size} > {n} samples "
                "leaves no batch at all; use a smaller batch_size or drop_last=False"
            )

    def _size(self):
        n = len(self.dataset)
        if n == 0:
            raise GlassnetValueError(
                f"DataLoader: the dataset ({type(self.dataset).__name__}) is empty; "
                "there is nothing to iterate over"
            )
        return n

    def __len__(self):
        """The number of batches per epoch."""
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _order(self, n):
        if not self.shuffle:
            return np.arange(n, dtype=np.intp)
        generator = self._generator if self._generator is not None else as_generator(None, "")
        return generator.permutation(n).astype(np.intp, copy=False)

    def __iter__(self):
        # The order is drawn here, when the epoch starts, not at the first next().
        n = self._size()
        order = self._order(n)
        stop = n - n % self.batch_size if self.drop_last else n
        return self._batches(order, stop)

    def _batches(self, order, stop):
        fetch = getattr(self.dataset, "get_batch", None)
        for start in range(0, stop, self.batch_size):
            indices = order[start : start + self.batch_size]
            if fetch is not None:
                yield fetch(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])

    def __repr__(self):
        return (
            f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, {len(self)} batches)"
        )
