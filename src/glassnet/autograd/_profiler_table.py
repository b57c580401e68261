"""PyTorch's profiler table for an :class:`~glassnet.autograd._profiler_events.EventList`.

Columns (those that mean something on a CPU): Name, Self CPU %, Self CPU, CPU total %,
CPU total, CPU time avg, then CPU Mem and Self CPU Mem with ``profile_memory``, # of Calls,
Input Shapes when the rows are grouped by input shape, Source Location when grouped by stack
(one line per frame), and Total FLOPs (scaled: KFLOPs, MFLOPs, …) with ``with_flops``.
The percentages are of the sum of every row's self time (the footer's "Self CPU time total").
"""

import math

from glassnet._errors import GlassnetValueError

__all__ = ["SORT_KEYS", "build_table", "format_memory", "format_time"]

SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "count", "cpu_memory_usage",
             "self_cpu_memory_usage", "flops")
_WIDTH = 12
_FLOPS = ("FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs")


def format_time(us):
    """``1.234s``, ``12.345ms`` or ``123.456us``."""
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def format_memory(nbytes):
    """``1.50 GB``, ``2.00 MB``, ``3.00 KB`` (powers of 1024) or ``12 B``."""
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{int(nbytes)} B"


def _percent(part, whole):
    return f"{100.0 * part / whole:.2f}%" if whole else "0.00%"


def build_table(events, sort_by, row_limit, max_name_width, max_shapes_width, header, top_level_only,
                max_src_width=75):
    rows = _rows(events, sort_by, row_limit, top_level_only)
    total_self = sum(e.self_cpu_time_total for e in events)
    columns = _columns(events, rows, max_name_width, max_shapes_width, max_src_width)
    rule = "".join("-" * width + "  " for _, width, _ in columns)
    lines = [] if header is None else ["=" * len(rule), header]
    labels = [label for label, _, _ in columns]
    lines += [rule, _line(labels, columns), rule]
    for e in rows:
        lines.append(_line([cell(e, total_self) for _, _, cell in columns], columns))
        if "Source Location" in labels:  # the deeper frames, one line each
            at = labels.index("Source Location")
            for frame in e.stack[1:]:
                cells = [""] * len(columns)
                cells[at] = _clip(frame, columns[at][1])
                lines.append(_line(cells, columns))
    lines += [rule, f"Self CPU time total: {format_time(total_self)}", ""]
    return "\n".join(lines)


def _rows(events, sort_by, row_limit, top_level_only):
    rows = list(events)
    if top_level_only:
        rows = [e for e in rows if getattr(e, "cpu_parent", None) is None]
    if sort_by is not None:
        if sort_by not in SORT_KEYS:
            raise GlassnetValueError(f"table: sort_by={sort_by!r} is not a CPU column; use one of "
                                     f"{', '.join(SORT_KEYS)}")
        rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
    return rows if row_limit is None or row_limit < 0 else rows[:row_limit]


def _columns(events, rows, max_name_width, max_shapes_width, max_src_width):
    """(label, width, cell(event, total self time) -> text) per column, PyTorch's order."""
    name_width = min(max([len(e.key) for e in rows] + [4]) + 4, max_name_width)
    columns = [
        ("Name", name_width, lambda e, t: _clip(e.key, name_width)),
        ("Self CPU %", _WIDTH, lambda e, t: _percent(e.self_cpu_time_total, t)),
        ("Self CPU", _WIDTH, lambda e, t: format_time(e.self_cpu_time_total)),
        ("CPU total %", _WIDTH, lambda e, t: _percent(e.cpu_time_total, t)),
        ("CPU total", _WIDTH, lambda e, t: format_time(e.cpu_time_total)),
        ("CPU time avg", _WIDTH, lambda e, t: format_time(e.cpu_time)),
    ]
    if events.profile_memory:
        columns += [("CPU Mem", _WIDTH, lambda e, t: format_memory(e.cpu_memory_usage)),
                    ("Self CPU Mem", _WIDTH, lambda e, t: format_memory(e.self_cpu_memory_usage))]
    columns.append(("# of Calls", _WIDTH, lambda e, t: str(e.count)))
    if any(getattr(e, "input_shapes", None) for e in rows):
        width = min(max(len(str(e.input_shapes)) for e in rows) + 4, max_shapes_width)
        columns.append(("Input Shapes", width, lambda e, t: _clip(str(e.input_shapes or []), width)))
    if any(getattr(e, "stack", None) for e in rows):
        src = min(max(len(f) for e in rows for f in e.stack or [""]) + 4, max_src_width)
        columns.append(("Source Location", src, lambda e, t: _clip(e.stack[0], src) if e.stack else ""))
    flops = [e.flops for e in rows if e.flops > 0]
    if events.with_flops and flops:
        scale = min(int(math.log10(min(flops)) // 3), len(_FLOPS) - 1)
        columns.append((f"Total {_FLOPS[scale]}", _WIDTH,
                        lambda e, t: f"{e.flops / 1000 ** scale:.3f}" if e.flops else "--"))
    return columns


def _clip(text, width):
    return text if len(text) <= width else text[:width - 3] + "..."


def _line(cells, columns):
    return "".join(f"{cell:>{width}}  " for cell, (_, width, _) in zip(cells, columns, strict=True))
