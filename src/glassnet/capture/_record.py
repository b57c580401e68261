"""Recording a tape while the function runs eagerly once.

The recorder listens to every primitive through the engine's observer hook
(:class:`glassnet.observe`) and, for the time of one call only, swaps a few methods of
:class:`~glassnet.Tensor` and of the optimisers for recording versions:

- ``Tensor.backward`` runs the recording engine (:mod:`._backward`);
- ``bool(t)``, ``int(t)``, ``t.__index__()`` record a guard (the branch taken is checked
  at every replay); ``t.item()``, ``float(t)``, ``t.tolist()``, ``t.numpy()`` and
  ``np.asarray(t)`` hand a value to Python, where the tape cannot follow it: the tape is
  refused, naming the line;
- ``Tensor._wrap`` (tensors made outside the primitives, e.g. a comparison) marks its
  array as untracked: a step that reads it refuses the tape;
- ``p.grad = …``, in-place updates under ``no_grad`` and ``x[i] = v`` become steps;
- ``Optimizer.step`` and ``LRScheduler.step`` become opaque steps, run as they are at replay
  (they already work on the parameters' arrays in place).

Nothing is swapped outside a capture, so the eager path pays nothing.
"""

import sys
from functools import partial

import numpy as np

from glassnet._backend import default_generator
from glassnet.autograd._mode import observe
from glassnet.autograd._patches import Patches
from glassnet.capture import _tape
from glassnet.capture._tape import Entry, StaleBranch

__all__ = ["Recorder", "as_bool", "as_int", "where_in_user_code"]

_SIDE_EFFECTS = {"leaf", "update", "write"}


def where_in_user_code():
    """``file:line`` of the innermost frame outside glassnet (where the user's code is)."""
    frame = sys._getframe(1)
    while frame is not None and "/glassnet/" in frame.f_code.co_filename.replace("\\", "/"):
        frame = frame.f_back
    return "?" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


