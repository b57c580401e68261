"""Reading NumPy ``.npz`` archives without trusting a size they claim.

An ``.npz`` is a zip archive of ``.npy`` members. ``np.load`` believes both the zip's
sizes and each member's ``.npy`` header: a 2.9 MB zip bomb expands to 3 GB, and a tiny
member whose header claims shape (10¹⁰,) makes it allocate 40 GB before it finds out.
:class:`NpzReader` checks first, reading nothing but directories and headers:

- the file is a regular file (:func:`glassnet.io._open.open_regular`) that starts like
  a zip archive (an ``.npy`` file, a pickle or anything else is named as such);
- the zip's directory: at most ``LIMITS.max_archive_members`` members and
  ``LIMITS.max_header_bytes`` bytes, and its sizes summed expand the file at most
  ``LIMITS.max_expansion`` times (beyond a free 64 MiB);
- each member's ``.npy`` header (``numpy.lib.format``, a literal parse): a dtype without
  Python objects (no pickle, ever), and ``prod(shape) · itemsize`` equal to the bytes
  the zip says the member holds.

Only then is the array allocated, at exactly that size, and filled 1 MiB at a time;
a member that ends early or fails its zip CRC-32 is reported as truncated or damaged.
"""

import math
import struct
import zipfile

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.io._limits import LIMITS
from glassnet.io._open import open_regular

__all__ = ["NpzError", "NpzReader"]

_FREE_BYTES = 64 * 2**20
_CHUNK = 2**20
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


class NpzError(GlassnetValueError):
    """An ``.npz`` file that cannot be read safely (the message names it and why)."""


def _not_an_archive(head):
    """What the first bytes say the file is, when it is not a zip archive."""
    if head.startswith(b"\x93NUMPY"):
        return ("holds a single array (.npy format), not an .npz archive of named arrays; "
                "save with np.savez(path, X=X, y=y)")
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return ("is not a readable .npz archive: it is a pickle file, and glassnet never "
                "unpickles data files")
    return (f"is not a readable .npz archive: not a zip file (a zip file starts with 'PK'; this "
            f"one starts with {head[:8]!r})")


def _directory_size(f, size, where):
    """Refuse a zip directory with too many members or bytes before zipfile parses it
    (it builds one object per member): from the end-of-directory record."""
    tail_size = min(size, 22 + 65535)
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise NpzError(f"{where}: not a readable .npz archive (no zip directory at its end: "
                       "truncated?)")
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10:at + 16])
    if entries != 0xFFFF:  # 0xFFFF: a zip64 count, checked once zipfile has read it
        LIMITS.check("max_archive_members", entries, "it holds {:,} members", where, NpzError)
    if directory_bytes != 0xFFFFFFFF:
        LIMITS.check("max_header_bytes", directory_bytes, "its zip directory is {:,} bytes",
                     where, NpzError)
    f.seek(0)


class NpzReader:
    """``with NpzReader(path, where) as archive:`` → ``archive.files`` (the array names)
    and ``archive.read(name)`` (a checked NumPy array); errors are :class:`NpzError`
    starting with ``where``."""

    def __init__(self, path, where):
        self.where = where
        self._file, size = open_regular(path, where, ".npz archive")
        try:
            if size == 0:
                raise NpzError(f"{where}: the file is empty (0 bytes); there is no data")
            head = self._file.read(8)
            if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
                raise NpzError(f"{where}: {_not_an_archive(head)}")
            _directory_size(self._file, size, where)
            self._zip = zipfile.ZipFile(self._file)
            self._members = self._check_members(self._zip.infolist(), size)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            self._file.close()
            if isinstance(exc, NpzError):
                raise
            raise NpzError(f"{where}: not a readable .npz archive ({exc})") from None
        except BaseException:
            self._file.close()
            raise

    def _check_members(self, infos, size):
        LIMITS.check("max_archive_members", len(infos), "it holds {:,} members", self.where,
                     NpzError)
        total = sum(info.file_size for info in infos)
        allowed = max(_FREE_BYTES, LIMITS.max_expansion * size)
        if total > allowed:
            raise NpzError(
                f"{self.where}: its members expand to {total:,} bytes from {size:,} on disk "
                f"(x{total / size:,.0f}), over the limit of {allowed:,} — a zip bomb? "
                f"(glassnet.io.LIMITS.max_expansion = {LIMITS.max_expansion}; raise it only for "
                "a file you trust)")
        return {info.filename.removesuffix(".npy"): info for info in infos}

    @property
    def files(self):
        return list(self._members)

    def read(self, name):
        """The array ``name``, its header checked before its memory is allocated."""
        info = self._members[name]
        try:
            with self._zip.open(info) as member:
                dtype, shape, fortran = self._header(member, name)
                expected, held = math.prod(shape) * dtype.itemsize, info.file_size - member.tell()
                if expected != held:
                    raise NpzError(
                        f"{self.where}: array {name!r} declares shape {shape} of {dtype} "
                        f"({expected:,} bytes) but its member holds {held:,} — the archive "
                        "is damaged")
                array = np.empty(math.prod(shape), dtype=dtype)  # now known to be in the file
                self._fill(member, array, name)
                return array.reshape(shape, order="F" if fortran else "C")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError,
                NotImplementedError) as exc:
            if isinstance(exc, NpzError):
                raise
            raise NpzError(f"{self.where}: array {name!r} cannot be read — the archive is "
                           f"truncated or damaged ({exc})") from None

    def _header(self, member, name):
        version = np.lib.format.read_magic(member)
        reader = _HEADER_READERS.get(version)
        if reader is None:
            raise NpzError(f"{self.where}: array {name!r} is in .npy format {version}, which "
                           "glassnet does not read (versions 1.0 and 2.0)")
        shape, fortran, dtype = reader(member)
        if math.prod(d for d in shape if d) * max(dtype.itemsize, 1) >= 2**62:
            raise NpzError(f"{self.where}: array {name!r} declares shape {tuple(shape)}, larger than "
                           "any array can be — the archive is damaged")
        if dtype.hasobject:
            raise NpzError(
                f"{self.where}: array {name!r} holds Python objects, which would need pickle to "
                "load; glassnet never unpickles data files. Save numeric arrays instead")
        return dtype, tuple(shape), fortran

    def _fill(self, member, array, name):
        view = memoryview(array.reshape(-1).view(np.uint8))
        for start in range(0, len(view), _CHUNK):
            want = min(_CHUNK, len(view) - start)
            if member.readinto(view[start:start + want]) != want:
                raise NpzError(f"{self.where}: array {name!r} ends early — the archive is "
                               "truncated or damaged")
        if member.read(1):
            raise NpzError(f"{self.where}: array {name!r} has bytes past its shape — the "
                           "archive is damaged")

    def close(self):
        self._zip.close()
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
