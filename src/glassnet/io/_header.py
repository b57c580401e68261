"""Checking a safetensors file before anything is read or allocated.

A safetensors file is ``[8-byte little-endian header size N][N bytes of JSON][data]``.
The JSON maps each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}``
(offsets into the data section) plus an optional ``"__metadata__"`` string map.

:func:`read_header` opens regular files only (a FIFO or a device is refused without
blocking: :mod:`glassnet.io._open`), reads only the first ``8 + N`` bytes and checks
everything a hostile or damaged file could lie about — N against
``glassnet.io.LIMITS.max_header_bytes`` and against the file, the number of JSON values
(its ``{ [ ,`` characters, counted in C before parsing) against ``max_header_values``,
JSON syntax, duplicate names, the tensor count against ``max_tensors``, dtype against a
whitelist, ``prod(shape) · itemsize == end − begin``, offsets that tile the data section
exactly and end where the file ends — so that no claimed size is ever trusted before it
has been compared with the real one. The work is linear in N (one C-level JSON parse,
one constant-time check per tensor, one sort of the offsets) and N is bounded, so the
largest header allowed is refused or accepted in tens of milliseconds. A file that starts
like a pickle, a zip archive, a ``.npy`` or a GGUF file is named as such.
"""

import json
import math
import os
import struct

import numpy as np

from glassnet._errors import GlassnetError
from glassnet.io._limits import LIMITS
from glassnet.io._open import open_regular

__all__ = ["DTYPES", "FileFormatError", "Header", "dtype_code", "open_model_file", "parse_header",
           "read_header"]

MAX_NDIM = 32

DTYPES = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype(np.uint8), "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16), "I16": np.dtype(np.int16), "U32": np.dtype(np.uint32),
    "I32": np.dtype(np.int32), "U64": np.dtype(np.uint64), "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16), "F32": np.dtype(np.float32), "F64": np.dtype(np.float64),
}
"""The safetensors dtypes glassnet reads and writes (little-endian NumPy dtypes)."""

_CODES = {dtype: code for code, dtype in DTYPES.items()}


class FileFormatError(GlassnetError, ValueError):
    """A file is not a well-formed safetensors/glassnet file (the message names it)."""


def dtype_code(dtype, who):
    """The safetensors name of a NumPy dtype, or an error naming the dtypes that fit."""
    code = _CODES.get(np.dtype(dtype).newbyteorder("="))
    if code is None:
        raise FileFormatError(
            f"{who}: dtype {np.dtype(dtype)} cannot be stored; model files hold "
            f"{', '.join(str(d) for d in DTYPES.values())}"
        )
    return code


class Header:
    """What :func:`read_header` found: ``tensors`` (name → (dtype, shape, begin, end)),
    ``metadata`` (str → str), ``data_start`` (byte offset of the data section)."""

    def __init__(self, tensors, metadata, data_start):
        self.tensors, self.metadata, self.data_start = tensors, metadata, data_start


def _fail(path, problem):
    return FileFormatError(
        f"load {path}: {problem} — the file is truncated, corrupted or not a "
        "safetensors model file (glassnet never reads pickle files)"
    )


_OTHER_FORMATS = (
    (lambda h: h[:1] == b"\x80" and 2 <= h[1] <= 5,
     "a pickle file (e.g. from torch.save), not a safetensors file; glassnet never unpickles "
     "anything — convert it once in PyTorch with safetensors.torch.save_file"),
    (lambda h: h[:4] == b"PK\x03\x04",
     "a zip archive (e.g. torch.save's format or a NumPy .npz), not a safetensors file"),
    (lambda h: h[:6] == b"\x93NUMPY", "a NumPy .npy file, not a safetensors file"),
    (lambda h: h[:4] == b"GGUF", "a GGUF file, not a safetensors file"),
)


def _check_limit(path, field, value, what):
    LIMITS.check(field, value, what, f"load {path}", FileFormatError)


def _other_format(path, head):
    """The error for a file that starts like another known format, or None."""
    for looks_like, what in _OTHER_FORMATS:
        if len(head) >= 6 and looks_like(head):
            return FileFormatError(f"load {path}: this is {what}")
    return None


def _unique_pairs(pairs):
    """A JSON object as a dict, refusing a name that appears twice (one C-level dict
    build per object; the loop runs only when there is a duplicate)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the name {key!r} appears twice")
            seen.add(key)
    return out


def _header_size(f, path, size):
    """N from the first 8 bytes, checked against the limit and the file's size."""
    head = f.read(8)
    if len(head) < 8:
        raise _fail(path, f"only {size} bytes, shorter than the 8-byte header size")
    (n,) = struct.unpack("<Q", head)
    if n > LIMITS.max_header_bytes or n > size - 8:
        head += f.read(8)
        error = _other_format(path, head)
        if error is not None:
            raise error
    if n > size - 8:
        raise _fail(path, f"it claims a {n:,}-byte header but only {size - 8:,} bytes follow")
    _check_limit(path, "max_header_bytes", n, "its header is {:,} bytes")
    return n, head


