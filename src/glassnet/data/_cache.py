"""Where generated datasets are cached, and how cache files are written (atomically)."""

import os
from pathlib import Path

import numpy as np

from glassnet.io._atomic import atomic_write

__all__ = ["cache_dir", "save_npz_atomic", "load_npz_or_none"]


def cache_dir():
    """The folder for cached datasets (it may not exist yet).

    ``$GLASSNET_CACHE`` if set; else ``$XDG_CACHE_HOME/glassnet`` (an absolute path);
    else ``~/.cache/glassnet``.
    """
    override = os.environ.get("GLASSNET_CACHE")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "glassnet"


def save_npz_atomic(path, **arrays):
    """Write ``arrays`` to the .npz file ``path`` so that readers never see half a file
    (temporary file, fsync, rename: :func:`glassnet.io.atomic_write`)."""
    with atomic_write(path, "wb") as handle:
        np.savez(handle, **arrays)


def load_npz_or_none(path, keys):
    """The arrays ``keys`` of the .npz file ``path`` as a dict, or None if the file is
    missing, unreadable, over :data:`glassnet.io.LIMITS` or lacks a key (a cache miss:
    the caller regenerates it). Read like any data file (:class:`NpzReader`): a
    damaged or hostile cache file never makes glassnet allocate what it claims."""
    from glassnet._errors import GlassnetError
    from glassnet.data._npz import NpzReader

    if not os.path.exists(path):
        return None
    try:
        with NpzReader(path, f"cache {os.fspath(path)!r}") as archive:
            if any(key not in archive.files for key in keys):
                return None
            return {key: archive.read(key) for key in keys}
    except GlassnetError:
        return None
