"""Small helpers shared by the data modules: seeds, lazy imports, argument checks."""

import importlib

import numpy as np

from glassnet._backend import default_generator
from glassnet._errors import GlassnetTypeError, GlassnetValueError

__all__ = ["as_generator", "require", "check_split", "check_positive_int", "INSTALL_HINT"]

INSTALL_HINT = 'pip install "glassnet[data]"'


def as_generator(seed, who):
    """A ``numpy.random.Generator`` for ``seed``.

    ``None`` gives glassnet's default generator (so ``gn.manual_seed`` makes the draw
    reproducible), an int gives a fresh generator seeded with it, and a Generator is
    used as is.
    """
    if seed is None:
        return default_generator()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise GlassnetTypeError(
        f"{who}: seed must be None, a non-negative int or a numpy.random.Generator; "
        f"got {seed!r}"
    )


def require(module, who, package):
    """Import ``module`` on first use, or say how to install the package it comes from."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{who} needs the optional package {package!r}, which could not be imported "
            f"({exc}); install glassnet's data extras with: {INSTALL_HINT}"
        ) from exc


def check_split(split, who):
    if split not in ("train", "test"):
        raise GlassnetValueError(f"{who}: split must be 'train' or 'test', got {split!r}")
    return split


def check_positive_int(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise GlassnetValueError(f"{who}: {name} must be a positive int, got {value!r}")
    return int(value)
