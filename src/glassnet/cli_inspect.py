"""``glassnet inspect FILE``: what a model or checkpoint file holds, read without loading
any tensor data (only the checked header)."""

import json
import math

from glassnet.io._header import read_header

__all__ = ["run_inspect", "describe"]


def describe(path):
    """Lines describing the file: one per tensor (name, dtype, shape, count), the total
    parameter count, and the metadata (JSON values decoded)."""
    header = read_header(path)
    rows = [(name, str(dtype), str(tuple(shape)), math.prod(shape))
            for name, (dtype, shape, _, _) in header.tensors.items()]
    rows.sort(key=lambda r: r[0])
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in
              enumerate(("tensor", "dtype", "shape", "count"))]
    lines = [f"{path}: {len(rows)} tensors"]
    lines.append("  ".join(h.ljust(w) for h, w in zip(("tensor", "dtype", "shape", "count"), widths,
                                                      strict=True)))
    for row in rows:
        lines.append("  ".join(str(v).rjust(w) if i == 3 else str(v).ljust(w)
                               for i, (v, w) in enumerate(zip(row, widths, strict=True))))
    lines.append(f"total: {sum(r[3] for r in rows):,} numbers")
    for key, value in sorted(header.metadata.items()):
        try:
            decoded = json.loads(value) if key == "config" or key.startswith("user.") else value
        except ValueError:
            decoded = value
        text = value if isinstance(decoded, str) else json.dumps(decoded)
        lines.append(f"{key}: {text if len(text) <= 200 else text[:197] + '...'}")
    return lines


def run_inspect(path, print_fn=print):
    for line in describe(path):
        print_fn(line)
