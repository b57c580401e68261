"""What a profile gives back: :class:`FunctionEvent` per recorded range, their averages
per name (:class:`FunctionEventAvg`), and :class:`EventList` with PyTorch's ``table()``,
``key_averages()`` and ``export_chrome_trace()``.

Times are microseconds. For an event, ``cpu_time_total = end − start``;
``self_cpu_time_total = cpu_time_total − Σ children's cpu_time_total`` (the time spent in
the range itself, not in ranges nested in it); ``cpu_memory_usage`` the bytes of new arrays
made inside it (``self_cpu_memory_usage``: by the op itself). Frees are not counted.
"""

import json
import os
import tempfile

from glassnet._errors import GlassnetValueError

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "events_of"]


class Interval:
    """``start``/``end`` in microseconds."""

    __slots__ = ("start", "end")

    def __init__(self, start, end):
        self.start, self.end = start, end

    def elapsed_us(self):
        return self.end - self.start


class FunctionEvent:
    """One recorded range (an op's forward or backward, an optimiser step, a user range)."""

    count = 1
    device_type = "CPU"

    def __init__(self, id, name, thread, start_us, end_us, input_shapes, kind, own_bytes, stack, flops):
        self.trace_name = name  # the trace keeps each step's number: ProfilerStep#3
        if name.startswith("ProfilerStep#"):
            name = "ProfilerStep*"  # PyTorch's name in events and tables, so the steps add up to one row
        self.id, self.name, self.key, self.thread = id, name, name, thread
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.is_user_annotation = kind == "user_annotation"
        self.kind = kind
        self.self_cpu_memory_usage = own_bytes
        self.stack = stack or []
        self.flops = flops
        self.cpu_children = []
        self.cpu_parent = None

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def cpu_time(self):
        return self.cpu_time_total

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_memory_usage(self):
        return self.self_cpu_memory_usage + sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us input_shapes={self.input_shapes}>")


class FunctionEventAvg:
    """The events of one name (and input shapes, when grouped so) added up."""

    device_type = "CPU"

    def __init__(self, key, input_shapes=None, stack=None):
        self.key, self.input_shapes, self.stack = key, input_shapes, stack or []
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.flops = 0
        self.is_user_annotation = False

    def add(self, event):
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        self.cpu_memory_usage += event.cpu_memory_usage
        self.self_cpu_memory_usage += event.self_cpu_memory_usage
        self.flops += event.flops
        self.is_user_annotation = event.is_user_annotation
        return self

    @property
    def cpu_time(self):
        """The average time per call: ``cpu_time_total / count``."""
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} count={self.count} "
                f"cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us>")


class EventList(list):
    """A list of events (or of averages) that prints as PyTorch's profiler table."""

    def __init__(self, events=(), profile_memory=False, with_flops=False):
        super().__init__(events)
        self.profile_memory, self.with_flops = profile_memory, with_flops

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """One :class:`FunctionEventAvg` per name — per (name, input shapes) with
        ``group_by_input_shape``, per (name, innermost ``group_by_stack_n`` frames) with that
        — in the order each first occurs."""
        groups = {}
        for e in self:
            shapes = str(e.input_shapes) if group_by_input_shape else None
            stack = tuple(e.stack[:group_by_stack_n]) if group_by_stack_n > 0 else ()
            key = (e.key, shapes, stack)
            if key not in groups:
                groups[key] = FunctionEventAvg(e.key, e.input_shapes if group_by_input_shape else None,
                                               list(stack))
            groups[key].add(e)
        return EventList(groups.values(), self.profile_memory, self.with_flops)

    def total_average(self):
        """Every event added into one :class:`FunctionEventAvg` named ``Total``."""
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, max_shapes_column_width=80,
              header=None, top_level_events_only=False):
        """PyTorch's profiler table (see :mod:`glassnet.autograd._profiler_table`)."""
        from glassnet.autograd._profiler_table import build_table

        return build_table(self, sort_by, row_limit, max_name_column_width, max_shapes_column_width, header,
                           top_level_events_only)

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Write the events as Chrome trace JSON (``chrome://tracing``, Perfetto): one complete
        event (``"ph": "X"``) per range, ``ts``/``dur`` in microseconds; nested ranges lie
        inside their parent's interval. Written to a temporary file beside ``path`` and moved
        into place (``os.replace``), so a reader never sees half a file."""
        if any(isinstance(e, FunctionEventAvg) for e in self):
            raise GlassnetValueError("export_chrome_trace: this list holds averages (key_averages()); export "
                                     "the profile's events (prof.export_chrome_trace or prof.events())")
        write_atomically(path, json.dumps(chrome_trace(self)))


def chrome_trace(events):
    """The Chrome trace dictionary of ``events`` (FunctionEvents)."""
    pid = os.getpid()
    trace = []
    for e in events:
        record = {"ph": "X", "cat": e.kind, "name": e.trace_name, "pid": pid, "tid": e.thread,
                  "ts": round(e.time_range.start, 3), "dur": round(e.cpu_time_total, 3),
                  "args": {"Ev Idx": e.id}}
        if e.input_shapes:
            record["args"]["Input Dims"] = e.input_shapes
        if e.self_cpu_memory_usage:
            record["args"]["Bytes"] = e.self_cpu_memory_usage
        if e.stack:
            record["args"]["Call stack"] = ";".join(e.stack)
        trace.append(record)
    return {"schemaVersion": 1, "displayTimeUnit": "ms", "traceEvents": trace}


def write_atomically(path, data):
    """Write ``data`` (str or bytes) to ``path`` through a temporary file in the same folder
    and ``os.replace``."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".tmp_", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise


def events_of(session):
    """The session's ranges as FunctionEvents, in start order, each the child of the innermost
    range it was opened in that also ends after it (ranges that overlap without nesting, such
    as a step's range ending inside a user's range, are not parent and child)."""
    made = {}
    for i, r in enumerate(session.ranges):
        e = FunctionEvent(i, r.name, r.thread, r.start / 1000.0, r.end / 1000.0, r.shapes, r.kind,
                          r.own_bytes, r.stack, r.flops)
        made[id(r)] = e
        parent = r.parent
        while parent is not None and parent.end < r.end:
            parent = parent.parent
        if parent is not None:
            e.cpu_parent = made[id(parent)]
            e.cpu_parent.cpu_children.append(e)
    return EventList(made.values(), session.profile_memory, session.with_flops)
