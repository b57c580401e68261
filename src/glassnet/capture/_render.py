"""Reading a captured step: the tape's steps with their formulas, and one step's numbers.

A replay runs the same primitives as the eager step, so the tape is the step written out:
each forward with the primitive's ``formula``, each backward with its ``grad_formulas``,
the engine's routing between them, the parameter gradients stored and the optimiser
update — grouped by phase. :func:`render_eager_run` runs one step eagerly and shows the
numbers each primitive produced, by hand-checkable size.
"""

import numpy as np

from glassnet.autograd._mode import observe

__all__ = ["render_eager_run", "render_groups", "render_tape"]

_PHASES = {"forward": "forward", "compare": "forward", "guard": None, "backward": "backward",
           "route": "backward",
           "leaf": "backward", "update": "update", "grad": "gradients", "write": "update"}


def render_tape(tape, title="step"):
    """The tape as text: one line per step, grouped into forward, backward and update."""
    if tape is None:
        return f"compiled {title}: not captured yet (call it once)"
    head = f"compiled {title}: {len(tape.entries)} steps over {tape.n_slots} arrays"
    lines = [head + (f" — runs eagerly: {tape.refusal}" if tape.refusal else " — replayed as array calls")]
    for phase, group in _groups(tape.entries):
        lines.append(f"── {phase} ({len(group)} steps) ──")
        lines.extend(_line(i, entry, tape) for i, entry in group)
    lines.extend(render_groups(tape))
    return "\n".join(lines)


def render_groups(tape):
    """The fused groups of a lowered tape, one line each (none before lowering)."""
    if not tape.groups:
        return ["── fused groups: none (each step runs one primitive's forward or backward, as in eager "
                "mode) ──"]
    lines = [f"── fused groups ({len(tape.groups)}, {tape.kernels} kernels) ──"]
    for title, formula, indices in tape.groups:
        lines.append(f"  steps {', '.join(map(str, indices)):<8} {title}: {formula}")
    return lines


def _groups(entries):
    """Consecutive steps of one phase, as ``(phase, [(index, entry), ...])``; a guard stays
    in the phase around it."""
    groups = []
    for i, entry in enumerate(entries):
        phase = _PHASES.get(entry.kind) or (groups[-1][0] if groups else "forward")
        if not groups or groups[-1][0] != phase:
            groups.append((phase, []))
        groups[-1][1].append((i, entry))
    return groups


def _line(i, entry, tape):
    ins = " ".join(_slot(s, tape) for s in entry.reads)
    outs = " ".join(_slot(s, tape) for s in entry.writes)
    flow = f"{ins} → {outs}" if outs else ins
    how = f" [replay: {entry.replay}]" if entry.replay else ""
    if entry.kind == "forward":
        tier = entry.kernel.name if entry.kernel is not None else "reference"
        return f"{i:>4}  {entry.name:<16} [{tier}]{how} {flow}   {entry.op.formula}"
    if entry.kind == "backward":
        tier = entry.kernel.name if entry.kernel is not None else "reference"
        return f"{i:>4}  {entry.name + ' ∂':<16} [{tier}]{how} {flow}   {'; '.join(entry.op.grad_formulas)}"
    return f"{i:>4}  {entry.name:<16}{how} {flow + '   ' if flow else ''}{entry.note}"


def _slot(slot, tape):
    shape, dtype = tape.specs[slot]
    return f"s{slot}{list(shape)}"


def render_eager_run(fn, args, kwargs, digits=4, title="step"):
    """Run ``fn(*args, **kwargs)`` once eagerly and show each primitive's formula and numbers."""
    events = []
    with observe(events.append):
        fn(*args, **kwargs)
    lines = [f"{title}, run eagerly: {len(events)} primitives"]
    for n, event in enumerate(events):
        op = event.op
        if event.phase == "forward":
            lines.append(f"{n:>4}  {op.name}: {op.formula}")
            for k, t in enumerate(event.inputs):
                lines.append(f"        in{k} = {_numbers(t.array, digits)}")
            lines.append(f"        out = {_numbers(event.output.array, digits)}")
        else:
            lines.append(f"{n:>4}  {op.name} backward: {'; '.join(op.grad_formulas)}")
            lines.append(f"        dout = {_numbers(event.grad_output, digits)}")
            for k, g in enumerate(event.grad_inputs or ()):
                if g is not None:
                    lines.append(f"        d in{k} = {_numbers(g, digits)}")
    return "\n".join(lines)


def _numbers(array, digits):
    a = np.asarray(array)
    text = np.array2string(a, precision=digits, threshold=12, edgeitems=2, separator=", ")
    return f"{text.replace(chr(10), ' ')}  {list(a.shape)} {a.dtype}"
