"""The recording versions of Tensor and optimiser methods, swapped in for one capture.

See :mod:`glassnet.capture._record` for what each one records; :func:`install` swaps them
in through :meth:`Recorder.patch`, which the recorder undoes when the capture ends.
"""

import sys
from functools import partial

import numpy as np

from glassnet.autograd._inplace import InPlaceMethods
from glassnet.autograd._mode import grad_mode
from glassnet.autograd._patches import with_subclasses
from glassnet.autograd._tensor import Tensor
from glassnet.capture._record import as_bool, as_int
from glassnet.capture._tape import Entry, call_run

__all__ = ["install"]

# Functions that make constant tensors from Python numbers or from shapes alone (the shape
# is guarded): a replay may reuse what they made.
_BENIGN_MAKERS = {"as_tensor_like", "_scalar_like", "_nowhere", "zeros", "ones", "full", "eye", "arange",
                  "linspace", "logspace", "empty", "zeros_like", "ones_like", "full_like", "empty_like"}


def install(rec):
    """Swap in every recording method for the capture ``rec``."""
    _install_backward(rec)
    _install_conversions(rec)
    _install_wrap(rec)
    _install_compare(rec)
    _install_grad(rec)
    _install_inplace(rec)
    _install_steps(rec)


def _install_backward(rec):
    from glassnet.capture._backward import record_backward

    original = Tensor.backward

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        if rec.opaque or create_graph or inputs is not None:
            if not rec.opaque:
                rec.tape.refuse("backward(inputs=…) or create_graph: the tape follows plain backward() only")
            return original(self, gradient, retain_graph, create_graph, inputs)
        return record_backward(rec, self, gradient, bool(retain_graph), original)
    rec.patch(Tensor, "backward", backward)


def _install_conversions(rec):
    def guarded(name, convert, what):
        original = getattr(Tensor, name)

        def method(self):
            rec.converting += 1
            try:
                value = original(self)
            finally:
                rec.converting -= 1
            rec.guard(self, value, convert, what)
            return value
        rec.patch(Tensor, name, method)

    guarded("__bool__", as_bool, "bool")
    guarded("__int__", as_int, "int")
    guarded("__index__", as_int, "index")
    for name, what in (("item", "item()"), ("__float__", "float(tensor)"), ("tolist", "tolist()"),
                       ("numpy", "numpy()"), ("__array__", "np.asarray(tensor)")):
        original = getattr(Tensor, name)

        def method(self, *args, _original=original, _what=what, **kwargs):
            if not rec.converting:
                rec.refuse_value(_what)
            return _original(self, *args, **kwargs)
        rec.patch(Tensor, name, method)


def _install_wrap(rec):
    original = Tensor.__dict__["_wrap"].__func__

    def wrap(cls, array, requires_grad, ctx):
        tensor = original(cls, array, requires_grad, ctx)
        if not rec.opaque and ctx is None and id(array) not in rec.slot_of:
            frame = sys._getframe(1)
            makers = {frame.f_code.co_name, getattr(frame.f_back, "f_code", frame.f_code).co_name}
            if not makers & _BENIGN_MAKERS:
                public = [name for name in (frame.f_code.co_name, *makers) if not name.startswith("_")]
                rec.untracked[id(array)] = (public or [frame.f_code.co_name])[0]
                rec.keep.append(array)  # its id must not be reused while the capture runs
        return tensor
    rec.patch(Tensor, "_wrap", classmethod(wrap))


def _install_compare(rec):
    """Comparisons (``x > 0``) make their tensor outside the primitives (nothing to
    differentiate): recorded here as a step, so that a branch on one can be guarded."""
    import glassnet.ops as ops
    from glassnet.ops._convert import _COMPARISONS, pair

    original = ops.compare

    def compare(a, b, how):
        if rec.opaque:
            return original(a, b, how)
        a, b = pair(a, b)
        result = original(a, b, how)
        reads = (rec.slot_for(a, how), rec.slot_for(b, how))
        rec.untracked.pop(id(result.array), None)
        out = rec.new_slot(result.array)
        entry = Entry("compare", reads=reads, writes=(out,), note=f"x {how} y (elementwise)")
        rec.emit(partial(_compare_run, _COMPARISONS[how], reads, out), entry)
        return result
    rec.patch(ops, "compare", compare)


def _compare_run(fn, reads, out, env):
    env[out] = fn(env[reads[0]], env[reads[1]])


