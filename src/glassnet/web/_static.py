"""The playground's static files (the page, its scripts and style sheet, read once from the
package data) and its icon, a 16×16 PNG drawn here: a 4×4 weight matrix, positive cells
blue, negative orange, the way the page colours weights."""

import functools
import struct
import zlib
from importlib import resources

__all__ = ["FAVICON", "STATIC", "favicon_png", "static_file"]

STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/static/playground.js": ("playground.js", "text/javascript; charset=utf-8"),
          "/static/playground.css": ("playground.css", "text/css; charset=utf-8"),
          "/static/training.js": ("training.js", "text/javascript; charset=utf-8"),
          "/static/attention.js": ("attention.js", "text/javascript; charset=utf-8")}
FAVICON = ("/favicon.ico", "/favicon.png")

_SIGNS = ("+-++", "-+-+", "++-+", "+-+-")  # the sign of each cell of the drawn matrix
_COLOUR = {"+": (37, 99, 235, 255), "-": (234, 88, 12, 255), " ": (0, 0, 0, 0)}


@functools.cache
def static_file(path):
    """``(bytes, content type)`` of a static path (a key of :data:`STATIC`)."""
    name, content_type = STATIC[path]
    return resources.files("glassnet.web").joinpath("static", name).read_bytes(), content_type


def _pixel(x, y):
    """RGBA of pixel (x, y) of the 16×16 icon: cells of 3×3 pixels, each followed by a gap."""
    inside = x % 4 != 3 and y % 4 != 3
    return _COLOUR[_SIGNS[y // 4][x // 4] if inside else " "]


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def favicon_png(size=16):
    """The icon as PNG bytes (8-bit RGBA, each row behind filter byte 0)."""
    rows = b"".join(b"\0" + bytes(c for x in range(size) for c in _pixel(x, y)) for y in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9))
            + _chunk(b"IEND", b""))
