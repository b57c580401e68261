"""Files: safe model files (safetensors), checked headers, atomic writes, and the
:data:`LIMITS` every reader checks before it allocates."""

from glassnet.io._atomic import FileWriteError, atomic_write, atomic_write_bytes, atomic_write_text
from glassnet.io._files import FORMAT_VERSION, load, load_into, load_metadata, read_arrays, save
from glassnet.io._header import DTYPES, FileFormatError
from glassnet.io._limits import LIMITS, Limits
from glassnet.io._open import MissingFileError, NotARegularFileError
from glassnet.io._tree import pack_tree, unpack_tree

__all__ = ["DTYPES", "FORMAT_VERSION", "FileFormatError", "FileWriteError", "LIMITS", "Limits",
           "MissingFileError", "NotARegularFileError", "atomic_write", "atomic_write_bytes",
           "atomic_write_text", "load", "load_into", "load_metadata", "pack_tree", "read_arrays",
           "save", "unpack_tree"]


def __getattr__(name):
    if name == "load_model":
        raise AttributeError("glassnet.io.load_model moved to glassnet.models.load_model (also "
                             "gn.load_model): rebuilding a model needs the models, which build on io")
    raise AttributeError(f"module 'glassnet.io' has no attribute {name!r}")
