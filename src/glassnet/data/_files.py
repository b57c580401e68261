"""Datasets from the user's files: CSV tables and NPZ archives.

Both return a :class:`TensorDataset` of features ``X`` (n, n_features) in the default
float dtype (float32) and labels ``y`` (n,). Labels are int64 when every label is a whole
number (classes), the default float dtype otherwise (regression targets), or int64 class
indices when a CSV label column holds text (``ds.classes`` names them, sorted);
``label_dtype`` overrides the choice. Bad files fail with an error that names the file,
the line and the column.
"""

import os

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.data._dataset import TensorDataset

__all__ = ["from_csv", "from_npz"]


def _check_file(path, who):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{who}: no such file: {path!r}")
    if os.path.getsize(path) == 0:
        raise GlassnetValueError(f"{who}: {path!r} is empty (0 bytes); there is no data")
    return path


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _labels(values, label_dtype, where):
    """Labels as int64 when whole numbers, else the default float dtype (or label_dtype)."""
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise GlassnetValueError(f"{where}: the labels contain NaN or infinite values")
    if label_dtype is not None:
        return values.astype(label_dtype)
    if values.dtype.kind in "biu":
        return values.astype(np.int64)
    if (values == np.round(values)).all():
        return values.astype(np.int64)
    return values.astype(get_default_dtype())


def _check_finite(X, where, locate):
    """Refuse NaN/Inf features, naming the first one by ``locate(row, column)``."""
    finite = np.isfinite(X)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        what = "NaN" if np.isnan(X[i, j]) else "an infinite value"
        raise GlassnetValueError(
            f"{where}: found {what} in the features at {locate(i, j)}; fill in or drop "
            "missing values before loading"
        )


# -- CSV ---------------------------------------------------------------------------


def _read_rows(path, delimiter, who):
    """Non-blank rows of stripped cells, and the file line number of each row."""
    import csv

    rows, lines = [], []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            for row in reader:
                cells = [cell.strip() for cell in row]
                if any(cells):
                    rows.append(cells)
                    lines.append(reader.line_num)
    except UnicodeDecodeError as exc:
        raise GlassnetValueError(f"{who}: {path!r} is not UTF-8 text: {exc}") from exc
    return rows, lines


def _detect_header(rows):
    """A first row is a header if all its cells are text, or if one of its text cells sits
    above a number in the second row."""
    first = [_is_number(cell) for cell in rows[0]]
    if all(first):
        return False
    if not any(first):
        return True
    if len(rows) < 2:
        return False
    second = rows[1]
    return any(
        not is_num and j < len(second) and _is_number(second[j]) for j, is_num in enumerate(first)
    )


def _label_index(label_column, names, width, where):
    listing = ", ".join(repr(n) for n in names) if names else f"{width} unnamed columns"
    if isinstance(label_column, str):
        if names is None:
            raise GlassnetValueError(
                f"{where}: label_column={label_column!r} names a column, but the file has no "
                "header row; pass the column's index instead (e.g. label_column=-1)"
            )
        if label_column not in names:
            raise GlassnetValueError(
                f"{where}: no column named {label_column!r}; the columns are: {listing}"
            )
        return names.index(label_column)
    if isinstance(label_column, bool) or not isinstance(label_column, (int, np.integer)):
        raise GlassnetValueError(
            f"{where}: label_column must be a column name, an int index or None, got "
            f"{label_column!r}"
        )
    if not -width <= label_column < width:
        raise GlassnetValueError(
            f"{where}: label_column {label_column} is out of range for {width} columns "
            f"({listing})"
        )
    return int(label_column) % width


def _numeric(cells, columns, lines, where, describe):
    """Parse a (rows, cols) array of strings as float64, naming the first bad cell."""
    try:
        return cells.astype(np.float64)
    except ValueError:
        pass
    for j in range(cells.shape[1]):
        for i, cell in enumerate(cells[:, j]):
            if not _is_number(cell):
                shown = repr(str(cell)) if cell else "an empty cell"
                raise GlassnetValueError(
                    f"{where}: line {lines[i]}, {describe(columns[j])}: expected a number, "
                    f"found {shown}"
                ) from None
    raise GlassnetValueError(f"{where}: could not read the cells as numbers")  # unreachable


def _csv_labels(column, lines, label_dtype, where, describe):
    """Numbers → classes or targets; all-text → class indices with sorted class names."""
    is_num = np.array([_is_number(cell) for cell in column])
    if is_num.all():
        return _labels(column.astype(np.float64), label_dtype, where), None
    if is_num.any():
        i = int(np.argmax(~is_num)) if is_num[0] else int(np.argmax(is_num))
        raise GlassnetValueError(
            f"{where}: the label column {describe(None)} mixes numbers and text; line "
            f"{lines[i]} holds {str(column[i])!r}"
        )
    classes, codes = np.unique(column, return_inverse=True)
    codes = codes.reshape(-1).astype(np.int64 if label_dtype is None else label_dtype)
    return codes, [str(c) for c in classes]


