"""Capture and replay: ``gn.compile(step)`` records what one call does and replays it as
plain array calls (see :mod:`glassnet.capture._compiled`).

The layers: a :class:`~glassnet.capture._tape.Tape` of array-level steps over numbered
slots (``_tape``), recorded while the function runs eagerly (``_record``, ``_hooks``,
``_backward``), replayed behind a guard of shapes and dtypes (``_compiled``), and rendered
with the primitives' own formulas (``_render``).
"""

from glassnet.capture import _profiling  # noqa: F401  (the profiler's range per compiled call)
from glassnet.capture._compiled import CompiledFunction, compile
from glassnet.capture._render import render_eager_run, render_tape

__all__ = ["CompiledFunction", "compile", "explain"]


def explain(compiled):
    """The tape of a compiled function, rendered (its last used signature)."""
    return render_tape(compiled.tape, title=compiled.__name__)


del render_eager_run
