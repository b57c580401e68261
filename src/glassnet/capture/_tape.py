"""The tape: what one captured call did, as a list of array-level steps over numbered slots.

A *slot* holds one array of the step: an input of the function, a parameter (read from
its tensor at each replay, so in-place updates and rebinding are seen), or the result of
an earlier step. Each step is a small closure ``run(env)`` that reads slots of ``env`` (a
list) and writes its results into slots — no Tensor objects, no graph, no dispatch — and
an :class:`Entry` that says what it is, for :func:`explain`.

Kinds of step: ``forward`` (a primitive's forward, or the kernel that ran it), ``backward``
(its backward), ``route`` (what the engine does between backward calls: unbroadcast, cast,
sum of the gradients reaching a tensor), ``leaf`` (store a parameter's ``.grad``),
``update`` (an optimiser or scheduler ``step()``, run as is: it works on arrays already),
``grad`` (``p.grad = None`` and the like), ``write`` (an in-place update under no_grad),
``guard`` (a branch the function took on a tensor's value, checked again at replay).

After a capture, :func:`glassnet.capture._lower.lower` may swap a step's closure for one
that writes into arrays allocated once per tape (``out=``) or runs a fused kernel; the
entry's ``replay`` then says how, and ``Tape.groups`` lists the fused groups.
"""

import numpy as np

__all__ = ["Entry", "SEED_NOTE", "StaleBranch", "Tape"]

SEED_NOTE = "seed: ones shaped like the loss"

_ndarray = np.ndarray


class StaleBranch(Exception):  # noqa: N818  (internal signal, never escapes compile)
    """A guard found a tensor value that sends the Python code down another branch."""


class Entry:
    """The description of one step: ``kind``, the ``op`` (a primitive's instance, if any),
    the ``kernel`` that ran it (None for the reference), the slots read and written,
    ``note`` (free text: a routing detail, a guard's recorded value and place) and
    ``replay`` (how a replay runs it: ``""`` as recorded, ``"out="`` into preallocated
    arrays, or the fused kernel's name)."""

    __slots__ = ("kind", "op", "kernel", "reads", "writes", "note", "replay")

    def __init__(self, kind, op=None, kernel=None, reads=(), writes=(), note=""):
        self.kind, self.op, self.kernel = kind, op, kernel
        self.reads, self.writes, self.note = tuple(reads), tuple(writes), note
        self.replay = ""

    @property
    def name(self):
        if self.op is None:
            return self.kind
        return type(self.op).__name__ if self.kind not in ("update", "grad") else type(self.op).__name__


class Tape:
    """Steps, the slots they use, and how to map a call's arguments and results onto them.

    ``inputs``: slot per array argument (in the order the arguments are flattened);
    ``leaves``: ``(slot, tensor)`` read as ``tensor.array`` at the start of each replay;
    ``output``: a template of the function's result (see :func:`_rebuild`);
    ``specs``: slot → ``(shape, dtype)`` seen at capture, for explain;
    ``groups``: the fused groups, ``(title, formula, [entry index, ...])``;
    ``copy_out``: result slots held in a preallocated array (copied when returned, so that
    the next replay does not overwrite what the caller kept);
    ``kernels``: which fused kernels the replay runs (``"numba"``, ``"numpy"``, or None
    before :func:`~glassnet.capture._lower.lower`).
    """

    def __init__(self):
        self.runs, self.entries = [], []
        self.n_slots = 0
        self.inputs, self.leaves = [], []
        self.output = None
        self.specs = {}
        self.refusal = None  # why this tape must not be replayed (None: it may)
        self.groups, self.copy_out, self.kernels = [], set(), None

    def new_slot(self, array):
        slot = self.n_slots
        self.n_slots += 1
        self.specs[slot] = (tuple(getattr(array, "shape", ())), getattr(array, "dtype", None))
        return slot

    def add(self, run, entry):
        self.runs.append(run)
        self.entries.append(entry)

    def refuse(self, reason):
        if self.refusal is None:
            self.refusal = reason

    def replay(self, arrays, wrap):
        """Run the steps on ``arrays`` (the call's array arguments, flattened); return the
        function's result rebuilt with ``wrap(array)`` for each tensor in it."""
        env = [None] * self.n_slots
        for slot, array in zip(self.inputs, arrays, strict=True):
            env[slot] = array
        for slot, tensor in self.leaves:
            env[slot] = tensor.array
        for run in self.runs:
            run(env)
        for slot in self.copy_out:
            env[slot] = env[slot].copy()
        return _rebuild(self.output, env, wrap)


def _rebuild(template, env, wrap):
    """The result of a call from its template: ``("slot", i)`` → a tensor of slot i,
    ``("const", v)`` → v, ``("seq", type, items)`` / ``("dict", keys, items)`` → containers."""
    kind = template[0]
    if kind == "slot":
        return wrap(env[template[1]])
    if kind == "const":
        return template[1]
    if kind == "seq":
        return template[1](_rebuild(t, env, wrap) for t in template[2])
    return dict(zip(template[1], (_rebuild(t, env, wrap) for t in template[2]), strict=True))


def output_slots(template):
    """The slots a result template reads."""
    if template[0] == "slot":
        yield template[1]
    elif template[0] in ("seq", "dict"):
        for t in template[2]:
            yield from output_slots(t)


# -- the closures each kind of step runs --------------------------------------------------

def forward_run(fn, reads, out):
    """``env[out] = fn(*env[reads])``, NumPy's 0-d scalars made arrays (as Function.apply)."""
    if len(reads) == 1:
        (a,) = reads

        def run(env):
            r = fn(env[a])
            env[out] = r if type(r) is _ndarray else np.asarray(r)
    elif len(reads) == 2:
        a, b = reads

        def run(env):
            r = fn(env[a], env[b])
            env[out] = r if type(r) is _ndarray else np.asarray(r)
    else:
        def run(env):
            r = fn(*[env[s] for s in reads])
            env[out] = r if type(r) is _ndarray else np.asarray(r)
    return run


def forward_env_run(fn, reads, out):
    """As :func:`forward_run` for an op whose params hold a step's arrays: ``fn(env, *arrays)``."""
    def run(env):
        r = fn(env, *[env[s] for s in reads])
        env[out] = r if type(r) is _ndarray else np.asarray(r)
    return run


def with_array_params(fn, params, from_slots, env, *arrays):
    """Put this replay's arrays into ``params`` (the op's own dict, which its backward reads
    too), then run ``fn(*arrays, **params)``."""
    for name, parts in from_slots:
        if type(params[name]) is tuple:
            params[name] = tuple(v if s is None else env[s] for v, s in zip(params[name], parts, strict=True))
        else:
            params[name] = env[parts[0]]
    return fn(*arrays, **params)


def backward_run(fn, grad_slot, outs):
    """``grads = fn(env[grad_slot])``; ``env[slot] = grads[i]`` for each ``(i, slot)`` of ``outs``."""
    def run(env):
        grads = fn(env[grad_slot])
        if type(grads) is not tuple:
            grads = (grads,)
        for i, slot in outs:
            env[slot] = grads[i]
    return run


def unary_run(fn, a, out):
    def run(env):
        env[out] = fn(env[a])
    return run


def sum_run(a, b, out):
    def run(env):
        env[out] = env[a] + env[b]
    return run


def call_run(fn):
    def run(env):
        fn()
    return run
