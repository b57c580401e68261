"""Saving and loading recommenders through glassnet's safetensors model files.

A file holds the model's arrays (factors, biases), the training interactions as CSR
``seen_indptr``/``seen_indices`` (so ``exclude_seen`` still works after loading) and
integer id maps as tensors; the header metadata holds the model's class and config,
the training mean, and string id maps as JSON. Loading never runs code.
"""

import inspect
import math
import os

import numpy as np

from glassnet._errors import GlassnetError
from glassnet.recommend._ids import ids_from_json, ids_to_json

__all__ = ["load", "save_model"]


def _classes():
    from glassnet.recommend._als import ALS, ImplicitALS
    from glassnet.recommend._baselines import BiasModel, GlobalMean, Popularity
    from glassnet.recommend._mf import MatrixFactorization

    return {c.__name__: c for c in (ALS, ImplicitALS, BiasModel, GlobalMean, Popularity,
                                    MatrixFactorization)}


def _ids_entry(name, ids, arrays, meta):
    if ids.dtype.kind in "iu":
        arrays[f"{name}_ids"] = ids.astype(np.int64)
        meta[f"{name}_ids"] = {"kind": "int", "ids": None}
    else:
        meta[f"{name}_ids"] = ids_to_json(ids)


def save_model(model, path):
    """Write ``model`` (a fitted Recommender) to ``path``; returns the path."""
    from glassnet.io import save

    arrays = {key: np.asarray(value) for key, value in model._arrays().items()}
    arrays["seen_indptr"] = model.seen_indptr.astype(np.int64)
    arrays["seen_indices"] = model.seen_indices.astype(np.int64)
    meta = {"recommender": type(model).__name__, "recommender_config": model._config(),
            "global_mean": model.global_mean_}
    _ids_entry("user", model.user_ids, arrays, meta)
    _ids_entry("item", model.item_ids, arrays, meta)
    return save(arrays, path, metadata=meta)


_INTEGERS = ("rank", "iterations", "epochs", "batch_size", "num_users", "num_items", "cg_steps",
             "seed")
_NUMBERS = ("reg", "lr", "alpha", "tol", "init_std", "reg_user", "reg_item")


def _check_config(cls, config):
    """Every field a constructor argument of ``cls``, of the kind it expects; for a
    :class:`MatrixFactorization` (which allocates its tables when built) the numbers
    ``(num_users + num_items)·(rank + 1) + 1`` it will hold. Raises ValueError."""
    if type(config) is not dict:
        raise ValueError(f"recommender_config is a {type(config).__name__}, not a dict")
    known = set(inspect.signature(cls).parameters)
    unknown = sorted(set(config) - known, key=str)
    if unknown:
        raise ValueError(f"{cls.__name__} has no argument(s) {unknown[:5]}")
    for key, value in config.items():
        if key in _INTEGERS and value is not None and (type(value) is not int or value < 0):
            raise ValueError(f"{key} must be a non-negative integer, got {value!r:.60}")
        if key in _NUMBERS and (type(value) not in (int, float) or not math.isfinite(value)):
            raise ValueError(f"{key} must be a finite number, got {value!r:.60}")
    if "dtype" in config and config["dtype"] not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {config['dtype']!r:.60}")
    users, items = config.get("num_users"), config.get("num_items")
    if users is None or items is None:
        return 0
    return (users + items) * (config.get("rank", 32) + 1) + 1


def _check_ids(blob, side, header_bytes):
    """A saved id map must be ``{"kind": "str"|"int", "ids": list or None}`` whose array
    (fixed-width for strings) stays within a small multiple of the header it came from."""
    if type(blob) is not dict or blob.get("kind") not in ("str", "int") or \
            type(blob.get("ids")) not in (list, type(None)):
        raise ValueError(f"{side}_ids is not an id map")
    ids = blob["ids"]
    if ids is None:
        return
    if blob["kind"] == "int":
        if not all(type(v) is int and -2**63 <= v < 2**63 for v in ids):
            raise ValueError(f"{side}_ids must be 64-bit integers")
        return
    if not all(type(v) is str for v in ids):
        raise ValueError(f"{side}_ids must be strings")
    fixed = 4 * len(ids) * max(map(len, ids), default=0)  # a NumPy unicode array: 4 bytes a character
    if fixed > 2**26 + 16 * header_bytes:
        raise ValueError(f"{side}_ids would take {fixed:,} bytes as an array ({len(ids):,} ids up "
                         f"to {max(map(len, ids)):,} characters long)")


