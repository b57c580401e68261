"""The profiler's recording: a tree of timed ranges, and the hooks that open and close them.

While a :class:`Session` records, :meth:`Function.apply` and each op's ``run_backward`` are
swapped (through :class:`~glassnet.autograd._patches.Patches`) for versions that time them;
layers above autograd add their own ranges (optimiser steps, module calls) through
:func:`register_hooks`. :meth:`Session.stop` puts every original back, so with no profiler
recording, an op call runs exactly the code it runs without one.

A range's ``start``/``end`` are ``time.perf_counter_ns()`` readings; its ``own_bytes`` the
bytes of the new arrays the op returned (``profile_memory``).
"""

import os
import threading
import time

from glassnet._errors import GlassnetError
from glassnet.autograd._function import Function
from glassnet.autograd._patches import Patches, with_subclasses

__all__ = ["Range", "Session", "active", "ranged", "register_hooks"]

_PROVIDERS = []  # fn(session, patches): the hooks of a layer above autograd
_active = [None]  # the session recording now, if any


def register_hooks(install):
    """Have every session call ``install(session, patches)`` when it starts — the one
    recording now too (a subpackage first imported inside a profile still gets its ranges)."""
    if install not in _PROVIDERS:
        _PROVIDERS.append(install)
        if _active[0] is not None:
            install(_active[0], _active[0]._patches)


def active():
    """The session recording now, or None."""
    return _active[0]


def ranged(session, original, label, kind):
    """``original`` (a method) wrapped so that, while ``session`` records, each call is a range
    named ``label(self)`` of ``kind``; once the session stopped (a caller kept the wrapper) it
    is ``original`` again."""
    def call(self, *args, **kwargs):
        if active() is not session:
            return original(self, *args, **kwargs)
        r = session.open(label(self), kind)
        try:
            return original(self, *args, **kwargs)
        finally:
            session.close(r)
    return call


class Range:
    """One timed range: an op's forward or backward, or a named user range."""

    __slots__ = ("name", "kind", "start", "end", "parent", "shapes", "own_bytes", "thread", "stack", "flops")

    def __init__(self, name, kind, parent, thread, shapes, stack):
        self.name, self.kind, self.parent, self.thread = name, kind, parent, thread
        self.shapes, self.stack = shapes, stack
        self.own_bytes = 0
        self.flops = 0
        self.end = None
        self.start = time.perf_counter_ns()


class Session:
    """The ranges recorded between :meth:`start` and :meth:`stop`, as a forest per thread."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False):
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_flops, self.with_modules = with_stack, with_flops, with_modules
        self.ranges = []  # every range, in the order opened
        self._open = threading.local()
        self._patches = Patches()
        self.started = self.stopped = None

    # -- ranges ---------------------------------------------------------------------------
    def open(self, name, kind="cpu_op", shapes=None):
        """Start a range nested in this thread's innermost open one."""
        stack = self._stack()
        parent = stack[-1] if stack else None
        where = _user_stack() if self.with_stack else None
        r = Range(name, kind, parent, threading.get_ident(), shapes, where)
        stack.append(r)
        self.ranges.append(r)
        return r

    def close(self, r):
        """End ``r``. Ranges opened inside it and still open stay open (a step's range may end
        inside a user's range): the events are parented by what contains them in time."""
        if r.end is not None:
            return
        r.end = time.perf_counter_ns()
        stack = self._stack()
        if stack and stack[-1] is r:
            stack.pop()
        elif r in stack:
            stack.remove(r)

    def innermost_name(self):
        """The name of this thread's innermost open range (None when none is open)."""
        stack = self._stack()
        return stack[-1].name if stack else None

    def _stack(self):
        stack = getattr(self._open, "stack", None)
        if stack is None:
            stack = self._open.stack = []
        return stack

    # -- start / stop ---------------------------------------------------------------------
    def start(self):
        if _active[0] is not None:
            raise GlassnetError("profiler: another profiler is already recording in this process; stop it "
                                "first (profilers do not nest)")
        _active[0] = self
        self.started = time.perf_counter_ns()
        _install_op_hooks(self, self._patches)
        for install in _PROVIDERS:
            install(self, self._patches)

    def stop(self):
        self._patches.undo()
        if _active[0] is self:
            _active[0] = None
        self.stopped = time.perf_counter_ns()
        for r in self.ranges:
            if r.end is None:
                r.end = self.stopped

    @property
    def hooked(self):
        """How many attributes this session has swapped in (0 once stopped)."""
        return len(self._patches)


