"""Text for a character-level language model: a corpus, its character vocabulary, and
windows of ``context + 1`` characters cut into (input, next-character target) pairs.

    text = gd.pydoc_topics()                   # CPython's documentation topics (pydoc_data)
    vocab = gd.CharVocab.from_text(text)       # the sorted set of its characters
    ids = vocab.encode(text)                   # (len(text),) int64, ids[i] = vocab index of text[i]
    ds = gd.char_windows(ids, context=64)      # X (n, 64), Y (n, 64) with Y[i, t] = X[i, t+1]

A window starting at ``s`` holds ``ids[s : s+context+1]``: its first ``context`` ids are
the input and its last ``context`` the targets, so position t of the input is asked for
the character after it. Windows start every ``stride`` characters (by default
``context``: each character is a target once per epoch). Nothing is downloaded: the
built-in corpus is the text of ``pydoc_data.topics``, which ships with CPython.
"""

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.data._dataset import TensorDataset
from glassnet.data._util import check_positive_int

__all__ = ["CharVocab", "char_windows", "pydoc_topics", "read_text", "text_splits"]

MAX_TEXT_CHARS = 200_000_000  # a text file larger than this is refused before it is read whole


def pydoc_topics(max_chars=None):
    """The text of CPython's documentation topics (``pydoc_data.topics.topics``, the pages
    ``help("FOR")`` prints), joined in the order of their sorted names — about 465,000
    characters on Python 3.11; the first ``max_chars`` of them when given."""
    from pydoc_data.topics import topics

    text = "".join(topics[name] for name in sorted(topics))
    return text if max_chars is None else text[:check_positive_int(max_chars, "max_chars", "pydoc_topics")]


def read_text(path):
    """The characters of the UTF-8 text file ``path`` (an error names the file when it is
    missing, too large, not UTF-8, or empty)."""
    import os

    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise GlassnetValueError(f"--dataset {path}: cannot read the file ({exc.strerror})") from None
    if size > MAX_TEXT_CHARS:
        raise GlassnetValueError(f"--dataset {path}: {size:,} bytes; a text corpus may hold at most "
                                 f"{MAX_TEXT_CHARS:,} (train on a part of it)")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        raise GlassnetValueError(f"--dataset {path}: not UTF-8 text (byte {exc.start}: "
                                 f"{exc.reason}); save it as UTF-8") from None
    if not text:
        raise GlassnetValueError(f"--dataset {path}: the file is empty")
    return text


class CharVocab:
    """The characters of a text, sorted: id i ↔ ``chars[i]``. ``encode(str)`` gives int64
    ids (an error names a character outside the vocabulary); ``decode(ids)`` the string."""

    def __init__(self, chars):
        self.chars = "".join(chars)
        if len(set(self.chars)) != len(self.chars) or not self.chars:
            raise GlassnetValueError(f"CharVocab: expected distinct characters, got {self.chars[:40]!r}")
        self._codes = np.array([ord(c) for c in self.chars], dtype=np.int64)  # sorted when from_text

    @classmethod
    def from_text(cls, text):
        """The vocabulary of every character in ``text``, sorted by code point."""
        if not text:
            raise GlassnetValueError("CharVocab.from_text: the text is empty")
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """(len(text),) int64 ids: one array lookup (``searchsorted`` over the sorted code points)."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        order = np.argsort(self._codes)
        pos = np.minimum(np.searchsorted(self._codes[order], codes), len(self) - 1)
        ids = order[pos]
        bad = self._codes[ids] != codes
        if bad.any():
            char = chr(int(codes[bad.argmax()]))
            raise GlassnetValueError(f"CharVocab.encode: {char!r} is not in the vocabulary of "
                                     f"{len(self)} characters")
        return ids

    def decode(self, ids):
        """The string of the ids (any integer array-like)."""
        return "".join(self.chars[int(i)] for i in np.asarray(ids).reshape(-1))

    def __repr__(self):
        return f"CharVocab({len(self)} characters: {self.chars[:40]!r}…)"


def char_windows(ids, context, stride=None):
    """TensorDataset (X, Y) of int64 ids, both (n, context): window k starts at
    ``s = k·stride`` and gives ``X[k] = ids[s : s+context]``, ``Y[k] = ids[s+1 : s+context+1]``
    (no copy of the text per window: views of one array, then one gather per batch)."""
    context = check_positive_int(context, "context", "char_windows")
    stride = context if stride is None else check_positive_int(stride, "stride", "char_windows")
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if ids.size < context + 1:
        raise GlassnetValueError(f"char_windows: {ids.size:,} characters make no window of "
                                 f"context {context} + 1 target; give at least {context + 1}")
    windows = np.lib.stride_tricks.sliding_window_view(ids, context + 1)[::stride]
    return TensorDataset(np.ascontiguousarray(windows[:, :-1]), np.ascontiguousarray(windows[:, 1:]))


def text_splits(text, context, val_fraction=0.1, name="text"):
    """``(vocab, train, val)``: the vocabulary of the whole text, and windows
    (:func:`char_windows`) of its first ``1 - val_fraction`` and of the rest — a contiguous
    split, so no validation character is ever a training target."""
    context = check_positive_int(context, "context", "text_splits")
    if not 0 < val_fraction < 1:
        raise GlassnetValueError(f"text_splits: val_fraction must be in (0, 1), got {val_fraction!r}")
    cut = int(len(text) * (1 - val_fraction))
    need = int(np.ceil((context + 1) / min(val_fraction, 1 - val_fraction)))
    if len(text) < need:
        raise GlassnetValueError(f"--dataset {name}: {len(text):,} characters; windows of --context "
                                 f"{context} need at least {need:,} (the last {val_fraction:.0%} are "
                                 "held out for validation); give more text or a smaller --context")
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text)
    return vocab, char_windows(ids[:cut], context), char_windows(ids[cut:], context)