def _read_json(f, path, size):
    n, head = _header_size(f, path, size)
    raw = f.read(n)
    if raw[:1] != b"{":
        raise _other_format(path, head + raw[:8]) or _fail(path, "the header is not a JSON object")
    values = raw.count(b"{") + raw.count(b"[") + raw.count(b",")
    _check_limit(path, "max_header_values", values, "its header holds up to {:,} JSON values")
    try:
        header = json.loads(raw, object_pairs_hook=_unique_pairs)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _fail(path, f"the header is not valid JSON ({_short(exc)})") from None
    if not isinstance(header, dict):
        raise _fail(path, "the header is not a JSON object")
    return header, 8 + n


def _short(exc):
    text = str(exc) if not isinstance(exc, RecursionError) else "nested too deeply"
    return text if len(text) <= 200 else text[:197] + "..."


def _show(value, limit=80):
    """``repr(value)`` cut to ``limit`` characters (names and values come from the file)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _check_metadata(meta, path):
    if meta is None:
        return {}
    if type(meta) is not dict or not all(type(v) is str for v in meta.values()):
        raise _fail(path, "__metadata__ must map names to strings")
    return meta


_FIELDS = frozenset({"dtype", "shape", "data_offsets"})
_INT = frozenset({int})


def _good_shape(shape):
    """A list of at most MAX_NDIM ints in [0, 2**48) — checked by C-level loops (map,
    min, max), not a Python loop per dimension."""
    return (type(shape) is list and len(shape) <= MAX_NDIM
            and (not shape or (set(map(type, shape)) == _INT
                               and min(shape) >= 0 and max(shape) < 2**48)))


def _check_entry(name, entry, path):
    """(dtype, shape, begin, end) of one tensor entry, every field checked."""
    if type(entry) is not dict or len(entry) != 3 or entry.keys() != _FIELDS:
        raise _fail(path, f"tensor {_show(name)} must have exactly dtype, shape and data_offsets")
    code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    dtype = DTYPES.get(code) if type(code) is str else None
    if dtype is None:
        extra = " (convert bfloat16 weights to float32 before saving)" if code == "BF16" else ""
        raise _fail(path, f"tensor {_show(name)} has dtype {_show(code)}; glassnet reads "
                          f"{', '.join(DTYPES)}{extra}")
    if not _good_shape(shape):
        raise _fail(path, f"tensor {_show(name)} has shape {_show(shape)}; a shape is a list of "
                          f"at most {MAX_NDIM} non-negative integers below 2**48")
    begin, end = offsets if type(offsets) is list and len(offsets) == 2 else (None, None)
    if type(begin) is not int or type(end) is not int or not 0 <= begin <= end:
        raise _fail(path, f"tensor {_show(name)} has data_offsets {_show(offsets)}; expected "
                          "[begin, end]")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes == 0 and math.prod(filter(None, shape)) * dtype.itemsize >= 2**62:
        raise _fail(path, f"tensor {_show(name)} has shape {tuple(shape)}, larger than any "
                          "array can be (even with a zero in it)")  # NumPy refuses it
    if nbytes != end - begin:
        raise _fail(path, f"tensor {_show(name)} of shape {tuple(shape)} and dtype {code} needs "
                          f"{nbytes:,} bytes but its offsets span {end - begin:,}")
    return dtype, tuple(shape), begin, end


def _check_tiling(tensors, data_size, path):
    """The data ranges must follow one another with no gap or overlap and fill the file."""
    position = 0
    for name, (_, _, begin, end) in sorted(tensors.items(), key=lambda kv: kv[1][2:]):
        if begin != position:
            raise _fail(path, f"tensor {_show(name)} starts at data byte {begin:,}, expected "
                              f"{position:,} (overlapping or missing data)")
        position = end
    if position != data_size:
        raise _fail(path, f"the tensors claim {position:,} data bytes but the file holds "
                          f"{data_size:,}")


def parse_header(f, size, path):
    """Read and check the header from ``f``, an open file of ``size`` bytes positioned
    at its start; ``path`` names it in errors. Returns a :class:`Header`."""
    header, data_start = _read_json(f, path, size)
    metadata = _check_metadata(header.pop("__metadata__", None), path)
    _check_limit(path, "max_tensors", len(header), "it holds {:,} tensors")
    tensors = {name: _check_entry(name, entry, path) for name, entry in header.items()}
    _check_tiling(tensors, size - data_start, path)
    return Header(tensors, metadata, data_start)


def open_model_file(path):
    """``(file, size)``: the regular file at ``path`` opened for reading (never blocking
    on a FIFO or reading a device); errors are :class:`FileFormatError`-family."""
    return open_regular(path, "load", "model file")


def read_header(path):
    """Read and check the header of the safetensors file at ``path``; see the module doc."""
    path = os.fspath(path)
    f, size = open_model_file(path)
    with f:
        try:
            return parse_header(f, size, path)
        except OSError as exc:
            raise FileFormatError(f"load {path}: cannot read it ({exc.strerror})") from None