def _install_op_hooks(session, patches):
    """Time every primitive's forward (``Function.apply``) and backward (``run_backward``)."""
    original_apply = Function.__dict__["apply"].__func__

    def apply(cls, *inputs, **params):
        if _active[0] is not session:  # kept by someone after this session stopped
            return original_apply(cls, *inputs, **params)
        shapes = [_shape(t) for t in inputs] if session.record_shapes else None
        r = session.open(_forward_name(cls), "cpu_op", shapes)
        try:
            result = original_apply(cls, *inputs, **params)
        finally:
            session.close(r)
        if session.profile_memory:
            r.own_bytes = _new_bytes(result)
        if session.with_flops:
            r.flops = _flops(cls, [_shape(t) for t in inputs])
        return result
    patches.patch(Function, "apply", classmethod(apply))
    for cls in with_subclasses(Function):
        if "run_backward" in cls.__dict__:
            patches.patch(cls, "run_backward", _timed_backward(session, cls.__dict__["run_backward"]))


def _timed_backward(session, original):
    def run_backward(self, grad):
        if _active[0] is not session:
            return original(self, grad)
        shapes = [_shape(grad)] if session.record_shapes else None
        r = session.open(_backward_name(self), "cpu_op", shapes)
        try:
            grads = original(self, grad)
        finally:
            session.close(r)
        if session.profile_memory:
            r.own_bytes = _new_bytes(grads)
        return grads
    return run_backward


_NAMES = {}


def _forward_name(cls):
    """glassnet's op name: the primitive's class name, lower case (``linearop``, ``relu``);
    a PyTorch-style ``autograd.Function`` keeps its class name as written."""
    name = _NAMES.get(cls)
    if name is None:
        name = _NAMES[cls] = cls.__name__ if cls._ctx_style else cls.__name__.lower()
    return name


def _backward_name(op):
    """``grad_fn.name()``'s form: ``LinearopBackward``; a ctx-style Function: ``MyFnBackward``."""
    if op._ctx_style:
        return f"{type(op).__name__}Backward"
    name = op.name
    return name() if callable(name) else f"{name}Backward"


def _shape(value):
    shape = getattr(value, "shape", None)
    return [] if shape is None else [int(n) for n in shape]


def _new_bytes(value):
    """Bytes of the arrays in ``value`` (a Tensor, an array, or a tuple of them) that own
    their memory: views of existing arrays cost nothing."""
    if isinstance(value, tuple | list):
        return sum(_new_bytes(v) for v in value)
    array = getattr(value, "array", value)
    flags = getattr(array, "flags", None)
    if flags is None or not getattr(flags, "owndata", False):
        return 0
    return int(array.nbytes)


def _flops(cls, shapes):
    """Multiply-adds × 2 of a matrix product (``matmul``, ``linearop``); 0 for other ops."""
    name = cls.__name__.lower()
    if name not in ("matmul", "linearop", "mm", "bmm", "addmm") or len(shapes) < 2:
        return 0
    a, b = shapes[0], shapes[1]
    if len(a) < 1 or len(b) < 1:
        return 0
    rows = 1
    for n in a[:-1]:
        rows *= n
    inner = a[-1]
    cols = b[-2] if name == "linearop" and len(b) == 2 else b[-1]
    return 2 * rows * inner * cols


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_stack():
    """The calling frames outside glassnet, innermost first, as ``file(line): function``."""
    import traceback

    frames = [f for f in traceback.extract_stack() if not os.path.abspath(f.filename).startswith(_PACKAGE)]
    return [f"{f.filename}({f.lineno}): {f.name}" for f in reversed(frames)]
