"""PyTorch's profiler table for an :class:`~glassnet.autograd._profiler_events.EventList`.

Columns (those that mean something on a CPU): Name, Self CPU %, Self CPU, CPU total %,
CPU total, CPU time avg, then CPU Mem and Self CPU Mem with ``profile_memory``, Total MFLOPs
with ``with_flops``, # of Calls, and Input Shapes when the rows are grouped by input shape.
The percentages are of the sum of every row's self time (the footer's "Self CPU time total").
"""

from glassnet._errors import GlassnetValueError

__all__ = ["SORT_KEYS", "build_table", "format_memory", "format_time"]

SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "count", "cpu_memory_usage",
             "self_cpu_memory_usage", "flops")
_WIDTH = 12


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


def build_table(events, sort_by, row_limit, max_name_width, max_shapes_width, header, top_level_only):
    rows = list(events)
    if top_level_only:
        rows = [e for e in rows if getattr(e, "cpu_parent", None) is None]
    if sort_by is not None:
        if sort_by not in SORT_KEYS:
            raise GlassnetValueError(f"table: sort_by={sort_by!r} is not a CPU column; use one of "
                                     f"{', '.join(SORT_KEYS)}")
        rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
    total_self = sum(e.self_cpu_time_total for e in events)
    if row_limit is not None and row_limit >= 0:
        rows = rows[:row_limit]
    shapes_shown = any(getattr(e, "input_shapes", None) for e in rows)
    name_width = min(max([len(e.key) for e in rows] + [4]) + 4, max_name_width)
    columns = [("Name", name_width), ("Self CPU %", _WIDTH), ("Self CPU", _WIDTH), ("CPU total %", _WIDTH),
               ("CPU total", _WIDTH), ("CPU time avg", _WIDTH)]
    if events.profile_memory:
        columns += [("CPU Mem", _WIDTH), ("Self CPU Mem", _WIDTH)]
    columns.append(("# of Calls", _WIDTH))
    if events.with_flops:
        columns.append(("Total MFLOPs", _WIDTH))
    if shapes_shown:
        shapes_width = min(max(len(str(e.input_shapes)) for e in rows) + 4, max_shapes_width)
        columns.append(("Input Shapes", shapes_width))
    rule = "".join("-" * width + "  " for _, width in columns)
    lines = [] if header is None else ["=" * len(rule), header]
    lines += [rule, _line([label for label, _ in columns], columns), rule]
    for e in rows:
        cells = [_clip(e.key, name_width), _percent(e.self_cpu_time_total, total_self),
                 format_time(e.self_cpu_time_total), _percent(e.cpu_time_total, total_self),
                 format_time(e.cpu_time_total), format_time(e.cpu_time)]
        if events.profile_memory:
            cells += [format_memory(e.cpu_memory_usage), format_memory(e.self_cpu_memory_usage)]
        cells.append(str(e.count))
        if events.with_flops:
            cells.append(f"{e.flops / 1e6:.3f}" if e.flops else "--")
        if shapes_shown:
            cells.append(_clip(str(e.input_shapes), columns[-1][1]))
        lines.append(_line(cells, columns))
    lines += [rule, f"Self CPU time total: {format_time(total_self)}", ""]
    return "\n".join(lines)


def _clip(text, width):
    return text if len(text) <= width else text[:width - 3] + "..."


def _line(cells, columns):
    return "".join(f"{cell:>{width}}  " for cell, (_, width) in zip(cells, columns, strict=True))
