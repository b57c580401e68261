"""Files: safe model files (safetensors) and atomic writes."""

from glassnet.io._atomic import atomic_write, atomic_write_bytes, atomic_write_text
from glassnet.io._files import FORMAT_VERSION, load, load_metadata, save

__all__ = ["FORMAT_VERSION", "atomic_write", "atomic_write_bytes", "atomic_write_text", "load",
           "load_metadata", "save"]