def _read_table(path, header, delimiter, where):
    """The header names (or None), the data rows as a (rows, cols) string array, and the
    file line number of each data row."""
    rows, lines = _read_rows(path, delimiter, "from_csv")
    if not rows:
        raise GlassnetValueError(f"{where}: the file has no rows (only blank lines)")
    has_header = _detect_header(rows) if header == "auto" else header
    names = rows[0] if has_header else None
    if has_header:
        rows, lines = rows[1:], lines[1:]
    if not rows:
        raise GlassnetValueError(f"{where}: the file has a header row but no data rows")
    width = len(names) if names is not None else len(rows[0])
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise GlassnetValueError(
                f"{where}: line {line} has {len(row)} cells, expected {width} (as the "
                f"{'header' if names is not None else 'first row'})"
            )
    return names, np.array(rows, dtype=str), lines


def from_csv(path, label_column=-1, header="auto", delimiter=",", label_dtype=None):
    """Load a CSV table: one row per sample, one column holding the label.

    ``label_column`` is a column name (needs a header), an int index (``-1``: the last
    column) or ``None`` (no labels: the dataset holds ``X`` only). ``header`` is
    ``"auto"`` (a first row of text above numbers is a header), ``True`` or ``False``.
    Returns ``TensorDataset(X (n, n_features) float32, y (n,))`` with ``feature_names``
    from the header and ``classes`` for a text label column.
    """
    path = _check_file(path, "from_csv")
    where = f"from_csv({path!r})"
    if header not in ("auto", True, False):
        raise GlassnetValueError(f"{where}: header must be 'auto', True or False, got {header!r}")
    names, cells, lines = _read_table(path, header, delimiter, where)
    width = cells.shape[1]
    label = None if label_column is None else _label_index(label_column, names, width, where)

    def describe(j):
        j = label if j is None else j
        return f"column {names[j]!r} (index {j})" if names is not None else f"column index {j}"

    columns = [j for j in range(width) if j != label]
    if not columns:
        raise GlassnetValueError(f"{where}: no feature columns are left besides the label")
    X = _numeric(cells[:, columns], columns, lines, where, describe)
    _check_finite(X, where, lambda i, j: f"line {lines[i]}, {describe(columns[j])}")
    X = X.astype(get_default_dtype())
    feature_names = None if names is None else [names[j] for j in columns]
    if label is None:
        return TensorDataset(X, feature_names=feature_names)
    y, classes = _csv_labels(cells[:, label], lines, label_dtype, where, describe)
    return TensorDataset(X, y, classes=classes, feature_names=feature_names)


# -- NPZ ---------------------------------------------------------------------------


def _npz_array(archive, key, where, role):
    if key not in archive.files:
        raise GlassnetValueError(
            f"{where}: no array named {key!r} ({role}); the archive holds: "
            f"{', '.join(repr(k) for k in archive.files) or 'nothing'} (pick one with "
            f"{'x_key' if role == 'features' else 'y_key'}=...)"
        )
    try:
        array = archive[key]
    except ValueError as exc:
        raise GlassnetValueError(
            f"{where}: array {key!r} holds Python objects, which would need pickle to load; "
            "glassnet never unpickles data files. Save numeric arrays instead"
        ) from exc
    if array.dtype.kind not in "biuf":
        raise GlassnetValueError(
            f"{where}: array {key!r} ({role}) has dtype {array.dtype}; expected numbers"
        )
    if array.ndim == 0 or array.shape[0] == 0:
        raise GlassnetValueError(
            f"{where}: array {key!r} ({role}) has shape {array.shape}; it holds no samples"
        )
    return array


def from_npz(path, x_key="X", y_key="y", label_dtype=None):
    """Load features and labels from a NumPy ``.npz`` archive (never unpickling anything).

    ``X = archive[x_key]`` of shape (n, *features) and, unless ``y_key`` is None,
    ``y = archive[y_key]`` of shape (n,). Returns ``TensorDataset(X float32, y)``.
    """
    import zipfile

    path = _check_file(path, "from_npz")
    where = f"from_npz({path!r})"
    with open(path, "rb") as handle:  # closed by us even when the archive is broken
        try:
            archive = np.load(handle, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise GlassnetValueError(f"{where}: not a readable .npz archive ({exc})") from exc
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise GlassnetValueError(
                f"{where}: holds a single array (.npy format), not an .npz archive of named "
                "arrays; save with np.savez(path, X=X, y=y)"
            )
        with archive:
            X = _npz_array(archive, x_key, where, "features")
            y = None if y_key is None else _npz_array(archive, y_key, where, "labels")
    if y is not None and y.shape[0] != X.shape[0]:
        raise GlassnetValueError(
            f"{where}: {x_key!r} has {X.shape[0]} samples (shape {X.shape}) but {y_key!r} has "
            f"{y.shape[0]} (shape {y.shape}); they must match"
        )
    flat = X.reshape(X.shape[0], -1)
    _check_finite(flat, where, lambda i, j: f"sample {i}, flat feature {j} of {x_key!r}")
    X = X.astype(get_default_dtype())
    if y is None:
        return TensorDataset(X)
    return TensorDataset(X, _labels(y, label_dtype, where))
