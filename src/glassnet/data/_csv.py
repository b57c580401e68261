"""Reading a CSV table into one float array, streaming, in memory bounded by the data.

:func:`read_table` never holds the file's rows as Python lists. One pass over the
bytes (1 MiB blocks, counted in C) bounds the number of rows: by the line breaks, and by
the delimiters divided by ``width − 1``. The features are then parsed ``_BLOCK`` rows at a
time (``np.array(cells, float64)``, in C) into one preallocated array of the target
dtype — its untouched tail is never resident, and it is trimmed at the end when rows were
far fewer. Peak memory: the result plus one block of cells. Lines are read at most
``LIMITS.max_line_chars`` characters at a time, so one enormous line cannot make a
row of it; a cell over the csv module's field limit is a one-line error too.

Each block is checked as it is parsed, so errors name the file's line and the column:
text where a number belongs, NaN or ±inf, and finite numbers that the target dtype
cannot hold (``1e39`` would become ``inf`` in float32).
"""

import csv
import io

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.io._limits import LIMITS

__all__ = ["Table", "read_table"]

_BLOCK = 2048  # rows parsed at a time: their cells are the only Python objects held
_SCAN = 2**20


class Table:
    """What :func:`read_table` read: ``names`` (header cells or None), ``X`` (rows,
    features) in the target dtype, ``labels`` (float64 numbers, int64 codes when the
    label column holds text, or None without a label column) and ``classes`` (the sorted
    texts the codes stand for, or None); ``label`` is the label column's index (or None)."""

    def __init__(self, names, X, labels, classes, label):
        self.names, self.X, self.labels, self.classes = names, X, labels, classes
        self.label = label  # the label column's index, or None


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _scan(f, delimiter):
    """(line breaks, delimiter bytes) in the whole file, counted in 1 MiB blocks."""
    breaks = delimiters = 0
    mark = delimiter.encode("utf-8") if len(delimiter.encode("utf-8")) == 1 else None
    while block := f.read(_SCAN):
        breaks += block.count(b"\n") + block.count(b"\r")
        delimiters += block.count(mark) if mark is not None else 0
    f.seek(0)
    return breaks, (delimiters if mark is not None else None)


def _lines(text, where):
    """The file's lines, each at most ``LIMITS.max_line_chars`` characters."""
    limit, number = LIMITS.max_line_chars, 0
    while line := text.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith(("\n", "\r")):
            raise GlassnetValueError(
                f"{where}: line {number} is longer than {limit:,} characters "
                "(glassnet.io.LIMITS.max_line_chars) — is this a CSV file?")
        yield line


