"""``gn.compile``: capture a step once, replay it as array calls while the guard holds.

The guard of a call is its *signature*: the shape, dtype and ``requires_grad`` of every
tensor or array argument (and which of them are the same array), the value of every
number or string argument, the identity (and ``training`` flag) of every other object,
grad mode and the kernel tier. A call whose signature has a captured tape replays it; a
new signature captures (the call runs eagerly, recording), keeping at most ``cache_size``
tapes; a tape the recorder refused (see :mod:`._record`) makes its signature run eagerly.
"""

import sys
import threading
from collections import OrderedDict

import numpy as np

from glassnet._errors import GlassnetTypeError
from glassnet.autograd._dispatch import tier
from glassnet.autograd._mode import grad_mode
from glassnet.autograd._tensor import Tensor
from glassnet.capture._fused import check_fuse
from glassnet.capture._fused import kernels as fused_kernels
from glassnet.capture._lower import lower
from glassnet.capture._record import Recorder
from glassnet.capture._tape import StaleBranch, Tape, output_slots

__all__ = ["CompiledFunction", "compile"]

_TORCH_OPTIONS = {"mode", "fullgraph", "dynamic", "backend", "options", "disable"}
_SCALARS = (int, float, str, bool, type(None), np.generic)
_MAX_STALE = 3  # re-captures of one signature for a changed branch before it runs eagerly for good
_capture_lock = threading.Lock()  # a capture swaps class attributes: one at a time


def compile(fn=None, *, explain=False, cache_size=8, fuse="auto", **options):  # noqa: A001  (PyTorch's name)
    """Capture ``fn`` on its first call and replay the captured steps on later calls.

    ``fn`` runs a forward (for inference), or a forward, ``loss.backward()`` and an
    optimiser ``step()`` (a training step). The first call with a new signature (shapes and
    dtypes of the tensor arguments, values of the others) runs eagerly while recording the
    primitives, the backward and the update; later calls replay them on the new arrays with
    no Tensor objects, no graph and no dispatch, and return the same numbers as eager mode.
    Branches on tensor values (``if loss > 1:``) are checked at every replay; a function
    that reads values into Python (``.item()``), draws random numbers or does what the
    tape cannot follow runs eagerly, saying why when ``explain=True`` (and in ``.log``).

    A replay writes the results of the dense layers, ReLUs, softmax-cross-entropy and
    the SGD-momentum/Adam update into arrays allocated once per captured signature, and
    runs chains of elementwise work as one fused kernel (:mod:`glassnet.capture._lower`).
    ``fuse="auto"`` uses numba's kernels when it is installed (``pip install
    'glassnet[fast]'``; one thread, imported at the first capture, compiled once per machine
    into numba's on-disk cache) and the same chains as NumPy calls otherwise; ``fuse=True``
    insists on numba, ``fuse=False`` uses NumPy. Both give the same numbers.
    The parameters' ``.grad`` arrays are reused from step to step: copy one to keep it.

    Use as ``gn.compile(step)``, ``@gn.compile`` or ``@gn.compile(explain=True)``. PyTorch's
    options (``mode``, ``fullgraph``, ``dynamic``, ``backend``) are accepted and ignored;
    ``disable=True`` returns ``fn`` itself, and so does a Module (its outputs feed a backward
    outside the function, which needs the graph: compile the whole training step instead).
    """
    unknown = set(options) - _TORCH_OPTIONS
    if unknown:
        raise GlassnetTypeError(f"compile: unknown option(s) {sorted(unknown)}; glassnet takes explain= and "
                                f"cache_size=, and accepts PyTorch's {sorted(_TORCH_OPTIONS)}")
    if fn is None:
        return lambda f: compile(f, explain=explain, cache_size=cache_size, fuse=fuse, **options)
    if options.get("disable") or (hasattr(fn, "parameters") and hasattr(fn, "forward")):
        return fn
    if not callable(fn):
        raise GlassnetTypeError(f"compile: expected a function, got {type(fn).__name__}")
    return CompiledFunction(fn, explain=explain, cache_size=cache_size, fuse=fuse)


