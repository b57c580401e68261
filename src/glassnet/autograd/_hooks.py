"""The observer hook: what subscribers of :class:`~glassnet.autograd.observe` receive.

Only reached while ``state.slow_path`` is true (an observer is subscribed or anomaly
detection is on).
"""

from typing import NamedTuple

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._mode import state

__all__ = ["OpEvent", "notify"]


class OpEvent(NamedTuple):
    """What an observer receives for each op applied.

    ``phase`` is ``"forward"`` or ``"backward"``; ``op`` the :class:`Function` instance
    (its ``name``, ``formula``, ``grad_formulas`` and ``params``); ``inputs`` the input
    tensors; ``output`` the output tensor; ``grad_output`` and ``grad_inputs`` the arrays
    flowing backward (``None`` in the forward phase).
    """

    phase: str
    op: object
    inputs: tuple
    output: object
    grad_output: object = None
    grad_inputs: tuple = None


def notify(op, phase, inputs, output, grad_output, grad_inputs):
    if state.anomaly:
        _check_finite(op, phase, output if phase == "forward" else None, grad_inputs, inputs)
    event = OpEvent(phase, op, inputs, output, grad_output, grad_inputs)
    for callback in list(state.observers):
        callback(event)


def _check_finite(op, phase, output, grad_inputs, inputs):
    arrays = [output.array] if phase == "forward" else [g for g in grad_inputs if g is not None]
    for arr in arrays:
        xp = namespace(arr)
        if arr.dtype.kind in "fc" and not bool(xp.isfinite(arr).all()):
            shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
            formula = op.formula if phase == "forward" else "; ".join(op.grad_formulas)
            raise GlassnetValueError(
                f"anomaly: {op.name} {phase} produced NaN or Inf "
                f"({formula}; input shapes {shapes})"
            )
