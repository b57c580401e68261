"""``glassnet inspect FILE``: what a model or checkpoint file holds, read without loading
any tensor data (only the checked header, :func:`glassnet.io._header.read_header`).

Everything printed that comes from the file — tensor names, metadata keys and values —
goes through :func:`glassnet.cli._text.printable`, so a file cannot send escape
sequences to the terminal."""

import json
import math

from glassnet.cli._text import printable

NAME = "inspect"
HELP = "list the tensors, shapes, dtypes and metadata of a model or checkpoint file"
DESCRIPTION = None

_COLUMNS = ("tensor", "dtype", "shape", "count")


def add_arguments(parser):
    parser.add_argument("file")


def describe(path):
    """Lines describing the file: one per tensor (name, dtype, shape, count), the total
    parameter count, and the metadata (JSON values decoded)."""
    from glassnet.io._header import read_header

    header = read_header(path)
    rows = [(printable(name), str(dtype), str(tuple(shape)), math.prod(shape))
            for name, (dtype, shape, _, _) in header.tensors.items()]
    rows.sort(key=lambda r: r[0])
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(_COLUMNS)]
    lines = [f"{printable(path)}: {len(rows)} tensors"]
    lines.append("  ".join(h.ljust(w) for h, w in zip(_COLUMNS, widths, strict=True)))
    for row in rows:
        lines.append("  ".join(str(v).rjust(w) if i == 3 else str(v).ljust(w)
                               for i, (v, w) in enumerate(zip(row, widths, strict=True))))
    lines.append(f"total: {sum(r[3] for r in rows):,} numbers")
    for key, value in sorted(header.metadata.items()):
        lines.append(f"{printable(key)}: {printable(_metadata_text(key, value))}")
    return lines


def _metadata_text(key, value):
    """A metadata value on one line (JSON decoded and re-encoded), at most 200 characters."""
    if key == "crc32":
        return f"{len(value) // 8} tensor checksums (CRC-32, checked when the data is read)"
    try:
        decoded = json.loads(value) if key == "config" or key.startswith("user.") else value
    except (ValueError, RecursionError):
        decoded = value
    text = value if isinstance(decoded, str) else json.dumps(decoded)
    return text if len(text) <= 200 else text[:197] + "..."


def run(args):
    for line in describe(args.file):
        print(line)