def _check_shapes(arrays, model):
    """Per-user arrays have a row per user, per-item arrays one per item, factors ``rank``
    columns."""
    sides = {"user": len(model.user_ids), "item": len(model.item_ids)}
    for key, array in arrays.items():
        side = key.split("_")[0]
        if side in sides and not key.endswith("_ids") and (
                array.ndim == 0 or array.shape[0] != sides[side]):
            raise ValueError(f"{key} has shape {array.shape} but there are {sides[side]} {side}s")
        rank = getattr(model, "rank", None)
        if "factors" in key and rank is not None and (array.ndim != 2 or array.shape[1] != rank):
            raise ValueError(f"{key} has shape {array.shape}; rank {rank} needs {rank} columns")


def load(path):
    """Rebuild a recommender saved with ``model.save(path)``.

    The config and id maps are checked before anything is built or read: integers where
    integers belong, no unknown argument, a :class:`MatrixFactorization` no larger than
    the numbers the file holds nor ``glassnet.io.LIMITS.max_parameters``."""
    from glassnet.io import load_metadata, read_arrays
    from glassnet.io._header import read_header
    from glassnet.io._limits import LIMITS

    path = os.fspath(path)
    meta = load_metadata(path)
    name = meta.get("recommender")
    classes = _classes()
    if not isinstance(name, str) or name not in classes:
        raise GlassnetError(f"recommend.load {path}: not a glassnet recommender file "
                            f"(recommender={name!r:.60}; expected one of {sorted(classes)})")
    header = read_header(path)
    try:
        numbers = _check_config(classes[name], meta.get("recommender_config"))
        for side in ("user", "item"):
            _check_ids(meta.get(f"{side}_ids"), side, header.data_start)
    except ValueError as exc:
        raise GlassnetError(f"recommend.load {path}: damaged or inconsistent recommender file "
                            f"({exc})") from None
    LIMITS.check("max_parameters", numbers, f"a {name} of {{:,}} numbers", f"recommend.load {path}")
    held = sum(math.prod(shape) for _, shape, _, _ in header.tensors.values())
    if numbers > held:
        raise GlassnetError(f"recommend.load {path}: the config describes a {name} of {numbers:,} "
                            f"numbers but the file holds only {held:,}; it does not describe "
                            "these arrays")
    arrays, _ = read_arrays(path)
    return _rebuild(path, classes[name], meta, arrays)


def _rebuild(path, cls, meta, arrays):
    try:
        model = cls._restore(meta["recommender_config"], arrays)
        for side in ("user", "item"):
            blob = meta[f"{side}_ids"]
            ids = arrays.pop(f"{side}_ids") if blob["ids"] is None else ids_from_json(blob)
            setattr(model, f"{side}_ids", ids)
        model.seen_indptr, model.seen_indices = arrays["seen_indptr"], arrays["seen_indices"]
        model.global_mean_ = float(meta["global_mean"])
        _check_seen(model)
        _check_shapes(arrays, model)
    except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
        if isinstance(exc, GlassnetError):
            raise
        raise GlassnetError(f"recommend.load {path}: damaged or inconsistent recommender file "
                            f"({type(exc).__name__}: {exc})") from None
    return model


def _check_seen(model):
    """The saved training interactions must index real users and items (CSR layout)."""
    indptr, indices = model.seen_indptr, model.seen_indices
    n_users, n_items = len(model.user_ids), len(model.item_ids)
    if (indptr.ndim != 1 or len(indptr) != n_users + 1 or indptr[0] != 0
            or np.any(np.diff(indptr) < 0) or indptr[-1] != len(indices)):
        raise ValueError(f"seen_indptr does not describe {n_users} users' rows")
    if indices.size and (indices.min() < 0 or indices.max() >= n_items):
        raise ValueError(f"seen_indices fall outside the {n_items} items")
