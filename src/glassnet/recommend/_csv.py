"""A small, pandas-free reader for ``user, item[, rating[, timestamp]]`` text files."""

import io
import os
import warnings

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.io._open import open_regular

__all__ = ["read_columns"]

_SEPARATORS = ("::", "\t", ",", ";")


def _guess_sep(line):
    for sep in _SEPARATORS:
        if sep in line:
            return sep
    return " "


def read_columns(path, sep=None):
    """The file's first 2-4 columns as unicode arrays (NumPy's C parser does the rows)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise GlassnetValueError(f"Ratings.from_csv: no such file {path!r}")
    f, _ = open_regular(path, "Ratings.from_csv", "ratings file")  # a FIFO or device: refused
    with f:
        try:
            text = f.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GlassnetValueError(f"Ratings.from_csv {path}: not UTF-8 text ({exc.reason} at byte "
                                     f"{exc.start})") from None
    lines = text.strip().splitlines()
    if not lines:
        raise GlassnetValueError(f"Ratings.from_csv {path}: the file is empty")
    sep = _guess_sep(lines[0]) if sep is None else sep
    if len(sep) > 1:  # NumPy's parser wants one character
        text, sep = text.replace(sep, "\x1f"), "\x1f"
    delimiter = None if sep == " " else sep
    try:
        with warnings.catch_warnings():  # NumPy's note about blank lines and max_rows is not ours
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(io.StringIO(text), dtype=str, delimiter=delimiter, comments=None,
                               ndmin=2)
    except ValueError as exc:
        detail = str(exc).split(";")[0]  # NumPy's advice (usecols) is not an option here
        raise GlassnetValueError(
            f"Ratings.from_csv {path}: rows differ in length ({detail}); a ratings file has the "
            "same columns on every row: user, item[, rating[, timestamp]]") from None
    if table.shape[1] < 2:
        raise GlassnetValueError(
            f"Ratings.from_csv {path}: found {table.shape[1]} column(s) with separator {sep!r}; "
            "expected user, item[, rating[, timestamp]]"
        )
    table = np.char.strip(table[:, :4])
    if _is_header(table[0]):
        table = table[1:]
    if table.shape[1] > 2:
        _check_numbers(table[:, 2:], path)
    return [table[:, j] for j in range(table.shape[1])]


def _is_header(row):
    if row.size < 3:
        return any(name.lower() in ("user", "userid", "user_id", "item", "itemid", "item_id")
                   for name in row)
    try:
        float(row[2])
    except ValueError:
        return True
    return False


def _check_numbers(block, path):
    try:
        block.astype(np.float64)
    except ValueError as exc:
        raise GlassnetValueError(
            f"Ratings.from_csv {path}: rating/timestamp columns must be numbers ({exc})"
        ) from exc
