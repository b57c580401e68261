"""Nested Python state (optimizer and scheduler state dicts, RNG states, histories) as
JSON plus named arrays, so a checkpoint is one safetensors file with no pickle.

``pack_tree(tree, prefix)`` returns ``(doc, arrays)``: ``doc`` is JSON-ready, with
every array replaced by ``{"$array": name}`` and ``arrays`` holding them by name. Tuples,
``Counter`` and dicts with non-string keys are tagged (``$tuple``, ``$counter``,
``$dict``) so that :func:`unpack_tree` gives back the same types; NumPy scalars become
Python numbers. Python floats survive JSON exactly (shortest repr, ``Infinity``/``NaN``).
"""

from collections import Counter

import numpy as np

from glassnet._backend import to_numpy
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor

__all__ = ["pack_tree", "unpack_tree"]

_TAGS = ("$array", "$tuple", "$counter", "$dict")


def _is_array(value):
    return isinstance(value, (np.ndarray, Tensor)) or type(value).__name__ == "ndarray"


def pack_tree(tree, prefix=""):
    arrays = {}

    def pack(value, path):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if _is_array(value):
            name = base = prefix + "/".join(path)
            while name in arrays:  # two paths that print alike (a key 0 and a key "0")
                name = f"{base}#{len(arrays)}"
            arrays[name] = to_numpy(value.array if isinstance(value, Tensor) else value).copy()
            return {"$array": name}
        if isinstance(value, tuple):
            return {"$tuple": [pack(v, (*path, str(i))) for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [pack(v, (*path, str(i))) for i, v in enumerate(value)]
        if isinstance(value, Counter):
            return {"$counter": [[pack(k, (*path, "k")), n] for k, n in value.items()]}
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("$") for k in value):
                return {k: pack(v, (*path, k)) for k, v in value.items()}
            return {"$dict": [[pack(k, (*path, "key")), pack(v, (*path, str(k)))]
                              for k, v in value.items()]}
        raise GlassnetTypeError(
            f"pack_tree: cannot store {type(value).__name__} at {'/'.join(path) or 'the root'}; "
            "state must be numbers, strings, lists, tuples, dicts and arrays"
        )

    return pack(tree, ()), arrays


def unpack_tree(doc, arrays):
    """The inverse of :func:`pack_tree`; arrays are NumPy arrays from ``arrays``."""

    def unpack(value):
        if isinstance(value, list):
            return [unpack(v) for v in value]
        if not isinstance(value, dict):
            return value
        tag = next((t for t in _TAGS if t in value), None)
        if tag is None:
            return {k: unpack(v) for k, v in value.items()}
        body = value[tag]
        if tag == "$array":
            if body not in arrays:
                raise GlassnetValueError(f"unpack_tree: the array {body!r} is missing")
            return arrays[body]
        if tag == "$tuple":
            return tuple(unpack(v) for v in body)
        if tag == "$counter":
            return Counter({_hashable(unpack(k)): n for k, n in body})
        return {_hashable(unpack(k)): unpack(v) for k, v in body}

    return unpack(doc)


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key