class CompiledFunction:
    """What :func:`compile` returns: call it as the function. ``log`` lists what happened
    (captures, replays refused and why); ``tape`` is the last tape used; ``explain()``
    renders it; ``replay_eagerly(*args)`` runs one real step eagerly and renders its numbers."""

    def __init__(self, fn, explain=False, cache_size=8, fuse="auto"):
        if int(cache_size) < 1:
            raise GlassnetTypeError(f"compile: cache_size must be at least 1, got {cache_size}")
        self.fn, self.verbose, self.cache_size = fn, bool(explain), int(cache_size)
        self.fuse, self._kernels = check_fuse(fuse), None
        self.log = []
        self.tape = None
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__wrapped__ = fn
        self._cache = OrderedDict()  # signature → Tape
        self._stale = {}  # signature → re-captures for a changed branch

    def __call__(self, *args, **kwargs):
        arrays = []
        structure = None if kwargs else _tensors_signature(args, arrays)
        if structure is None:
            structure = _signature((args, kwargs), arrays, [])
        signature = (structure, _aliases(arrays), grad_mode.enabled, tier())
        tape = self._cache.get(signature)
        if tape is None:
            return self._capture(signature, args, kwargs, arrays)
        self._cache.move_to_end(signature)
        self.tape = tape
        if tape.refusal is not None:
            return self.fn(*args, **kwargs)
        try:
            return tape.replay(arrays, _wrap)
        except StaleBranch as exc:
            return self._recapture(signature, args, kwargs, arrays, str(exc))

    @property
    def kernels(self):
        """The fused kernels a replay runs (:mod:`._fused`), chosen at the first capture that
        lowers a tape: numba is imported then, not when the function is compiled."""
        if self._kernels is None:
            self._kernels = fused_kernels(self.fuse)
        return self._kernels

    def _capture(self, signature, args, kwargs, arrays):
        if self._cache:
            self._say(f"new signature ({_shapes(arrays)}): capturing")
        tape = Tape()
        with _capture_lock, Recorder(tape) as rec:
            for array in arrays:
                rec.input_slot(array)
            result = self.fn(*args, **kwargs)
            tape.output = _template(rec, result, tape)
        _check_inputs_used(tape, arrays)
        if len(self._cache) >= self.cache_size:
            dropped, _ = self._cache.popitem(last=False)
            self._say(f"cache full ({self.cache_size} signatures): dropped the least recently used")
        self._cache[signature] = self.tape = tape
        if tape.refusal is not None:
            self._say(f"runs eagerly: {tape.refusal}")
        else:
            lower(tape, self.kernels)
            self._say(f"captured {len(tape.runs)} steps ({_shapes(arrays)}); {_lowered(tape)}")
        return result

    def _recapture(self, signature, args, kwargs, arrays, why):
        count = self._stale[signature] = self._stale.get(signature, 0) + 1
        del self._cache[signature]
        if count > _MAX_STALE:
            tape = Tape()
            tape.refuse(f"a branch on tensor values changed {count} times ({why})")
            self._cache[signature] = self.tape = tape
            self._say(f"runs eagerly from now on: {tape.refusal}")
            return self.fn(*args, **kwargs)
        self._say(f"re-capturing: {why}")
        return self._capture(signature, args, kwargs, arrays)

    def _say(self, message):
        line = f"gn.compile({self.__name__}): {message}"
        self.log.append(line)
        if self.verbose:
            print(line, file=sys.stderr)

    def explain(self):
        """The last tape used, rendered: its steps grouped by phase, each primitive with its
        formula and how the replay runs it, then the fused groups (see
        :func:`glassnet.explain.compiled`)."""
        from glassnet.capture._render import render_tape

        return render_tape(self.tape, title=self.__name__)

    def replay_eagerly(self, *args, digits=4, **kwargs):
        """Run one step eagerly (for real: an optimiser step updates the parameters) and
        return its primitives with their numbers, in the order they ran."""
        from glassnet.capture._render import render_eager_run

        return render_eager_run(self.fn, args, kwargs, digits, title=self.__name__)

    def __repr__(self):
        return f"<compiled {self.__name__}: {len(self._cache)} signature(s) captured>"


def _wrap(array):
    return Tensor._wrap(array, False, None)


def _signature(value, arrays, specs):
    """A hashable key of ``value``'s structure (collecting its arrays into ``arrays``)."""
    if isinstance(value, Tensor):
        arrays.append(value.array)
        return ("T", value.array.shape, value.array.dtype.str, value._requires_grad)
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return ("A", value.shape, value.dtype.str)
    if isinstance(value, _SCALARS):
        return value
    if type(value) in (tuple, list):
        return (type(value).__name__, *[_signature(v, arrays, specs) for v in value])
    if type(value) is dict:
        return ("dict", *[(k, _signature(value[k], arrays, specs)) for k in sorted(value, key=repr)])
    return ("id", id(value), getattr(value, "training", None))


def _tensors_signature(args, arrays):
    """The key of a call whose arguments are all plain tensors (``step(x, y)``, the usual
    case, in short): each one's shape, dtype and ``requires_grad``; None for any other call
    (then :func:`_signature` walks the arguments). Collects the arrays into ``arrays``."""
    for a in args:
        if type(a) is not Tensor:
            return None
    arrays += [a.array for a in args]
    return ("tensors", *[(x.shape, x.dtype, a._requires_grad) for x, a in zip(arrays, args, strict=True)])


def _aliases(arrays):
    """Which arguments are the same array (a replay must see the same sharing): () when
    they are all different."""
    if len(arrays) < 2 or len({id(a) for a in arrays}) == len(arrays):
        return ()
    first = {}
    return tuple(first.setdefault(id(a), i) for i, a in enumerate(arrays))


def _lowered(tape):
    done = sum(1 for e in tape.entries if e.replay)
    return f"{done} run into preallocated arrays or fused ({tape.kernels}), {len(tape.groups)} fused groups"


def _shapes(arrays):
    return ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in arrays) or "no tensor arguments"


def _template(rec, value, tape):
    """How to rebuild the function's result from the slots (see ``_tape._rebuild``)."""
    if isinstance(value, Tensor):
        if value._ctx is not None and not rec.backward_ran:
            tape.refuse("the result carries a graph for a backward outside the function (compile the whole "
                        "training step — forward, backward, optimiser step — or run it under gn.no_grad())")
        return ("slot", rec.slot_for(value, "the result"))
    if type(value) in (tuple, list):
        return ("seq", type(value), [_template(rec, v, tape) for v in value])
    if type(value) is dict:
        keys = list(value)
        return ("dict", keys, [_template(rec, value[k], tape) for k in keys])
    return ("const", value)


def _check_inputs_used(tape, arrays):
    """An array argument that no step reads was copied outside the primitives (``gn.tensor``):
    a replay would keep the first call's copy."""
    read = {s for entry in tape.entries for s in entry.reads} | set(output_slots(tape.output))
    for i, (slot, array) in enumerate(zip(tape.inputs, arrays, strict=True)):
        if slot not in read:
            tape.refuse(f"argument array {i} {tuple(array.shape)} never reaches a recorded primitive "
                        "(copied by gn.tensor or read through .array?); pass tensors that the function uses "
                        "directly, or make them with gn.as_tensor / gn.from_numpy, which share the array")

