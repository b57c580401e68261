"""Datasets: the ``Dataset`` protocol, array-backed ``TensorDataset``, ``Subset`` and
``random_split``.

A dataset is anything with ``__len__`` and ``__getitem__(i)`` returning one sample
(usually a tuple ``(x, y)``). Datasets that can also fetch many samples at once define
``get_batch(indices)``; :class:`DataLoader` then asks for a whole batch with one call,
which for :class:`TensorDataset` is one fancy index per stored array.
"""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetIndexError, GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor, as_array
from glassnet.data._util import as_generator

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "collate"]


def _wrap(array):
    return Tensor._wrap(array, False, None)


def _stack(values):
    """Stack one field of many samples into a batch array of shape (batch, *sample)."""
    arrays = [v.array if isinstance(v, Tensor) else v for v in values]
    xp = namespace(arrays[0])
    shapes = {np.shape(a) for a in arrays}
    if len(shapes) > 1:
        raise GlassnetValueError(
            f"collate: samples in one batch must have the same shape to be stacked; "
            f"got shapes {sorted(shapes)}"
        )
    if xp is np:
        return as_array(arrays)
    return xp.stack(arrays)


def _preview(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def collate(samples):
    """Stack a list of samples into a batch.

    Samples that are tuples ``(x, y, ...)`` give a tuple of Tensors, field by field:
    ``x`` of shape ``(batch, *x.shape)``. Samples that are single arrays/tensors give one
    Tensor. Python ints become int64, Python floats the default float dtype.
    """
    first = samples[0]
    if not isinstance(first, (tuple, list)):
        return _wrap(_stack(samples))
    width = len(first)
    for sample in samples:
        if not isinstance(sample, (tuple, list)) or len(sample) != width:
            raise GlassnetValueError(
                f"collate: every sample must be a tuple of the same length; the first has "
                f"{width} fields, another is {_preview(sample)}"
            )
    return tuple(_wrap(_stack([s[j] for s in samples])) for j in range(width))


class Dataset:
    """Base class of map-style datasets: ``len(ds)`` samples, ``ds[i]`` is sample ``i``.

    Subclasses define ``__len__`` and ``__getitem__``. ``get_batch`` fetches many samples
    at once; the default calls ``__getitem__`` per sample and stacks (override it when
    the data can be sliced in one go, as :class:`TensorDataset` does).
    """

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def get_batch(self, indices):
        """The samples at ``indices`` (1-D ints), stacked: a tuple of Tensors."""
        return collate([self[int(i)] for i in indices])

    def __add__(self, other):
        """``a + b`` is ``ConcatDataset([a, b])``, as in PyTorch."""
        from glassnet.data._iterable import ConcatDataset  # it subclasses Dataset: imported on use

        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are rows of arrays that share their first dimension.

    ``TensorDataset(X, y)`` with ``X`` of shape ``(n, *features)`` and ``y`` of shape
    ``(n,)`` gives ``ds[i] == (X[i], y[i])`` as Tensors. Arrays are stored as given (no copy,
    no dtype change): glassnet's built-in datasets store features as float32 and labels
    as int64. A batch is one fancy index per array, never a Python loop over samples.

    ``classes`` (names of the labels ``0 .. k-1``) and ``feature_names`` are optional
    descriptions kept as attributes.

    Args:
        *tensors: Tensors or arrays (at least one), all with the same first dimension ``n``,
            the number of samples.
        classes: names of the labels ``0 .. k-1`` (optional), kept as ``ds.classes``.
        feature_names: names of the feature columns (optional), kept as ``ds.feature_names``.

    Shape:
        each of ``tensors``: ``(n, *)``; ``ds[i]`` is a tuple with one ``(*)`` Tensor per
        array, ``ds.get_batch(indices)`` one ``(len(indices), *)`` Tensor per array.

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> X = np.arange(6, dtype=np.float32).reshape(3, 2)
        >>> y = np.array([0, 1, 1])
        >>> ds = gn.data.TensorDataset(X, y, classes=["no", "yes"])
        >>> len(ds)
        3
        >>> ds[1]
        (tensor([2., 3.]), tensor(1))
        >>> features, labels = ds.get_batch(np.array([0, 2]))
        >>> features.shape, labels.tolist()
        ((2, 2), [0, 1])
        >>> ds.classes[labels[1].item()]
        'yes'
    """

    def __init__(self, *tensors, classes=None, feature_names=None):
        if not tensors:
            raise GlassnetValueError("TensorDataset: give at least one tensor or array")
        arrays = tuple(as_array(t) for t in tensors)
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise GlassnetValueError(
                    f"TensorDataset: argument {i} is 0-d (a scalar); every tensor needs a "
                    "first dimension that counts the samples"
                )
        sizes = [a.shape[0] for a in arrays]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            raise GlassnetValueError(
                "TensorDataset: every tensor needs the same first dimension (one row per "
                f"sample); got sizes {', '.join(map(str, sizes))} from shapes {shapes}"
            )
        self._arrays = arrays
        self.classes = None if classes is None else tuple(classes)
        self.feature_names = None if feature_names is None else tuple(feature_names)

    @property
    def arrays(self):
        """The stored arrays (shared, not copied), e.g. ``X, y = ds.arrays``."""
        return self._arrays

    @property
    def tensors(self):
        """The stored arrays as Tensors sharing their memory, e.g. ``X, y = ds.tensors``."""
        return tuple(_wrap(a) for a in self._arrays)

    def __len__(self):
        return self._arrays[0].shape[0]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.get_batch(np.arange(len(self))[index])
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise GlassnetTypeError(
                f"TensorDataset: index with an int or a slice, got {type(index).__name__}; "
                "use get_batch(indices) for many samples"
            )
        n = len(self)
        if not -n <= index < n:
            raise GlassnetIndexError(
                f"TensorDataset: index {index} is out of range for {n} samples"
            )
        return tuple(_wrap(a[int(index), ...]) for a in self._arrays)

    def get_batch(self, indices):
        """Rows ``indices`` of every array, one fancy index each: a tuple of Tensors."""
        idx = np.asarray(indices, dtype=np.intp)
        out = []
        for a in self._arrays:
            xp = namespace(a)
            out.append(_wrap(a[idx if xp is np else xp.asarray(idx)]))
        return tuple(out)

    def __repr__(self):
        shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in self._arrays)
        return f"TensorDataset({len(self)} samples: {shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (1-D ints, negatives count from the end).

    Batches of a subset of a :class:`TensorDataset` are still one fancy index per array.
    """

    def __init__(self, dataset, indices):
        n = len(dataset)
        idx = np.asarray(indices)
        if idx.size == 0:
            idx = np.zeros(0, dtype=np.int64)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise GlassnetTypeError(
                f"Subset: indices must be a 1-D sequence of ints, got shape {idx.shape} "
                f"dtype {idx.dtype}"
            )
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            raise GlassnetIndexError(
                f"Subset: index {int(idx[bad][0])} is out of range for a dataset of {n} samples"
            )
        self.dataset = dataset
        self.indices = np.where(idx < 0, idx + n, idx).astype(np.int64)

    def __len__(self):
        return self.indices.shape[0]

    def __getitem__(self, index):
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise GlassnetTypeError(f"Subset: index with an int, got {type(index).__name__}")
        if not -n <= index < n:
            raise GlassnetIndexError(f"Subset: index {index} is out of range for {n} samples")
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices):
        """The samples at ``indices`` of this subset, fetched from the parent in one call."""
        mapped = self.indices[np.asarray(indices, dtype=np.intp)]
        fetch = getattr(self.dataset, "get_batch", None)
        if fetch is not None:
            return fetch(mapped)
        return collate([self.dataset[int(i)] for i in mapped])

    def __repr__(self):
        return f"Subset({len(self)} of {len(self.dataset)} samples)"


