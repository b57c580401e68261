"""Files: safe model files (safetensors), checked headers, atomic writes."""

from glassnet.io._atomic import atomic_write, atomic_write_bytes, atomic_write_text
from glassnet.io._files import FORMAT_VERSION, load, load_into, load_metadata, read_arrays, save
from glassnet.io._header import DTYPES, FileFormatError
from glassnet.io._model import load_model
from glassnet.io._tree import pack_tree, unpack_tree

__all__ = ["DTYPES", "FORMAT_VERSION", "FileFormatError", "atomic_write", "atomic_write_bytes",
           "atomic_write_text", "load", "load_into", "load_metadata", "load_model", "pack_tree",
           "read_arrays", "save", "unpack_tree"]
