"""PyTorch's batching rules: ``default_collate`` (a list of samples → one batch) and
``default_convert`` (one sample → Tensors, used when a DataLoader does not batch).

The rules go by the type of the first sample, field by field, as ``torch.utils.data``:

=====================  =========================================================
sample field            batch of ``B`` samples
=====================  =========================================================
Tensor ``(*s)``         Tensor ``(B, *s)`` (stacked; same dtype)
NumPy array ``(*s)``    Tensor ``(B, *s)``, the array's dtype
NumPy scalar            Tensor ``(B,)``, the scalar's dtype
Python ``float``        Tensor ``(B,)`` float64 (PyTorch's rule, not the default dtype)
Python ``int``/``bool`` Tensor ``(B,)`` int64 / bool
``str``/``bytes``       the list of ``B`` strings, unchanged
dict                    a dict of the same type, each key collated
namedtuple              the same namedtuple, each field collated
tuple / list            a *list* of collated fields (tuples become lists, as PyTorch)
=====================  =========================================================

>>> from glassnet.data import default_collate
>>> xs, ys = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])   # (2, 3) float64, (2,) int64
"""

import collections.abc
import copy
import re

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd import is_grad_enabled
from glassnet.autograd._tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_STRING_OR_OBJECT = re.compile(r"[SaUO]")  # dtype.str codes NumPy uses for bytes, str, object
_UNSUPPORTED = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                "lists; found {} (pass collate_fn= to the DataLoader to batch it yourself)")


def _wrap(array):
    return Tensor._wrap(array, False, None)


def _is_numpy(value):
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ not in ("str_", "bytes_", "string_")


def _stack_tensors(batch):
    """``(B, *s)`` from B Tensors of shape ``s``; recorded for autograd when one needs it."""
    shapes = [tuple(t.shape) for t in batch]
    if len(set(shapes)) > 1:
        bad = next(i for i, s in enumerate(shapes) if s != shapes[0])
        raise GlassnetValueError(
            f"default_collate: every sample's tensor must have the same shape to be stacked; "
            f"got {shapes[0]} at entry 0 and {shapes[bad]} at entry {bad} (pad them, or pass "
            "collate_fn=)")
    if is_grad_enabled() and any(t.requires_grad for t in batch):
        from glassnet import ops

        return ops.stack(list(batch))
    arrays = [t.array for t in batch]
    return _wrap(namespace(arrays[0]).stack(arrays))


def _collate_numpy(batch):
    first = batch[0]
    if isinstance(first, np.ndarray):
        if _STRING_OR_OBJECT.search(first.dtype.str) is not None:
            raise GlassnetTypeError(_UNSUPPORTED.format(first.dtype))
        return _stack_tensors([_wrap(np.asarray(b)) for b in batch])
    return _wrap(np.asarray(batch))  # NumPy scalars keep their dtype


def _like_mapping(like, fields):
    """``fields`` (a dict) in a mapping of ``like``'s type: a copy of ``like`` updated
    when it is mutable, else ``type(like)(fields)``, else the dict itself."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(fields)
            return clone
        return type(like)(fields)
    except TypeError:  # a mapping type that cannot be built from a dict
        return fields


def _like_sequence(like, fields):
    """``fields`` (a list) in a sequence of ``like``'s type: a copy of ``like`` with its
    items replaced when it is mutable, else ``type(like)(fields)``, else the list itself."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, value in enumerate(fields):
                clone[i] = value
            return clone
        return type(like)(fields)
    except TypeError:
        return fields


def _collate_mapping(batch):
    fields = {key: default_collate([sample[key] for sample in batch]) for key in batch[0]}
    return _like_mapping(batch[0], fields)


def _collate_sequence(batch):
    first = batch[0]
    width = len(first)
    for i, sample in enumerate(batch):
        if len(sample) != width:
            raise GlassnetValueError(
                f"default_collate: each element in list of batch should be of equal size; "
                f"sample 0 has {width} fields, sample {i} has {len(sample)}")
    fields = [default_collate(list(column)) for column in zip(*batch, strict=True)]
    if isinstance(first, tuple):
        return fields  # tuples become lists, as PyTorch does
    return _like_sequence(first, fields)


def default_collate(batch):
    """A batch from a list of ``B`` samples, by PyTorch's rules (table in the module doc).

    Tensors and arrays must have the same shape in every sample; Python floats become
    float64 (as ``torch.utils.data.default_collate``).
    """
    first = batch[0]
    if isinstance(first, Tensor):
        return _stack_tensors(batch)
    if _is_numpy(first):
        return _collate_numpy(batch)
    if isinstance(first, float):
        return _wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(first, int):  # bool is an int: a batch of only bools stays bool
        array = np.asarray(batch)
        return _wrap(array if array.dtype == np.bool_ else array.astype(np.int64, copy=False))
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, collections.abc.Mapping):
        return _collate_mapping(batch)
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple
        return type(first)(*(default_collate(list(c)) for c in zip(*batch, strict=True)))
    if isinstance(first, collections.abc.Sequence):
        return _collate_sequence(batch)
    raise GlassnetTypeError(_UNSUPPORTED.format(type(first)))


def default_convert(data):
    """One sample with its NumPy arrays and scalars turned into Tensors (no batch axis).

    Dicts, namedtuples and lists are converted field by field (tuples become lists);
    Tensors, numbers and strings are returned unchanged, as PyTorch does.
    """
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and _STRING_OR_OBJECT.search(data.dtype.str):
            return data
        return _wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _like_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _like_sequence(data, [default_convert(d) for d in data])
    return data
