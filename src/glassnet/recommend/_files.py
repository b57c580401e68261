"""Saving and loading recommenders through glassnet's safetensors model files.

A file holds the model's arrays (factors, biases), the training interactions as CSR
``seen_indptr``/``seen_indices`` (so ``exclude_seen`` still works after loading) and
integer id maps as tensors; the header metadata holds the model's class and config,
the training mean, and string id maps as JSON. Loading never runs code.
"""

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


def load(path):
    """Rebuild a recommender saved with ``model.save(path)``."""
    from glassnet.io import load_metadata, read_arrays

    path = os.fspath(path)
    meta = load_metadata(path)
    name = meta.get("recommender")
    classes = _classes()
    if name not in classes:
        raise GlassnetError(f"recommend.load {path}: not a glassnet recommender file "
                            f"(recommender={name!r}; expected one of {sorted(classes)})")
    arrays, _ = read_arrays(path)
    try:
        config = meta["recommender_config"]
        if not isinstance(config, dict):
            raise TypeError(f"recommender_config is a {type(config).__name__}, not a dict")
        model = classes[name]._restore(config, arrays)
        for side in ("user", "item"):
            blob = meta[f"{side}_ids"]
            ids = arrays.pop(f"{side}_ids") if blob["ids"] is None else ids_from_json(blob)
            setattr(model, f"{side}_ids", ids)
        model.seen_indptr, model.seen_indices = arrays["seen_indptr"], arrays["seen_indices"]
        model.global_mean_ = float(meta["global_mean"])
        _check_seen(model)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
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
