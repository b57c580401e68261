"""``glassnet.profiler.profile``: PyTorch's ``torch.profiler.profile`` for CPU programs.

Each active cycle of the schedule records through one
:class:`glassnet.autograd.profiler.profile` (``prof.profiler``); the step transitions are
PyTorch's (see :mod:`glassnet.profiler._schedule`): the profiler starts recording when a
cycle's first active step begins and stops, calling ``on_trace_ready(prof)``, when its last
one ends (or when the profile stops during an active stretch).
"""

import enum
import warnings

from glassnet._errors import GlassnetError, GlassnetTypeError, GlassnetWarning
from glassnet.autograd import profiler as autograd_profiler
from glassnet.autograd._profiler_device import warn_device
from glassnet.autograd._profiler_events import EventList
from glassnet.profiler._schedule import ProfilerAction, default_schedule

__all__ = ["ProfilerActivity", "profile", "supported_activities"]


class ProfilerActivity(enum.Enum):
    """What to profile. ``CPU``: the host-side work (every glassnet op); ``CUDA`` (and the
    other devices) is accepted with a warning: glassnet does not time GPU kernels."""

    CPU = 0
    CUDA = 2
    XPU = 1
    MTIA = 3


def supported_activities():
    """The activities glassnet records: CPU only."""
    return {ProfilerActivity.CPU}


class profile:
    """Profile the ``with`` block (or ``start()`` … ``stop()``): every op's forward and
    backward, optimiser steps, and :func:`record_function` ranges, timed on the CPU.

    Op names are glassnet's (a primitive's class name in lower case, its backward
    ``<Op>Backward``), not PyTorch's ``aten::`` names. Each event's self time is its total
    time less its children's: ``self = total − Σ child totals``.

    Args:
        activities: ``ProfilerActivity`` values to record (default: CPU). ``CUDA`` is accepted
            with a warning: glassnet times the host side of each op only.
        schedule: ``step -> ProfilerAction`` (see :func:`schedule`), advanced by
            ``prof.step()``; with one, each step is a range ``ProfilerStep#<n>``. Without one,
            the whole block is one recorded cycle.
        on_trace_ready: ``callable(prof)``, run when each active cycle ends (e.g.
            :func:`tensorboard_trace_handler`).
        record_shapes: keep each op's input shapes (``key_averages(group_by_input_shape=True)``).
        profile_memory: count the bytes of the new arrays each op returns (CPU Mem columns;
            frees are not counted).
        with_stack: keep the calling frames outside glassnet (``group_by_stack_n``).
        with_flops: count the FLOPs of matrix products (``2·m·k·n``).
        with_modules: add a range per ``nn.Module`` call (``nn.Module: Linear``).
        acc_events: keep the events of every cycle, not the last one's only.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.profiler import profile, record_function
        >>> x = gn.ones(4, 3, requires_grad=True)
        >>> with profile() as prof:
        ...     with record_function("model"):
        ...         y = x.relu().sum()
        ...     y.backward()
        >>> [(row.key, row.count) for row in prof.key_averages()]
        [('model', 1), ('relu', 1), ('sum', 1), ('SumBackward', 1), ('ReluBackward', 1)]
        >>> table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=-1)
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None):
        self.activities = _activities(activities, use_cuda)
        _warn_unused(experimental_config=experimental_config,
                     execution_trace_observer=execution_trace_observer,
                     custom_trace_id_callback=custom_trace_id_callback)
        self.options = {"record_shapes": record_shapes, "profile_memory": profile_memory,
                        "with_stack": with_stack, "with_flops": with_flops, "with_modules": with_modules}
        self.schedule = schedule if schedule is not None else default_schedule
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.acc_events = acc_events
        self.step_num = 0
        self.current_action = self.schedule(0)
        self.profiler = None
        self.step_rec_fn = None
        self._kept = []  # earlier cycles' events, with acc_events
        self._transitions = _transitions(self)

    # -- running ----------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self._transit(ProfilerAction.NONE, self.current_action)
        self._enter_step()

    def stop(self):
        self._exit_step()
        self._transit(self.current_action, None)

    def step(self):
        """Mark the start of the next step: the schedule decides what it does."""
        self._exit_step()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit(previous, self.current_action)
        self._enter_step()

    def _enter_step(self):
        if self.record_steps:
            self.step_rec_fn = autograd_profiler.record_function(f"ProfilerStep#{self.step_num}")
            self.step_rec_fn.__enter__()

    def _exit_step(self):
        if self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None

    def _transit(self, previous, current):
        for action in self._transitions.get((previous, current), ()):
            action()

    # -- the trace's life -------------------------------------------------------------------
    def _prepare(self):
        if self.acc_events and self.profiler is not None and self.profiler.function_events is not None:
            self._kept.extend(self.profiler.function_events)
        self.profiler = autograd_profiler.profile(**self.options)

    def _start_trace(self):
        if self.profiler is None:
            self._prepare()
        self.profiler.__enter__()

    def _stop_trace(self):
        self.profiler.__exit__(None, None, None)

    def _trace_ready(self):
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # -- results --------------------------------------------------------------------------
    def events(self):
        """The recorded ranges (FunctionEvents) of the last finished active cycle (of every
        cycle with ``acc_events``)."""
        if self.profiler is None or self.profiler.function_events is None:
            raise GlassnetError("profiler: no results yet — they exist once an active cycle has ended (the "
                                "with block exited, or on_trace_ready was called)")
        events = self.profiler.function_events
        if self.acc_events and self._kept:
            events = EventList([*self._kept, *events], events.profile_memory, events.with_flops)
        return events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """The events added up per name (per name and input shapes with
        ``group_by_input_shape``): ``.table(sort_by="cpu_time_total", row_limit=-1)``."""
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path):
        """Write the events as Chrome trace JSON to ``path`` (atomically)."""
        self.events().export_chrome_trace(path)


def _activities(activities, use_cuda):
    chosen = set(supported_activities() if activities is None else activities)
    if use_cuda:
        warnings.warn("profile(use_cuda=True) is deprecated in PyTorch: pass "
                      "activities=[ProfilerActivity.CUDA]", GlassnetWarning, stacklevel=3)
        chosen.add(ProfilerActivity.CUDA)
    for a in chosen:
        if not isinstance(a, ProfilerActivity):
            raise GlassnetTypeError(f"profile: activities holds {a!r} ({type(a).__name__}); use "
                                    "glassnet.profiler.ProfilerActivity.CPU (or .CUDA)")
    others = sorted(a.name for a in chosen - {ProfilerActivity.CPU})
    if others:
        named = ", ".join(f"ProfilerActivity.{n}" for n in others)
        warn_device(f"profile(activities=[{named}])", stacklevel=4)
    return chosen


def _warn_unused(**options):
    given = [name for name, value in options.items() if value is not None]
    if given:
        warnings.warn(f"profile: {', '.join(given)} ignored: glassnet's profiler has no Kineto tracer or "
                      "execution-trace writer behind it", GlassnetWarning, stacklevel=4)


def _transitions(prof):
    """(previous action, next action; None when the profile stops) → what to do, in order."""
    A = ProfilerAction
    prepare, start, stop, ready = prof._prepare, prof._start_trace, prof._stop_trace, prof._trace_ready

    def warn(text):
        return lambda: warnings.warn(f"profiler: incorrect schedule: {text}", GlassnetWarning, stacklevel=4)
    table = {
        (A.NONE, A.WARMUP): [prepare],
        (A.NONE, A.RECORD): [prepare, start],
        (A.NONE, A.RECORD_AND_SAVE): [prepare, start],
        (A.WARMUP, A.NONE): [warn("WARMUP followed by NONE"), start, stop],
        (A.WARMUP, A.RECORD): [start],
        (A.WARMUP, A.RECORD_AND_SAVE): [start],
        (A.RECORD, A.NONE): [warn("RECORD followed by NONE"), stop],
        (A.RECORD, A.WARMUP): [warn("RECORD followed by WARMUP"), stop],
        (A.WARMUP, None): [start, stop],
        (A.RECORD, None): [stop, ready],
        (A.RECORD_AND_SAVE, None): [stop, ready],
    }
    for nxt, then in ((A.NONE, []), (A.WARMUP, [prepare]), (A.RECORD, [prepare, start]),
                      (A.RECORD_AND_SAVE, [prepare, start])):
        table[(A.RECORD_AND_SAVE, nxt)] = [stop, ready, *then]
    return table