class Recorder:
    """One capture: ``with Recorder(tape) as rec: result = fn(...)`` (see the module doc)."""

    def __init__(self, tape):
        self.tape = tape
        self.env = []  # the capture's own values, slot by slot
        self.slot_of = {}  # id(array) → slot
        self.untracked = {}  # id(array) → what made it outside the primitives
        self.opaque = 0  # > 0 while an optimiser or scheduler step runs (its insides are not recorded)
        self.in_backward = False
        self.backward_ran = False
        self.converting = 0  # > 0 inside bool()/int(): their own item() call is not a refusal
        self.storing = False  # True while the recording engine sets a leaf's .grad
        self.keep = []  # untracked arrays, alive until the capture ends (their ids stay unique)
        self._patches = Patches()

    # -- slots ----------------------------------------------------------------------------
    def new_slot(self, array):
        slot = self.tape.new_slot(array)
        self.env.append(array)
        self.slot_of[id(array)] = slot
        return slot

    def input_slot(self, array):
        slot = self.slot_of.get(id(array))  # the same array passed twice: one slot
        if slot is None:
            slot = self.new_slot(array)
        self.tape.inputs.append(slot)
        return slot

    def slot_for(self, tensor, who):
        """The slot holding ``tensor``'s array: a step's result, an input, or (first seen
        here) a leaf read from the tensor at each replay."""
        array = tensor.array
        slot = self.slot_of.get(id(array))
        if slot is not None:
            return slot
        made_by = self.untracked.get(id(array))
        if made_by is not None:
            self.tape.refuse(f"{who} reads a tensor made by {made_by}() outside the recorded primitives "
                             f"({where_in_user_code()}); a replay would reuse its first value")
        elif tensor._ctx is not None:
            self.tape.refuse(f"{who} reads a tensor made by {type(tensor._ctx).__name__}, which the tape "
                             "did not see (a custom autograd.Function?)")
        elif self._derived_from_step(array):
            self.tape.refuse(f"{who} reads a view of a step's array taken outside the recorded primitives "
                             f"({where_in_user_code()})")
        slot = self.new_slot(array)
        self.tape.leaves.append((slot, tensor))
        return slot

    def _derived_from_step(self, array):
        leaves = {s for s, _ in self.tape.leaves}
        base = getattr(array, "base", None)
        while base is not None:
            slot = self.slot_of.get(id(base))
            if slot is not None and slot not in leaves:
                return True
            base = getattr(base, "base", None)
        return False

    def emit(self, run, entry, execute=False):
        """Append a step; with ``execute`` also run it now on the capture's values."""
        if entry.kind in _SIDE_EFFECTS:
            self.side_effects = True
        self.tape.add(run, entry)
        if execute:
            run(self.env)

    side_effects = False

    # -- forward primitives (through the observer hook) -------------------------------------
    def on_event(self, event):
        if self.opaque:
            return
        if event.phase != "forward":
            if not self.in_backward:
                self.tape.refuse(f"a backward ran outside Tensor.backward() ({event.op.name}; "
                                 "autograd.grad?): the tape cannot follow it")
            return
        op = event.op
        reads = [self.slot_for(t, op.name) for t in event.inputs]
        kernel = op.kernel
        from_slots = self._array_params(op)
        if from_slots:
            run_fn = partial(kernel.forward, op) if kernel is not None else op.forward
            fn = partial(_tape.with_array_params, run_fn, op.params, from_slots)
        else:
            fn = (partial(kernel.forward, op, **op.params) if kernel is not None
                  else partial(op.forward, **op.params))
        out = self.new_slot(event.output.array)
        if op.params.get("running") is not None:  # BatchNorm updating its running statistics
            self.tape.refuse(f"{op.name} in training mode: its module counts batches in Python "
                             "(num_batches_tracked, the momentum=None average), which a replay would not")
        param_slots = [s for _, parts in from_slots for s in parts if s is not None]
        step = _tape.forward_run(fn, reads, out) if not from_slots else _tape.forward_env_run(fn, reads, out)
        self.emit(step, Entry("forward", op, kernel, [*reads, *param_slots], (out,)))

    def _array_params(self, op):
        """``[(name, parts)]`` for the params that hold a step's arrays (labels, indices):
        ``parts`` is one slot for an array, or a slot (None: a constant) per tuple item."""
        found = []
        for name, value in op.params.items():
            if isinstance(value, tuple):
                parts = tuple(self._param_slot(v, op.name) for v in value)
                if any(p is not None for p in parts):
                    found.append((name, parts))
            else:
                slot = self._param_slot(value, op.name)
                if slot is not None:
                    found.append((name, (slot,)))
        return found

    def _param_slot(self, value, who):
        if not hasattr(value, "__array_interface__") or isinstance(value, np.generic):
            return None
        slot = self.slot_of.get(id(value))
        if slot is None and (id(value) in self.untracked or self._derived_from_step(value)):
            self.tape.refuse(f"{who} takes an array made outside the recorded primitives "
                             f"({where_in_user_code()}); a replay would reuse its first value")
        return slot

    # -- patching -------------------------------------------------------------------------
    def patch(self, owner, name, value):
        self._patches.patch(owner, name, value)

    def __enter__(self):
        self._rng_before = _rng_state()
        self._observer = observe(self.on_event)
        self._observer.__enter__()
        from glassnet.capture._hooks import install

        install(self)
        return self

    def __exit__(self, *exc):
        self._patches.undo()
        self._observer.__exit__(*exc)
        if _rng_state() != self._rng_before:
            self.tape.refusal = None  # the clearest reason of all
            self.tape.refuse("the function draws random numbers (dropout, gn.randn, …): a replay would "
                             "repeat the first call's draws")
        return False

    # -- guards -----------------------------------------------------------------------------
    def guard(self, tensor, value, convert, what):
        """Record that Python saw ``what(tensor) == value`` here; replay checks it again."""
        if self.opaque:
            return
        slot = self.slot_for(tensor, what)
        place = where_in_user_code()
        if self.side_effects:
            self.tape.refuse(f"{what}(tensor) at {place} decides a branch after the step changed state "
                             "(a gradient or a parameter): a replay could not go back and take the other "
                             "branch")

        def run(env):
            if convert(env[slot]) != value:
                raise StaleBranch(f"{what}(tensor) at {place} was {value!r} when captured, "
                                  f"now {convert(env[slot])!r}")
        self.emit(run, Entry("guard", reads=(slot,), note=f"{what}(tensor) == {value!r} at {place}"))

    def refuse_value(self, what):
        if not self.opaque:
            self.tape.refuse(f"{what} at {where_in_user_code()} hands a tensor's value to Python, where the "
                             "tape cannot follow it (return the tensor and call .item() outside the "
                             "compiled function)")


def _rng_state():
    return repr(default_generator().bit_generator.state)


def as_bool(array):
    return bool(array)


def as_int(array):
    return int(np.asarray(array).reshape(()).item())

