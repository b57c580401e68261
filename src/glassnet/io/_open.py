"""Opening a file for reading only when it is a regular file.

A FIFO named ``model.safetensors`` would block ``open()`` until a writer appears (for
ever); ``/dev/zero`` or ``/dev/urandom`` never end; a directory cannot be read. So the
path is opened with ``O_NONBLOCK`` (an open that cannot block, also on a FIFO), the open
descriptor is ``fstat``-ed — the file that was opened, not a name that might have been
swapped since — and anything but a regular file is refused with an error naming what it
is.
"""

import os
import stat

from glassnet._errors import GlassnetError, GlassnetValueError

__all__ = ["MissingFileError", "NotARegularFileError", "open_regular"]


class MissingFileError(GlassnetError, FileNotFoundError):
    """There is no file at the path (a :class:`GlassnetError` and a ``FileNotFoundError``)."""


class NotARegularFileError(GlassnetValueError):
    """The path names a directory, a FIFO, a device or a socket, not a file."""


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode):
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path, who, what="file"):
    """``(binary file object, size in bytes)`` of the regular file at ``path``; errors
    start with ``who`` and call the expected thing ``what`` (e.g. "model file")."""
    path = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise MissingFileError(f"{who}: no such file: {path!r}") from None
    except IsADirectoryError:  # Windows opens no directory
        raise NotARegularFileError(f"{who}: {path!r} is a directory, not a {what}") from None
    except OSError as exc:
        raise GlassnetValueError(f"{who}: cannot open {path!r} ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFileError(
                f"{who}: {path!r} is {_kind(info.st_mode)}, not a {what}; glassnet reads "
                "regular files only")
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise
