"""``schedule``: which profiler steps are skipped, warmed up or recorded (PyTorch's rule).

Step ``s`` (counting from 0, advanced by ``prof.step()``): the first ``skip_first`` steps do
nothing; after them the steps run in cycles of ``wait + warmup + active``: ``wait`` steps do
nothing, ``warmup`` steps do nothing either (PyTorch warms its tracer up; glassnet has
nothing to warm), ``active`` steps record, the last of them ending the cycle
(``RECORD_AND_SAVE``: ``on_trace_ready`` is called when it ends). With ``repeat > 0`` the
cycles stop after ``repeat`` of them.
"""

import enum
import warnings

from glassnet._errors import GlassnetValueError, GlassnetWarning

__all__ = ["ProfilerAction", "schedule"]


class ProfilerAction(enum.Enum):
    """What the profiler does during one step."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """A ``step -> ProfilerAction`` function for ``profile(schedule=...)``: PyTorch's rule.

    After ``skip_first`` steps, cycles of ``wait + warmup + active`` steps: with
    ``k = (step − skip_first) mod (wait + warmup + active)``, ``k < wait`` does nothing,
    ``k < wait + warmup`` warms up (nothing to warm in glassnet), the rest record, the
    last of them ending the cycle (``RECORD_AND_SAVE``: ``on_trace_ready`` runs).

    Args:
        wait: steps that do nothing at the start of each cycle.
        warmup: steps after them that do nothing either (PyTorch's tracer warms up there).
        active: steps recorded (``> 0``).
        repeat: how many cycles (0: until the profile stops).
        skip_first: steps skipped once, before the first cycle.
        skip_first_wait: non-zero drops the first cycle's ``wait`` steps.

    Example:
        >>> from glassnet.profiler import schedule
        >>> every = schedule(wait=1, warmup=1, active=2, repeat=1)
        >>> [every(step).name for step in range(5)]
        ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE', 'NONE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise GlassnetValueError(
            f"schedule: got wait={wait}, warmup={warmup}, active={active}, repeat={repeat}, "
            f"skip_first={skip_first}; need wait >= 0, warmup >= 0, active > 0, repeat >= 0, skip_first >= 0")
    if warmup == 0:
        warnings.warn("schedule: warmup=0 (PyTorch warns that its results may be skewed without warmup; "
                      "glassnet records the same either way)", GlassnetWarning, stacklevel=2)
    cycle = wait + warmup + active

    def action(step):
        if step < 0:
            raise GlassnetValueError(f"schedule: step must be >= 0, got {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step = step - skip_first + (wait if skip_first_wait else 0)
        if repeat > 0 and step >= repeat * cycle:
            return ProfilerAction.NONE
        k = step % cycle
        if k < wait:
            return ProfilerAction.NONE
        if k < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if k < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return action


def default_schedule(step):
    """Without a schedule, every step records (one cycle, saved when the profile stops)."""
    return ProfilerAction.RECORD