def _install_grad(rec):
    def get(self):
        return self.__dict__.get("grad")

    def set_grad(self, value):
        self.__dict__["grad"] = value
        if rec.opaque or rec.storing:
            return
        if value is None:
            rec.emit(call_run(partial(setattr, self, "grad", None)), Entry("grad", note="p.grad = None"))
            return
        slot = rec.slot_of.get(id(value.array))
        if slot is None or id(value.array) in rec.untracked:
            rec.tape.refuse("p.grad is set to a tensor the tape did not make (zero_grad(set_to_none=False)?)")
            return

        def run(env):
            self.grad = Tensor._wrap(env[slot], False, None)
        rec.emit(run, Entry("grad", reads=(slot,), note="p.grad = a step's array"))
    rec.patch(Tensor, "grad", property(get, set_grad))


def _install_inplace(rec):
    original_inplace, original_write = InPlaceMethods._inplace, InPlaceMethods._write
    original_setitem = InPlaceMethods.__setitem__

    def inplace(self, name, compute, *args):
        if not rec.opaque and grad_mode.enabled and (
                self._requires_grad or any(getattr(a, "_requires_grad", False) for a in args)):
            rec.tape.refuse(f"{name} changes a tensor in place while gradients are recorded; the tape "
                            "follows "
                            "in-place updates under no_grad only")
        return original_inplace(self, name, compute, *args)

    def write(self, values, name):
        original_write(self, values, name)
        if rec.opaque:
            return
        src = rec.slot_of.get(id(values))
        dest = rec.slot_for(self, name)
        if src is None:
            rec.tape.refuse(f"{name}: the new values come from outside the recorded primitives")
            return
        rec.emit(partial(_copy_run, dest, src), Entry("write", reads=(src,), writes=(dest,), note=name))

    def setitem(self, index, value):
        original_setitem(self, index, value)
        if rec.opaque:
            return
        items = index if isinstance(index, tuple) else (index,)
        if any(hasattr(i, "shape") for i in items) or grad_mode.enabled and (
                self._requires_grad or getattr(value, "_requires_grad", False)):
            rec.tape.refuse("x[index] = v with a tensor index or with gradients recorded: not followed by "
                            "the tape")
            return
        dest = rec.slot_for(self, "setitem")
        if hasattr(value, "_ctx"):
            src = rec.slot_for(value, "setitem")
            rec.emit(partial(_setitem_run, dest, index, src), Entry("write", reads=(src,), writes=(dest,),
                                                                    note=f"x[{index!r}] = v"))
        else:
            rec.emit(partial(_setitem_const_run, dest, index, value),
                     Entry("write", writes=(dest,), note=f"x[{index!r}] = {value!r}"))
    rec.patch(InPlaceMethods, "_inplace", inplace)
    rec.patch(InPlaceMethods, "_write", write)
    rec.patch(InPlaceMethods, "__setitem__", setitem)


def _copy_run(dest, src, env):
    np.copyto(env[dest], env[src], casting="same_kind")


def _setitem_run(dest, index, src, env):
    env[dest][index] = env[src]


def _setitem_const_run(dest, index, value, env):
    env[dest][index] = value


def _install_steps(rec):
    """Optimiser and scheduler ``step()``: run as is at replay, their insides not recorded."""
    from glassnet.nn._module import Module
    from glassnet.optim._optimizer import Optimizer
    from glassnet.optim._scheduler import LRScheduler

    methods = ((Optimizer, "step"), (LRScheduler, "step"), (Optimizer, "zero_grad"), (Module, "zero_grad"))
    for base, name in methods:
        for cls in with_subclasses(base):
            if name in cls.__dict__:
                rec.patch(cls, name, _recording_step(rec, cls.__dict__[name], name))


def _recording_step(rec, original, name):
    def step(self, *args, **kwargs):
        if rec.opaque:
            return original(self, *args, **kwargs)
        if name == "step" and any(a is not None for a in (*args, *kwargs.values())):
            rec.tape.refuse(f"{type(self).__name__}.step() with arguments (a closure, a metric): "
                            "the tape replays step() without them only")
            return original(self, *args, **kwargs)
        rec.opaque += 1
        try:
            result = original(self, *args, **kwargs)
        finally:
            rec.opaque -= 1
        kind = "update" if name == "step" else "grad"
        rec.emit(call_run(partial(original, self, *args, **kwargs)),
                 Entry(kind, op=self, note=f"{type(self).__name__}.{name}() run as is"))
        return result
    return step
