"""Datasets from the user's files: CSV tables and NPZ archives.

Both return a :class:`TensorDataset` of features ``X`` (n, n_features) in the default
float dtype (float32) and labels ``y`` (n,). Labels are int64 when every label is a whole
number (classes), the default float dtype otherwise (regression targets), or int64 class
indices when a CSV label column holds text (``ds.classes`` names them, sorted);
``label_dtype`` overrides the choice. Bad files fail with an error that names the file,
the line and the column.

Both read hostile files safely: regular files only (a FIFO, a device or a directory is
refused before it is read), CSV streamed into one preallocated array
(:mod:`glassnet.data._csv`: memory ≈ the result), NPZ members checked against their
declared sizes before anything is allocated (:mod:`glassnet.data._npz`: no zip bombs),
and values that the float dtype cannot hold (``1e39`` in float32) refused with their
place named. Limits: :data:`glassnet.io.LIMITS`.
"""

import os

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.data._csv import read_table
from glassnet.data._dataset import TensorDataset
from glassnet.data._npz import NpzReader
from glassnet.io._open import open_regular

__all__ = ["from_csv", "from_npz"]


def _labels(values, label_dtype, where):
    """Labels as int64 when whole numbers, else the default float dtype (or label_dtype);
    values that the dtype cannot hold are refused."""
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise GlassnetValueError(f"{where}: the labels contain NaN or infinite values")
    if label_dtype is not None:
        target = np.dtype(label_dtype)
    elif values.dtype.kind in "biu" or (values == np.round(values)).all():
        target = np.dtype(np.int64)
    else:
        target = np.dtype(get_default_dtype())
    if values.size and values.dtype.kind in "fiu" and target.kind in "fiu":
        info = np.finfo(target) if target.kind == "f" else np.iinfo(target)
        low, high = values.min(), values.max()
        if low < info.min or high > info.max:
            raise GlassnetValueError(f"{where}: a label of {low if low < info.min else high:.4g} "
                                     f"does not fit in {target} (range {info.min:.4g} .. "
                                     f"{info.max:.4g})")
    return values.astype(target)


def _check_finite(X, where, locate):
    """Refuse NaN/Inf features and values that the default float dtype cannot hold,
    naming the first one by ``locate(row, column)``."""
    largest = np.finfo(get_default_dtype()).max
    if X.dtype.kind != "f":
        big = np.abs(X.astype(np.float64)) > largest if X.dtype.itemsize >= 8 else None
        if big is not None and big.any():
            i, j = np.argwhere(big)[0]
            raise GlassnetValueError(f"{where}: {X[i, j]} at {locate(i, j)} does not fit in "
                                     f"{np.dtype(get_default_dtype())}")
        return
    bad = ~np.isfinite(X) | (np.abs(X) > largest)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        if np.isfinite(X[i, j]):
            raise GlassnetValueError(
                f"{where}: {X[i, j]:.4g} at {locate(i, j)} does not fit in "
                f"{np.dtype(get_default_dtype())} (largest {largest:.4g}); it would become "
                "infinite")
        what = "NaN" if np.isnan(X[i, j]) else "an infinite value"
        raise GlassnetValueError(
            f"{where}: found {what} in the features at {locate(i, j)}; fill in or drop "
            "missing values before loading"
        )


def _open(path, who, what):
    """The open regular file at ``path`` (refusing empty files), and its path as a str."""
    path = os.fspath(path)
    handle, size = open_regular(path, who, what)
    if size == 0:
        handle.close()
        raise GlassnetValueError(f"{who}: {path!r} is empty (0 bytes); there is no data")
    return handle, path


# -- CSV ---------------------------------------------------------------------------


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


def from_csv(path, label_column=-1, header="auto", delimiter=",", label_dtype=None):
    """Load a CSV table: one row per sample, one column holding the label.

    ``label_column`` is a column name (needs a header), an int index (``-1``: the last
    column) or ``None`` (no labels: the dataset holds ``X`` only). ``header`` is
    ``"auto"`` (a first row of text above numbers is a header), ``True`` or ``False``.
    Returns ``TensorDataset(X (n, n_features) float32, y (n,))`` with ``feature_names``
    from the header and ``classes`` for a text label column.
    """
    handle, path = _open(path, "from_csv", "CSV file")
    where = f"from_csv({path!r})"
    with handle:
        if header not in ("auto", True, False):
            raise GlassnetValueError(f"{where}: header must be 'auto', True or False, got {header!r}")

        def label_index(column, names, width):
            return None if column is None else _label_index(column, names, width, where)

        table = read_table(handle, header, delimiter, label_column, get_default_dtype(), where,
                           label_index)
    names = table.names
    feature_names = None if names is None else [n for j, n in enumerate(names) if j != table.label]
    if table.labels is None:
        return TensorDataset(table.X, feature_names=feature_names)
    if table.classes is not None:
        codes = table.labels if label_dtype is None else table.labels.astype(label_dtype)
        return TensorDataset(table.X, codes, classes=table.classes, feature_names=feature_names)
    y = _labels(table.labels, label_dtype, where)
    return TensorDataset(table.X, y, feature_names=feature_names)


# -- NPZ ---------------------------------------------------------------------------


def _npz_array(archive, key, where, role):
    if key not in archive.files:
        raise GlassnetValueError(
            f"{where}: no array named {key!r} ({role}); the archive holds: "
            f"{', '.join(repr(k) for k in archive.files[:20]) or 'nothing'} (pick one with "
            f"{'x_key' if role == 'features' else 'y_key'}=...)"
        )
    array = archive.read(key)
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
    Every member is checked against its declared size before it is read
    (:class:`glassnet.data._npz.NpzReader`).
    """
    path = os.fspath(path)
    where = f"from_npz({path!r})"
    with NpzReader(path, where) as archive:
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
