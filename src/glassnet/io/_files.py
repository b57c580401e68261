"""Model files: safetensors with glassnet's metadata. Loading never executes code.

A file holds named arrays plus a text header: ``format = glassnet``, the format
version, the glassnet version, the floating dtype, the model's constructor ``config``
(JSON, when the saved object had a ``.config`` dict) and any user metadata
(``user.<key>``, JSON-encoded values).

Every file glassnet writes (models, checkpoints, recommenders) also stores ``crc32``:
the CRC-32 of each tensor's bytes as 8 hex digits, one after another in the order of the
sorted tensor names. Reading checks each tensor against it, so a flipped bit or a
damaged block is an error naming the tensor, not silently wrong weights. CRC-32 (zlib,
several GB/s) rather than SHA-256 (hashlib, several times slower): the checksum guards
against accidents — disks, copies, truncation — and catches every burst of up to 32
flipped bits; it cannot guard against a deliberate edit, which could rewrite any
unkeyed hash along with the data. Files without it (e.g. from PyTorch's safetensors)
load as before.

Reading checks the whole header first (:mod:`glassnet.io._header`: sizes, dtypes,
shapes, offsets against the real file size, :data:`glassnet.io.LIMITS`) and only then
reads each tensor's bytes into an array of exactly the validated size — a hostile file
cannot make glassnet allocate more than the file holds, and any problem is a
:class:`GlassnetError` that names the file.
"""

import json
import os
import struct
import zlib

import numpy as np

from glassnet._backend import to_numpy
from glassnet._errors import GlassnetError, GlassnetTypeError
from glassnet._version import __version__
from glassnet.autograd._tensor import Tensor
from glassnet.io._atomic import atomic_write_bytes
from glassnet.io._header import FileFormatError, dtype_code, open_model_file, parse_header, read_header
from glassnet.io._limits import LIMITS

__all__ = ["save", "load", "load_metadata", "load_into", "read_arrays", "write_file",
           "FORMAT_VERSION", "CHECKSUM_KEY"]

FORMAT_VERSION = "1"
CHECKSUM_KEY = "crc32"
TREE_KEY = "tree"
MODULE_KEY = "module"  # the class name when save() was given a Module (its state dict is what is stored)
_SINGLE = "__tensor__"


def _crc(array):
    """CRC-32 of an array's bytes as they lie in the file (C order, little-endian)."""
    return zlib.crc32(np.ascontiguousarray(array).reshape(-1).view(np.uint8))


def write_file(path, arrays, metadata):
    """Write ``arrays`` (name → C-contiguous little-endian NumPy array) and ``metadata``
    (str → str) to ``path`` as safetensors, atomically, with the ``crc32`` checksums.
    A file whose header glassnet could not read back (over :data:`LIMITS`) is refused."""
    from safetensors.numpy import save as to_bytes

    path = os.fspath(path)
    sums = "".join(f"{_crc(arrays[name]):08x}" for name in sorted(arrays))
    data = to_bytes(arrays, metadata={**metadata, CHECKSUM_KEY: sums})
    header_bytes = struct.unpack("<Q", data[:8])[0]
    for field, value, what in (("max_tensors", len(arrays), "tensors"),
                               ("max_header_bytes", header_bytes, "header bytes")):
        if value > getattr(LIMITS, field):
            raise GlassnetError(f"save {path}: {value:,} {what}, over the limit of "
                                f"{getattr(LIMITS, field):,} that reading it back would hit "
                                f"(glassnet.io.LIMITS.{field})")
    atomic_write_bytes(path, data)
    return path


def _as_array(value, key, path):
    if isinstance(value, Tensor):
        array = to_numpy(value.array)
    elif hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        array = value.detach().cpu().numpy()
    else:
        array = np.asarray(value)
    dtype_code(array.dtype, f"save {path}: {key!r}")
    # np.asarray(order="C") keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d)
    return np.asarray(array.astype(array.dtype.newbyteorder("<"), copy=False), order="C")


