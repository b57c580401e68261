"""Id maps: user and item ids (strings or integers) ↔ row/column indices 0..n-1.

An id map is a *sorted* 1-D NumPy array of the distinct ids; index ``j`` stands for
``ids[j]``. Looking ids up is one vectorised ``searchsorted`` — no Python dict, no loop.
"""

import numpy as np

from glassnet._errors import GlassnetTypeError, GlassnetValueError

__all__ = ["as_id_array", "lookup", "ids_to_json", "ids_from_json"]


def as_id_array(values, what):
    """A 1-D array of ids: int64 for integers, unicode for everything else."""
    array = np.asarray(values)
    if array.ndim != 1:
        array = array.reshape(-1)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "b":
        raise GlassnetTypeError(f"Ratings: {what} ids must be strings or integers, got booleans")
    if array.dtype.kind == "f":
        if array.size and not np.all(np.isfinite(array) & (array == np.round(array))):
            raise GlassnetTypeError(
                f"Ratings: {what} ids must be strings or integers, got non-integral floats"
            )
        return array.astype(np.int64)
    return array.astype(str)


def lookup(id_map, ids, what, owner):
    """Indices of ``ids`` in the sorted ``id_map``; ``-1`` marks unknown ids.

    Returns ``(index, known)``; ``owner`` names the caller for error messages.
    """
    ids = np.atleast_1d(np.asarray(ids))
    if ids.dtype.kind in "iuf" and id_map.dtype.kind == "U":
        ids = ids.astype(str)
    elif ids.dtype.kind in "US" and id_map.dtype.kind in "iu":
        try:
            ids = ids.astype(np.int64)
        except ValueError:
            raise GlassnetValueError(
                f"{owner}: {what} ids are integers in the training data, got {ids[:3].tolist()}"
            ) from None
    if id_map.size == 0:
        return np.full(ids.shape, -1, dtype=np.int64), np.zeros(ids.shape, dtype=bool)
    index = np.searchsorted(id_map, ids).clip(0, id_map.size - 1)
    known = id_map[index] == ids
    return np.where(known, index, -1).astype(np.int64), known


def unknown_error(id_map, ids, known, what, owner, hint=""):
    bad = np.asarray(ids).reshape(-1)[~known.reshape(-1)][:3].tolist()
    some = id_map[:3].tolist()
    return GlassnetValueError(
        f"{owner}: unknown {what} id(s) {bad} — not in the training data "
        f"({id_map.size} {what}s, e.g. {some}){hint}"
    )


def ids_to_json(id_map):
    """Id maps for a model file's metadata: a JSON list (strings or ints)."""
    return {"kind": "str" if id_map.dtype.kind == "U" else "int", "ids": id_map.tolist()}


def ids_from_json(blob):
    if blob["kind"] == "str":
        return np.asarray(blob["ids"], dtype=str)
    return np.asarray(blob["ids"], dtype=np.int64)