def _rows(handle, delimiter, where):
    """``(file line, stripped cells)`` of each non-blank row."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    reader = csv.reader(_lines(text, where), delimiter=delimiter)
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield reader.line_num, cells
    except UnicodeDecodeError as exc:
        raise GlassnetValueError(f"{where}: the file is not UTF-8 text (near line "
                                 f"{reader.line_num + 1}: {exc.reason})") from None
    except csv.Error as exc:
        raise GlassnetValueError(f"{where}: line {reader.line_num}: not a readable CSV row "
                                 f"({exc})") from None
    finally:
        text.detach()


def _detect_header(first, second):
    """A first row is a header if all its cells are text, or if one of its text cells sits
    above a number in the second row."""
    numeric = [_is_number(cell) for cell in first]
    if all(numeric):
        return False
    if not any(numeric):
        return True
    if second is None:
        return False
    return any(not is_num and j < len(second) and _is_number(second[j])
               for j, is_num in enumerate(numeric))


class _Reader:
    """The state of one streaming read: where rows go and how the label column looks."""

    def __init__(self, where, width, label, describe, dtype, rows_upper):
        self.where, self.width, self.label, self.describe = where, width, label, describe
        self.columns = [j for j in range(width) if j != label]
        self.dtype, self.largest = dtype, np.finfo(dtype).max
        self.X = np.empty((rows_upper, len(self.columns)), dtype=dtype)
        self.labels = None if label is None else np.empty(rows_upper, dtype=np.float64)
        self.text_labels = None  # {text: first-seen code} once the labels are text
        self.count, self.block, self.lines = 0, [], []

    def add(self, line, cells):
        if len(cells) != self.width:
            raise GlassnetValueError(f"{self.where}: line {line} has {len(cells)} cells, expected "
                                     f"{self.width} (as the {self.describe('shape')})")
        self.block.append(cells)
        self.lines.append(line)
        if len(self.block) == _BLOCK:
            self.flush()

    def flush(self):
        if not self.block:
            return
        n, start = len(self.block), self.count
        if start + n > self.X.shape[0]:  # a safety net: the row bound is never too small
            grow = max(n, self.X.shape[0])
            self.X = np.concatenate([self.X, np.empty((grow, self.X.shape[1]), self.X.dtype)])
            if self.labels is not None:
                self.labels = np.concatenate([self.labels, np.empty(grow)])
        features = [[row[j] for j in self.columns] for row in self.block]
        self.X[start:start + n] = self._numbers(features)
        if self.label is not None:
            self._add_labels([row[self.label] for row in self.block], start)
        self.count += n
        self.block, self.lines = [], []

    def _numbers(self, cells):
        try:
            values = np.array(cells, dtype=np.float64).reshape(len(cells), len(self.columns))
        except ValueError:
            self._bad_cell(cells)
        bad = ~np.isfinite(values) | (np.abs(values) > self.largest)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            v, at = values[i, j], f"line {self.lines[i]}, {self.describe(self.columns[j])}"
            if np.isnan(v):
                raise GlassnetValueError(f"{self.where}: found NaN in the features at {at}; fill "
                                         "in or drop missing values before loading")
            if not np.isfinite(v):
                raise GlassnetValueError(f"{self.where}: found an infinite value in the features "
                                         f"at {at}; fill in or drop missing values before loading")
            raise GlassnetValueError(f"{self.where}: {at}: {self.block[i][self.columns[j]]} does "
                                     f"not fit in {np.dtype(self.dtype)} (largest "
                                     f"{self.largest:.4g}); it would become infinite")
        return values

    def _bad_cell(self, cells):
        for j in range(len(self.columns)):
            for i, row in enumerate(cells):
                if not _is_number(row[j]):
                    shown = repr(row[j][:60]) if row[j] else "an empty cell"
                    raise GlassnetValueError(
                        f"{self.where}: line {self.lines[i]}, {self.describe(self.columns[j])}: "
                        f"expected a number, found {shown}") from None
        raise GlassnetValueError(f"{self.where}: could not read the cells as numbers") from None

    def _add_labels(self, cells, start):
        """Numbers or text, as the first data row's label; a row of the other kind fails."""
        if self.count == 0:
            self.text_labels = None if _is_number(cells[0]) else {}
        is_num = np.array([_is_number(c) for c in cells])
        other = np.flatnonzero(is_num if self.text_labels is not None else ~is_num)
        if other.size:
            i = int(other[0])
            raise GlassnetValueError(
                f"{self.where}: the label column {self.describe(None)} mixes numbers and text; "
                f"line {self.lines[i]} holds {cells[i][:60]!r}")
        if self.text_labels is None:
            values = np.array(cells, dtype=np.float64)
            self._check_label_range(values)
            self.labels[start:start + len(cells)] = values
        else:
            codes = self.text_labels
            self.labels[start:start + len(cells)] = [codes.setdefault(c, len(codes)) for c in cells]
            LIMITS.check("max_classes", len(codes), "its label column names {:,} classes",
                         self.where)

    def _check_label_range(self, values):
        finite = np.isfinite(values)
        big = finite & (np.abs(values) > self.largest)
        if big.any():
            i = int(np.argmax(big))
            raise GlassnetValueError(f"{self.where}: line {self.lines[i]}, label column "
                                     f"{self.describe(None)}: {values[i]:.4g} does not fit in "
                                     f"{np.dtype(self.dtype)}; it would become infinite")

    def result(self, names):
        self.flush()
        n = self.count
        X = self.X[:n] if n * 2 > self.X.shape[0] else self.X[:n].copy()
        if self.labels is None:
            return Table(names, X, None, None, None)
        labels = self.labels[:n] if n * 2 > self.labels.shape[0] else self.labels[:n].copy()
        if self.text_labels is None:
            return Table(names, X, labels, None, self.label)
        classes = sorted(self.text_labels)
        order = np.empty(len(classes), dtype=np.int64)
        order[[self.text_labels[c] for c in classes]] = np.arange(len(classes))
        return Table(names, X, order[labels.astype(np.int64)], classes, self.label)


def _row_bound(breaks, delimiters, width):
    """At most this many rows: one per line break (+1), and each row of ``width`` cells
    holds ``width − 1`` delimiters."""
    bound = breaks + 1
    if delimiters is not None and width > 1:
        bound = min(bound, delimiters // (width - 1) + 1)
    return bound


def read_table(handle, header, delimiter, label_column, dtype, where, label_index):
    """Stream the CSV file ``handle`` (binary, at its start) into a :class:`Table`.

    ``label_index(label_column, names, width)`` picks the label column (None: no
    labels); ``header`` is "auto", True or False; features become ``dtype``."""
    breaks, delimiters = _scan(handle, delimiter)
    rows = _rows(handle, delimiter, where)
    try:
        return _read_rows(rows, header, label_column, dtype, where, label_index,
                          lambda width: _row_bound(breaks, delimiters, width))
    finally:
        rows.close()  # detach the text layer while ``handle`` is still open


def _read_rows(rows, header, label_column, dtype, where, label_index, bound):
    first = next(rows, None)
    if first is None:
        raise GlassnetValueError(f"{where}: the file has no rows (only blank lines)")
    second = next(rows, None)
    has_header = _detect_header(first[1], second and second[1]) if header == "auto" else header
    names = first[1] if has_header else None
    width = len(first[1])
    label = label_index(label_column, names, width)

    def describe(j):
        if j == "shape":
            return "header" if names is not None else "first row"
        j = label if j is None else j
        return f"column {names[j]!r} (index {j})" if names is not None else f"column index {j}"

    if label is not None and width == 1:
        raise GlassnetValueError(f"{where}: no feature columns are left besides the label")
    reader = _Reader(where, width, label, describe, dtype, bound(width))
    for line, cells in ([] if has_header else [first]) + ([second] if second else []):
        reader.add(line, cells)
    for line, cells in rows:
        reader.add(line, cells)
    if reader.count + len(reader.block) == 0:
        raise GlassnetValueError(f"{where}: the file has a header row but no data rows")
    return reader.result(names)