def _is_tensor_like(value):
    return isinstance(value, (Tensor, np.ndarray)) or (hasattr(value, "detach") and hasattr(value, "cpu"))


def _arrays_of(obj, path):
    """``(name → tensor, tree)``: a flat dict of tensors is stored as it is (any safetensors
    reader sees the same names); other state — nested dicts, lists, numbers, strings, as in a
    checkpoint ``{"epoch": 3, "model": model.state_dict(), "optimizer": ...}`` — as a JSON
    tree whose arrays are stored by their paths (:mod:`glassnet.io._tree`)."""
    if isinstance(obj, Tensor):
        return {_SINGLE: obj}, None
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if isinstance(obj, dict) and all(isinstance(k, str) and _is_tensor_like(v) for k, v in obj.items()):
        return obj, None
    if not isinstance(obj, (dict, list, tuple)):
        raise GlassnetTypeError(
            f"save {path}: expected a Tensor, a Module, or state made of dicts, lists, tuples, numbers, "
            f"strings and tensors (a checkpoint dict), got {type(obj).__name__}")
    from glassnet.io._tree import pack_tree

    try:
        doc, arrays = pack_tree(_torch_free(obj))
    except GlassnetTypeError as exc:
        raise GlassnetTypeError(f"save {path}: {exc}") from None
    return arrays, doc


