"""Where generated datasets are cached, and how cache files are written (atomically)."""

import os
from pathlib import Path

import numpy as np

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
    """Write ``arrays`` to the .npz file ``path`` so that readers never see half a file.

    The archive goes to a temporary file in the same folder, is flushed and fsynced, then
    renamed over ``path`` with ``os.replace`` (atomic on POSIX and Windows).
    """
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_npz_or_none(path, keys):
    """The arrays ``keys`` of the .npz file ``path`` as a dict, or None if the file is
    missing, unreadable or lacks a key (a cache miss: the caller regenerates it)."""
    import zipfile

    if not os.path.exists(path):
        return None
    broken = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)
    # np.load is handed an open file so that it is closed even when the archive is broken.
    with open(path, "rb") as handle:
        try:
            archive = np.load(handle, allow_pickle=False)
        except broken:
            return None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            return None
        with archive:
            if any(key not in archive.files for key in keys):
                return None
            try:
                return {key: archive[key] for key in keys}
            except broken:
                return None
