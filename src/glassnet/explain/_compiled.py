"""A captured step, explained: what ``gn.compile`` replays, written out by hand.

A replay runs the same primitives as the eager step, so the tape *is* the step written
out: each forward with the primitive's ``formula``, each backward with its
``grad_formulas``, the engine's routing between them, the gradients stored and the
optimiser update, grouped by phase; each step says how the replay runs it (as recorded,
into preallocated arrays, or inside a fused kernel) and the fused groups are listed with
their formulas. On request, one step runs eagerly and every primitive's numbers are shown.

The rendering lives with the tape (:mod:`glassnet.capture._render`); this module gives it
the explanation's shape (text, HTML, notebook display) under ``gn.explain``.
"""

from glassnet._errors import GlassnetTypeError
from glassnet.capture import CompiledFunction
from glassnet.capture._render import render_eager_run, render_tape
from glassnet.explain._render import Explanation

__all__ = ["CompiledExplanation", "compiled"]


class CompiledExplanation(Explanation):
    """The tape of a compiled step (``tape``: its last used signature's, None before the
    first call) and, when numbers were asked for, ``numbers``: the text of one step run
    eagerly, each primitive with its inputs and output (else None)."""

    def __init__(self, fn, args=(), kwargs=None, numbers=False, digits=4):
        if not isinstance(fn, CompiledFunction):
            raise GlassnetTypeError(f"explain.compiled: expected what gn.compile returns, got "
                                    f"{type(fn).__name__}; wrap the step first: step = gn.compile(step)")
        if numbers and not args and not kwargs:
            raise GlassnetTypeError("explain.compiled(step, numbers=True): pass the step's arguments "
                                    "too (explain.compiled(step, x, y, numbers=True)); one step then runs "
                                    "eagerly")
        self.name, self.tape = fn.__name__, fn.tape
        self.title = f"Compiled step by hand: {self.name}"
        self.numbers = (render_eager_run(fn.fn, args, kwargs or {}, digits, title=self.name) if numbers
                        else None)

    def _text_parts(self, color):
        parts = [render_tape(self.tape, title=self.name)]
        if self.numbers is not None:
            parts.append(self.numbers)
        return parts


def compiled(fn, *args, numbers=False, digits=4, **kwargs):
    """Explain ``fn`` (what ``gn.compile`` returned): its tape — the primitives with their
    formulas in forward, backward and update order, how the replay runs each one, and the
    fused groups. With ``numbers=True`` and the step's arguments, also run one step eagerly
    and show each primitive's numbers (``digits`` significant digits). That step is real:
    an optimiser step in it updates the parameters, as a call of the step would::

        step = gn.compile(train_step)
        step(x, y)                                          # captures
        print(gn.explain.compiled(step))                    # the tape and its fused groups
        print(gn.explain.compiled(step, x, y, numbers=True))  # and one step's numbers
    """
    return CompiledExplanation(fn, args, kwargs, numbers=numbers, digits=digits)
