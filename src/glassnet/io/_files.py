"""Model files: safetensors with glassnet's metadata. Loading never executes code.

A file holds named arrays plus a text header: ``format = glassnet``, the format
version, the glassnet version, and any user metadata (JSON-encoded values).
"""

import json
import os

import numpy as np

from glassnet._backend import to_numpy
from glassnet._errors import GlassnetError, GlassnetTypeError
from glassnet._version import __version__
from glassnet.autograd._tensor import Tensor
from glassnet.io._atomic import atomic_write_bytes

__all__ = ["save", "load", "load_metadata", "FORMAT_VERSION"]

FORMAT_VERSION = "1"
_SINGLE = "__tensor__"


def _arrays_of(obj, path):
    if isinstance(obj, Tensor):
        return {_SINGLE: obj}
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise GlassnetTypeError(
            f"save {path}: expected a Tensor, a Module or a dict of tensors, got "
            f"{type(obj).__name__}"
        )
    out = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise GlassnetTypeError(f"save {path}: keys must be strings, got {key!r}")
        out[key] = value
    return out


def save(obj, path, metadata=None):
    """Write a Tensor, a Module's state dict, or a dict of tensors/arrays to ``path``
    atomically in the safetensors format. ``metadata`` (JSON-serialisable values) is
    stored in the header and returned by :func:`load_metadata`."""
    from safetensors.numpy import save as to_bytes

    path = os.fspath(path)
    arrays = {}
    for key, value in _arrays_of(obj, path).items():
        array = to_numpy(value.data) if isinstance(value, Tensor) else np.asarray(value)
        arrays[key] = np.ascontiguousarray(array)
    header = {"format": "glassnet", "format_version": FORMAT_VERSION,
              "glassnet_version": __version__}
    for key, value in (metadata or {}).items():
        header[f"user.{key}"] = json.dumps(value)
    atomic_write_bytes(path, to_bytes(arrays, metadata=header))
    return path


def _open(path):
    from safetensors import SafetensorError, safe_open

    path = os.fspath(path)
    if not os.path.exists(path):
        raise GlassnetError(f"load {path}: no such file")
    try:
        handle = safe_open(path, framework="numpy")
    except (SafetensorError, OSError, ValueError) as exc:
        raise GlassnetError(
            f"load {path}: not a valid safetensors file ({exc}); it may be truncated, "
            "corrupted, or not a glassnet/safetensors model file"
        ) from exc
    return handle


def load(path):
    """Read a file written by :func:`save` (or any safetensors file, e.g. from PyTorch).

    Returns a dict of name → Tensor, or the Tensor itself if a single Tensor was saved.
    """
    from safetensors import SafetensorError

    handle = _open(path)
    try:
        with handle as f:
            out = {key: Tensor._wrap(f.get_tensor(key), False, None) for key in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise GlassnetError(f"load {os.fspath(path)}: unreadable tensor data ({exc})") from exc
    if list(out) == [_SINGLE]:
        return out[_SINGLE]
    return out


def load_metadata(path):
    """The header metadata of a model file: glassnet's keys and the user's (decoded)."""
    with _open(path) as f:
        raw = f.metadata() or {}
    out = {}
    for key, value in raw.items():
        if key.startswith("user."):
            try:
                out[key[5:]] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise GlassnetError(f"load {os.fspath(path)}: bad metadata {key!r}") from exc
        else:
            out[key] = value
    return out
