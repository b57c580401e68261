"""Sequences of different lengths in one batch: padding and packing (PyTorch's
``torch.nn.utils.rnn``).

A *padded* batch is (T, N, *) (or (N, T, *) with ``batch_first``): sequence ``b`` fills its
first ``lengths[b]`` steps and the rest is ``padding_value``. A *packed* batch keeps only the
real steps: with the sequences sorted by decreasing length, ``data`` holds step 0 of every
sequence, then step 1 of every sequence still running, and so on, and ``batch_sizes[t]``
says how many sequences run at step t. An RNN, LSTM or GRU given a packed batch runs each
sequence for exactly its own length — the final states are taken at each one's last real
step, and the reverse direction starts there — so the padding never enters the arithmetic.

Packing and padding are indexing, so gradients flow through both.
"""

from collections import namedtuple

import numpy as np

from glassnet import ops
from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence"]


_Fields = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_Fields):
    """A packed batch: ``data`` (Σ lengths, *), ``batch_sizes`` (T,) int64, and the
    permutation that sorted the batch by decreasing length (``sorted_indices``) with its
    inverse (``unsorted_indices``), or None when the batch came sorted."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _as_index_tensor(np.argsort(sorted_indices.numpy()))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _positions(self):
        """For each row of ``data``: its time step and its column in the sorted batch."""
        sizes = self.batch_sizes.numpy()
        steps = np.repeat(np.arange(len(sizes)), sizes)
        columns = np.concatenate([np.arange(s) for s in sizes]) if len(sizes) else np.zeros(0, np.int64)
        return steps, columns

    def to(self, *args, **kwargs):
        return self._replace(data=self.data.to(*args, **kwargs))

    def double(self):
        return self._replace(data=self.data.double())

    def float(self):
        return self._replace(data=self.data.float())

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _as_index_tensor(values):
    return Tensor._wrap(np.asarray(values, dtype=np.int64), False, None)


def _lengths_array(lengths, batch):
    values = np.asarray(lengths.numpy() if isinstance(lengths, Tensor) else lengths)
    values = values.astype(np.int64).reshape(-1)
    if values.shape != (batch,):
        raise GlassnetValueError(f"pack_padded_sequence: {values.size} lengths for a batch of {batch} "
                                 "sequences (one length per sequence)")
    if values.size and values.min() <= 0:
        raise GlassnetValueError(
            f"pack_padded_sequence: every length must be at least 1, got {values.tolist()}")
    return values


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):  # noqa: A002
    """Pack a padded batch (T, N, *) (or (N, T, *)) of sequences of the given lengths.

    Args:
        input: the padded batch.
        lengths: each sequence's length (a list or an int64 tensor), at most T.
        batch_first: ``input`` is (N, T, *).
        enforce_sorted: the lengths must already decrease (as PyTorch asks); pass False to
            have the batch sorted here (and unsorted again by ``pad_packed_sequence``).

    Returns:
        A :class:`PackedSequence`.

    Example:
        >>> x = gn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]]).unsqueeze(-1)   # (N=2, T=3, 1)
        >>> packed = pack_padded_sequence(x, [3, 2], batch_first=True)
        >>> packed.data.flatten().tolist(), packed.batch_sizes.tolist()
        ([1.0, 4.0, 2.0, 5.0, 3.0], [2, 2, 1])
    """
    x = input.swapaxes(0, 1) if batch_first else input
    steps_max, batch = x.shape[0], x.shape[1]
    values = _lengths_array(lengths, batch)
    if values.size and values.max() > steps_max:
        raise GlassnetValueError(f"pack_padded_sequence: a length of {values.max()} is longer than the "
                                 f"{steps_max} steps of the padded input")
    order = np.argsort(-values, kind="stable")
    sorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(values) > 0):
            raise GlassnetValueError(
                f"pack_padded_sequence: lengths {values.tolist()} must be sorted in decreasing order when "
                "enforce_sorted=True; sort the batch, or pass enforce_sorted=False")
    else:
        sorted_indices = _as_index_tensor(order)
    sorted_lengths = values[order]
    batch_sizes = np.array([(sorted_lengths > t).sum() for t in range(int(sorted_lengths.max(initial=0)))],
                           dtype=np.int64)
    packed = PackedSequence(None, _as_index_tensor(batch_sizes), sorted_indices)
    steps, columns = packed._positions()
    data = x[steps, order[columns]] if len(steps) else x.reshape(0, *x.shape[2:])
    return packed._replace(data=data)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The padded batch of a :class:`PackedSequence`, in the original batch order, and the
    lengths (an int64 tensor).

    Args:
        sequence: a packed batch.
        batch_first: return (N, T, *) instead of (T, N, *).
        padding_value: the value of the steps past each sequence's end.
        total_length: pad to this many steps (at least the longest length).

    Returns:
        ``(padded, lengths)``.

    Example:
        >>> packed = pack_sequence([gn.tensor([1.0, 2.0, 3.0]), gn.tensor([4.0, 5.0])])
        >>> padded, lengths = pad_packed_sequence(packed, batch_first=True)
        >>> padded.tolist(), lengths.tolist()
        ([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]], [3, 2])
    """
    sizes = sequence.batch_sizes.numpy()
    steps_max = len(sizes)
    if total_length is not None:
        if total_length < steps_max:
            raise GlassnetValueError(f"pad_packed_sequence: total_length={total_length} is shorter than the "
                                     f"longest sequence ({steps_max} steps)")
        steps_max = total_length
    batch = int(sizes[0]) if len(sizes) else 0
    data = sequence.data
    steps, columns = sequence._positions()
    xp = namespace(data.array)
    padded = xp.full((steps_max, batch, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded = Tensor._wrap(padded, False, None)
    padded = ops.setitem(padded, (steps, columns), data)
    lengths = np.array([(sizes > b).sum() for b in range(batch)], dtype=np.int64)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices.numpy()
        padded, lengths = padded[:, unsorted], lengths[unsorted]
    if batch_first:
        padded = padded.swapaxes(0, 1)
    return padded, _as_index_tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into one padded batch (T, N, *) (or (N, T, *)),
    T the longest L_i, each padded with ``padding_value`` on ``padding_side``.

    Example:
        >>> pad_sequence([gn.tensor([1.0, 2.0]), gn.tensor([3.0])], batch_first=True).tolist()
        [[1.0, 2.0], [3.0, 0.0]]
    """
    if padding_side not in ("right", "left"):
        raise GlassnetValueError(
            f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise GlassnetValueError("pad_sequence: received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        missing = longest - s.shape[0]
        first = (0, missing) if padding_side == "right" else (missing, 0)
        rows.append(ops.pad(s, (first,) + ((0, 0),) * (s.ndim - 1), value=padding_value) if missing else s)
    return ops.stack(rows, dim=0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *): :func:`pad_sequence`, then :func:`pack_padded_sequence`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences ``padded[:lengths[b], b]`` of a padded batch."""
    x = padded_sequences.swapaxes(0, 1) if batch_first else padded_sequences
    values = _lengths_array(lengths, x.shape[1])
    return [x[:int(n), b] for b, n in enumerate(values)]


def unpack_sequence(packed_sequences):
    """The list of sequences of a :class:`PackedSequence`, in the original batch order."""
    padded, lengths = pad_packed_sequence(packed_sequences)
    return unpad_sequence(padded, lengths)