def _torch_free(value):
    """PyTorch tensors inside saved state as NumPy arrays (glassnet's own stay as they are)."""
    if _is_tensor_like(value) and not isinstance(value, (Tensor, np.ndarray)):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {k: _torch_free(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_torch_free(v) for v in value)
    return value


def _float_dtype(arrays):
    kinds = sorted({str(a.dtype) for a in arrays.values() if a.dtype.kind == "f"})
    return ",".join(kinds) if kinds else "none"


def save(obj, path, metadata=None):
    """Write a Tensor, a Module's state dict, or a dict of tensors/arrays to ``path``
    atomically in the safetensors format (readable by ``safetensors.torch.load_file``).

    A Module with a ``config`` dict (``glassnet.models`` have one) stores it in the
    header, so :func:`glassnet.models.load_model` can rebuild the model. ``metadata``
    (JSON-serialisable values) is stored too and returned by :func:`load_metadata`.

    Args:
        obj: a Tensor, a Module (its ``state_dict()`` is saved), a dict of name → Tensor
            or array, or nested state — a checkpoint such as ``{"epoch": 3, "model":
            model.state_dict(), "optimizer": optimizer.state_dict()}`` (dicts, lists,
            tuples, numbers, strings, tensors; its structure is stored as JSON, never
            pickled).
        path: the file to write (str or path-like); written to a temporary file first and
            renamed, so a crash never leaves half a file.
        metadata: a dict of JSON-serialisable values to store in the header (optional).

    Returns:
        ``path`` as a str.

    Example:
        >>> import os, tempfile
        >>> import glassnet as gn
        >>> layer = gn.nn.Linear(3, 2)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = gn.save(layer, os.path.join(folder, "layer.safetensors"), metadata={"epoch": 3})
        ...     state = gn.load(path)
        ...     epoch = gn.io.load_metadata(path)["epoch"]
        >>> sorted(state), state["weight"].shape, epoch
        (['bias', 'weight'], (2, 3), 3)
    """
    path = os.fspath(path)
    named, tree = _arrays_of(obj, path)
    arrays = {key: _as_array(value, key, path) for key, value in named.items()}
    header = {"format": "glassnet", "format_version": FORMAT_VERSION,
              "glassnet_version": __version__, "dtype": _float_dtype(arrays)}
    config = getattr(obj, "config", None)
    try:
        if tree is not None:
            header[TREE_KEY] = json.dumps(tree)
        if hasattr(obj, "state_dict") and callable(obj.state_dict) and not isinstance(obj, dict):
            header[MODULE_KEY] = type(obj).__name__
        if isinstance(config, dict):
            header["config"] = json.dumps(config)
        for key, value in (metadata or {}).items():
            header[f"user.{key}"] = json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise GlassnetTypeError(f"save {path}: metadata must be JSON-serialisable ({exc})") from None
    except RecursionError:
        raise GlassnetTypeError(f"save {path}: metadata is nested too deeply") from None
    return write_file(path, arrays, header)


def _check_version(header, path):
    meta = header.metadata
    if meta.get("format") != "glassnet":
        return  # a plain safetensors file (e.g. from PyTorch): no glassnet header
    version = meta.get("format_version", "")
    if not version.isdigit() or int(version) > int(FORMAT_VERSION):
        raise FileFormatError(
            f"load {path}: glassnet format version {version!r}; this glassnet "
            f"({__version__}) reads versions up to {FORMAT_VERSION} — upgrade glassnet"
        )


def _expected_checksums(header, path):
    """name → CRC-32 from the ``crc32`` metadata, or None when the file has none."""
    sums = header.metadata.get(CHECKSUM_KEY)
    if sums is None:
        return None
    names = sorted(header.tensors)
    try:
        if len(sums) != 8 * len(names):
            raise ValueError
        return {name: int(sums[8 * i:8 * i + 8], 16) for i, name in enumerate(names)}
    except ValueError:
        raise FileFormatError(f"load {path}: its {CHECKSUM_KEY} metadata is not 8 hex digits per "
                              f"tensor ({len(names)} tensors) — the file is damaged") from None


_CHUNK = 2**20


def _read_tensor(f, header, name, path, checked):
    """``(array, crc32 of its bytes or None)``: read 1 MiB at a time, each piece
    checksummed (when ``checked``) while it is still in the cache — one pass over memory."""
    dtype, shape, begin, end = header.tensors[name]
    array = np.empty(shape, dtype=dtype.newbyteorder("<"))
    f.seek(header.data_start + begin)
    view, crc = memoryview(array.reshape(-1)).cast("B"), 0
    for start in range(0, end - begin, _CHUNK):
        piece = view[start:start + _CHUNK]
        if f.readinto(piece) != len(piece):
            raise FileFormatError(f"load {path}: tensor {name!r} ends past the end of the "
                                  "file (it changed while being read?)")
        if checked:
            crc = zlib.crc32(piece, crc)
    return array, crc if checked else None


def read_arrays(path):
    """``(arrays, metadata)`` of a checked file: name → NumPy array, str → str. Each
    tensor's bytes are checked against the file's ``crc32`` checksums when it has them."""
    path = os.fspath(path)
    f, size = open_model_file(path)
    arrays = {}
    with f:
        try:
            header = parse_header(f, size, path)
            _check_version(header, path)
            expected = _expected_checksums(header, path)
            for name, (dtype, _, _, _) in header.tensors.items():
                array, crc = _read_tensor(f, header, name, path, expected is not None)
                if expected is not None and crc != expected[name]:
                    raise FileFormatError(
                        f"load {path}: tensor {name!r} does not match its checksum (CRC-32 "
                        f"{crc:08x}, the file says {expected[name]:08x}) — the file "
                        "is corrupted")
                if dtype.kind == "b":  # any nonzero byte means True, as NumPy would read it
                    array = array.view(np.uint8) != 0
                arrays[name] = array.astype(dtype, copy=False)
        except OSError as exc:
            raise FileFormatError(f"load {path}: cannot read it ({exc.strerror})") from None
    return arrays, header.metadata


def _apply_key_map(arrays, key_map, path):
    if key_map is None:
        return arrays
    out = {}
    for key, value in arrays.items():
        new = key_map(key) if callable(key_map) else key_map.get(key, key)
        if new is None:
            continue  # the key map drops this entry
        if not isinstance(new, str):
            raise GlassnetTypeError(f"load {path}: key_map turned {key!r} into {new!r}, not a str")
        if new in out:
            raise FileFormatError(f"load {path}: key_map maps two entries onto {new!r}")
        out[new] = value
    return out


def load(path, key_map=None, map_location=None, weights_only=None, mmap=None, **pickle_load_args):
    """Read a file written by :func:`save` (or any safetensors file, e.g. from PyTorch).

    Returns a dict of name → Tensor, the Tensor itself if a single Tensor was saved, or
    the nested state that was saved (a checkpoint dict, its tensors as Tensors).
    ``key_map`` renames entries: a dict ``{name in file: name wanted}`` (names not in it
    are kept) or a callable ``name -> new name`` (``None`` drops the entry).

    Args:
        path: the file to read (str or path-like). Its header is checked before any data
            is read, and each tensor against the file's CRC-32 checksums when it has them.
        key_map: renames entries (optional): a dict ``{name in file: name wanted}`` or a
            callable ``name -> new name or None``.
        map_location: PyTorch's keyword: the CPU (``"cpu"``, a ``gn.device``, or a dict or
            callable as PyTorch takes); tensors load on the CPU, a GPU target raises.
        weights_only: accepted: loading never executes code, as if it were always True.
        mmap: accepted (the file is read, not mapped).

    Returns:
        A dict of name → Tensor (``requires_grad=False``), a Tensor if one Tensor was
        saved, or the saved nested state.

    Example:
        >>> import os, tempfile
        >>> import glassnet as gn
        >>> saved = {"weight": gn.tensor([[1.0, 2.0]]), "bias": gn.tensor([0.5])}
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = gn.save(saved, os.path.join(folder, "w.safetensors"))
        ...     state = gn.load(path)
        ...     renamed = gn.load(path, key_map={"weight": "fc.weight", "bias": "fc.bias"})
        >>> state["weight"], state["bias"]
        (tensor([[1., 2.]]), tensor([0.5]))
        >>> sorted(renamed)
        ['fc.bias', 'fc.weight']
    """
    path = os.fspath(path)
    if pickle_load_args:
        raise GlassnetTypeError(f"load {path}: unexpected keyword(s) {sorted(pickle_load_args)}; glassnet "
                                "files hold no pickle, so pickle options do not apply")
    _check_map_location(map_location, path)
    arrays, metadata = read_arrays(path)
    if list(arrays) == [_SINGLE] and key_map is None:
        return Tensor._wrap(arrays[_SINGLE], False, None)
    if TREE_KEY in metadata:
        from glassnet.io._tree import unpack_tree

        if key_map is not None:
            raise GlassnetTypeError(f"load {path}: key_map renames the tensors of a flat state dict; this "
                                    "file holds nested state (a checkpoint dict) — load it, then rename "
                                    "the keys of the part you need")
        tensors = {key: Tensor._wrap(a, False, None) for key, a in arrays.items()}
        try:
            return unpack_tree(_decode(TREE_KEY, metadata[TREE_KEY], path), tensors)
        except GlassnetError as exc:
            raise FileFormatError(f"load {path}: its saved state does not fit its tensors ({exc})") from None
    arrays = _apply_key_map(arrays, key_map, path)
    tensors = {key: Tensor._wrap(a, False, None) for key, a in arrays.items()}
    if MODULE_KEY in metadata:
        return ModuleStateDict(tensors, metadata[MODULE_KEY], path)
    return tensors


class ModuleStateDict(dict):
    """The state dict of a Module saved whole (``torch.save(model, path)``). PyTorch would
    pickle the model and unpickle it — running code from the file; glassnet stores only the
    state dict, and using it as a model says so and what to write."""

    def __init__(self, tensors, class_name, path):
        super().__init__(tensors)
        self._origin = (class_name, path)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        class_name, path = self.__dict__.get("_origin", ("Module", "the file"))
        raise AttributeError(
            f"load {path}: this is the state dict of a {class_name} (a dict of tensors), not the model — "
            f"glassnet never pickles a model, so loading cannot rebuild it; build it and load the "
            f"weights: model = {class_name}(...); model.load_state_dict(gn.load({path!r})) "
            f"(no attribute {name!r})")


def _check_map_location(map_location, path):
    """Accept PyTorch's ``map_location`` forms that end on the CPU; refuse a GPU target (a
    file loads on the CPU, ``.to(device)`` moves it)."""
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if target is None or callable(target) and not isinstance(target, str):
            continue
        name = str(getattr(target, "type", target)).split(":")[0]
        if name != "cpu":
            raise GlassnetTypeError(f"load {path}: map_location={target!r}; glassnet loads tensors on the "
                                    "CPU (map_location='cpu'), move them with .to(device) afterwards")


def _decode(key, value, path):
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise FileFormatError(f"load {path}: metadata {key!r} is not valid JSON") from None


def load_metadata(path):
    """The header metadata of a model file: glassnet's keys (``format``,
    ``format_version``, ``glassnet_version``, ``dtype``, ``config``) and the user's
    (decoded from JSON, without the ``user.`` prefix).

    Only the header is read (not the tensors), so this is cheap for a large file.

    Args:
        path: the file to read (str or path-like).

    Returns:
        A dict: glassnet's keys as strings (``config`` decoded to a dict) and the user's
        ``metadata`` values as ``save`` was given them.

    Example:
        >>> import os, tempfile
        >>> import glassnet as gn
        >>> model = gn.models.MLP(4, hidden=[8], num_classes=3)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = gn.save(model, os.path.join(folder, "mlp.safetensors"),
        ...                    metadata={"epoch": 7, "note": "toy"})
        ...     meta = gn.io.load_metadata(path)
        >>> meta["format"], meta["dtype"], meta["epoch"], meta["note"]
        ('glassnet', 'float32', 7, 'toy')
        >>> config = meta["config"]                 # the model's constructor arguments
        >>> config["kind"], config["hidden"]
        ('mlp', [8])
    """
    path = os.fspath(path)
    header = read_header(path)
    _check_version(header, path)
    out = {}
    for key, value in header.metadata.items():
        if key == CHECKSUM_KEY:
            continue  # checked when the data is read
        if key.startswith("user."):
            out[key[5:]] = _decode(key, value, path)
        elif key == "config":
            out[key] = _decode(key, value, path)
        else:
            out.setdefault(key, value)
    return out


def load_into(model, path, key_map=None, strict=True):
    """Load the file at ``path`` into ``model`` (``model.load_state_dict``), checking
    names and shapes first; errors name the file and list missing, unexpected and
    mismatched keys. Returns ``(missing_keys, unexpected_keys)``.

    Args:
        model: the Module to fill; its parameters and buffers are overwritten in place.
        path: the file to read (str or path-like), e.g. written by ``gn.save``.
        key_map: renames the file's entries before loading, as in ``gn.load`` (optional).
        strict: when True (the default) every name must match both ways; when False
            missing and unexpected names are returned instead of raising.

    Returns:
        ``(missing_keys, unexpected_keys)``, both lists of names.

    Example:
        >>> import os, tempfile
        >>> import glassnet as gn
        >>> trained, fresh = gn.nn.Linear(3, 2), gn.nn.Linear(3, 2)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = gn.save(trained, os.path.join(folder, "layer.safetensors"))
        ...     missing, unexpected = gn.io.load_into(fresh, path)
        >>> missing, unexpected, gn.equal(fresh.weight, trained.weight)
        ([], [], True)
    """
    path = os.fspath(path)
    state = load(path, key_map=key_map)
    if isinstance(state, Tensor):
        raise FileFormatError(f"load {path}: the file holds a single tensor, not a state dict")
    try:
        return model.load_state_dict(state, strict=strict)
    except GlassnetError as exc:
        hint = ""
        if strict and not set(state) & set(model.state_dict()):
            hint = (f" | no name matches: the file has {sorted(state)[:6]}..., the model "
                    f"{sorted(model.state_dict())[:6]}... (rename with key_map=)")
        raise type(exc)(f"load {path}: {exc}{hint}") from None
