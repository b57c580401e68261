"""Atomic file writes: a crash mid-write leaves the previous file intact.

The bytes go to a temporary file in the destination's directory, are flushed and
fsync'ed, then ``os.replace`` swaps it in (atomic on POSIX and Windows), and the
directory entry is fsync'ed where the platform allows.

An operating-system error on the way (the disk is full, no permission, a read-only
file system) becomes a :class:`FileWriteError` — a ``GlassnetError`` and an ``OSError``
— that names the file and the reason in one line; the temporary file is removed and
whatever was at ``path`` before is untouched.
"""

import contextlib
import os
import tempfile

from glassnet._errors import GlassnetError

__all__ = ["FileWriteError", "atomic_write", "atomic_write_bytes", "atomic_write_text"]


class FileWriteError(GlassnetError, OSError):
    """Writing a file failed (disk full, permissions, …); the message names the file."""


def _write_error(path, exc):
    reason = exc.strerror or str(exc)
    return FileWriteError(f"write {path}: {reason} — nothing was written (a previous file "
                          "there is unchanged)")


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """``with atomic_write(path) as f: f.write(...)`` — all or nothing."""
    path = os.fspath(path)
    with _as_write_error(path):
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                   dir=directory)
    try:
        _chmod_like_open(fd)
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, GlassnetError):
            raise _write_error(path, exc) from None
        raise
    _fsync_directory(directory)


@contextlib.contextmanager
def _as_write_error(path):
    try:
        yield
    except OSError as exc:
        if isinstance(exc, GlassnetError):
            raise
        raise _write_error(path, exc) from None


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _chmod_like_open(fd):
    """mkstemp makes 0600 files; give the file the mode ``open()`` would (0666 & ~umask)."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o666 & ~_UMASK)


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path, data):
    with atomic_write(path, "wb") as f:
        f.write(data)


def atomic_write_text(path, text):
    with atomic_write(path, "w") as f:
        f.write(text)