def _split_sizes(lengths, n):
    lengths = list(lengths)
    if not lengths:
        raise GlassnetValueError("random_split: lengths must not be empty")
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in lengths):
        if any(v < 0 for v in lengths) or sum(lengths) != n:
            raise GlassnetValueError(
                f"random_split: lengths {lengths} must be non-negative and add up to the "
                f"dataset's {n} samples (they add up to {sum(lengths)})"
            )
        return [int(v) for v in lengths]
    fractions = np.asarray(lengths, dtype=np.float64)
    if (fractions < 0).any() or (fractions > 1).any() or abs(fractions.sum() - 1.0) > 1e-6:
        raise GlassnetValueError(
            f"random_split: give lengths as ints adding up to {n}, or fractions in [0, 1] "
            f"adding up to 1; got {lengths}"
        )
    sizes = np.floor(fractions * n).astype(np.int64)
    sizes[: n - int(sizes.sum())] += 1  # hand out the remainder one by one, first parts first
    return [int(v) for v in sizes]


def random_split(dataset, lengths, seed=None, generator=None):
    """Split ``dataset`` into disjoint random :class:`Subset` s.

    ``lengths`` are ints adding up to ``len(dataset)``, or fractions adding up to 1
    (``[0.8, 0.2]``; leftover samples go one each to the first parts). ``seed`` (int)
    makes the split reproducible; ``None`` draws from glassnet's default generator.
    ``generator`` (PyTorch's keyword: a ``gn.Generator``) is drawn from instead.
    """
    if seed is not None and generator is not None:
        raise GlassnetValueError("random_split: give seed or generator, not both")
    n = len(dataset)
    sizes = _split_sizes(lengths, n)
    order = as_generator(seed if generator is None else generator, "random_split").permutation(n)
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
