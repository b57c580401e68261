"""Checking a safetensors file before anything is read or allocated.

A safetensors file is ``[8-byte little-endian header size N][N bytes of JSON][data]``.
The JSON maps each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}``
(offsets into the data section) plus an optional ``"__metadata__"`` string map.

:func:`read_header` reads only the first ``8 + N`` bytes and checks everything a hostile
or damaged file could lie about — header size against a bound and against the file,
JSON syntax, duplicate names, dtype against a whitelist, ``prod(shape) · itemsize ==
end − begin``, offsets that tile the data section exactly and end where the file ends —
so that no claimed size is ever trusted before it has been compared with the real one.
"""

import json
import math
import os
import struct

import numpy as np

from glassnet._errors import GlassnetError

__all__ = ["DTYPES", "MAX_HEADER_BYTES", "FileFormatError", "Header", "read_header", "dtype_code"]

MAX_HEADER_BYTES = 100_000_000  # the safetensors library's own bound
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


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the name {key!r} appears twice")
        out[key] = value
    return out


def _read_json(f, path, size):
    head = f.read(8)
    if len(head) < 8:
        raise _fail(path, f"only {size} bytes, shorter than the 8-byte header size")
    (n,) = struct.unpack("<Q", head)
    if n > MAX_HEADER_BYTES:
        raise _fail(path, f"it claims a {n:,}-byte header, over the {MAX_HEADER_BYTES:,} limit")
    if n > size - 8:
        raise _fail(path, f"it claims a {n:,}-byte header but only {size - 8:,} bytes follow")
    raw = f.read(n)
    if raw[:1] != b"{":
        hint = " (this looks like a pickle file, e.g. torch.save)" if head[:1] == b"\x80" else ""
        raise _fail(path, f"the header is not a JSON object{hint}")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _fail(path, f"the header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise _fail(path, "the header is not a JSON object")
    return header, 8 + n


def _check_metadata(meta, path):
    if meta is None:
        return {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise _fail(path, "__metadata__ must map names to strings")
    return meta


def _check_entry(name, entry, path):
    """(dtype, shape, begin, end) of one tensor entry, every field checked."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise _fail(path, f"tensor {name!r} must have exactly dtype, shape and data_offsets")
    code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(code, str) or code not in DTYPES:
        extra = " (convert bfloat16 weights to float32 before saving)" if code == "BF16" else ""
        raise _fail(path, f"tensor {name!r} has dtype {code!r}; glassnet reads "
                          f"{', '.join(DTYPES)}{extra}")
    if (not isinstance(shape, list) or len(shape) > MAX_NDIM
            or not all(type(s) is int and 0 <= s < 2**48 for s in shape)):
        raise _fail(path, f"tensor {name!r} has shape {shape!r}; a shape is a list of at most "
                          f"{MAX_NDIM} non-negative integers below 2**48")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(type(o) is int and o >= 0 for o in offsets) or offsets[0] > offsets[1]):
        raise _fail(path, f"tensor {name!r} has data_offsets {offsets!r}; expected [begin, end]")
    nbytes = math.prod(shape) * DTYPES[code].itemsize
    if nbytes != offsets[1] - offsets[0]:
        raise _fail(path, f"tensor {name!r} of shape {tuple(shape)} and dtype {code} needs "
                          f"{nbytes:,} bytes but its offsets span {offsets[1] - offsets[0]:,}")
    return DTYPES[code], tuple(shape), offsets[0], offsets[1]


def _check_tiling(tensors, data_size, path):
    """The data ranges must follow one another with no gap or overlap and fill the file."""
    position = 0
    for name, (_, _, begin, end) in sorted(tensors.items(), key=lambda kv: kv[1][2:]):
        if begin != position:
            raise _fail(path, f"tensor {name!r} starts at data byte {begin:,}, expected "
                              f"{position:,} (overlapping or missing data)")
        position = end
    if position != data_size:
        raise _fail(path, f"the tensors claim {position:,} data bytes but the file holds "
                          f"{data_size:,}")


def read_header(path):
    """Read and check the header of the safetensors file at ``path``; see the module doc."""
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            header, data_start = _read_json(f, path, size)
    except FileNotFoundError:
        raise FileFormatError(f"load {path}: no such file") from None
    except IsADirectoryError:
        raise FileFormatError(f"load {path}: is a directory, not a model file") from None
    except OSError as exc:
        raise FileFormatError(f"load {path}: cannot read it ({exc})") from None
    metadata = _check_metadata(header.pop("__metadata__", None), path)
    tensors = {name: _check_entry(name, entry, path) for name, entry in header.items()}
    _check_tiling(tensors, size - data_start, path)
    return Header(tensors, metadata, data_start)
