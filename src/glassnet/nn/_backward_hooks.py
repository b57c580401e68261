"""Module backward hooks (PyTorch's ``register_full_backward_hook`` and
``register_full_backward_pre_hook``), built on tensor hooks.

Before ``forward``, each tensor input that requires grad passes through an identity
(``clone``), and after it each output does too; the gradients arriving at those copies
are exactly the module's ``grad_input`` (∂L/∂ its inputs through this call only) and
``grad_output``. Pre-hooks run when every output's gradient has arrived and may return a
new ``grad_output``; hooks run when every input's gradient has arrived (or, when no input
requires grad, with the output gradients) and may return a new ``grad_input``.
"""

import warnings

from glassnet._errors import GlassnetValueError
from glassnet.autograd._mode import is_grad_enabled
from glassnet.autograd._tensor import Tensor
from glassnet.ops import clone

__all__ = ["BackwardCapture"]


def _tracked(value):
    return isinstance(value, Tensor) and value.requires_grad


class BackwardCapture:
    """One call's gradients on their way to the module's backward hooks."""

    def __init__(self, module, args):
        self.module = module
        self.active = is_grad_enabled()
        self.grad_input = [None] * len(args)
        self.waiting_inputs = set()
        self.grad_output, self.waiting_outputs = [], set()
        self.called = False
        self.args = tuple(self._wrap_input(i, a) for i, a in enumerate(args))

    def _wrap_input(self, index, value):
        if not (self.active and _tracked(value)):
            return value
        copy = clone(value)
        self.waiting_inputs.add(index)
        copy.register_hook(lambda grad, i=index: self._input_arrived(i, grad))
        return copy

    def wrap_outputs(self, out):
        """``out`` with each output that requires grad passed through an identity."""
        if not self.active:
            return out
        outputs = out if isinstance(out, tuple) else (out,)
        self.grad_output = [None] * len(outputs)
        wrapped = tuple(self._wrap_output(i, o) for i, o in enumerate(outputs))
        return wrapped if isinstance(out, tuple) else wrapped[0]

    def _wrap_output(self, index, value):
        if not _tracked(value):
            return value
        copy = clone(value)
        self.waiting_outputs.add(index)
        copy.register_hook(lambda grad, i=index: self._output_arrived(i, grad))
        return copy

    def _output_arrived(self, index, grad):
        self.grad_output[index] = grad
        self.waiting_outputs.discard(index)
        if self.waiting_outputs:
            return None
        for hook in list(self.module._backward_pre_hooks.values()):
            result = hook(self.module, tuple(self.grad_output))
            if result is not None:
                self.grad_output = list(result if isinstance(result, tuple) else (result,))
        if not self.waiting_inputs:
            if self.module._backward_hooks and not any(g is not None for g in self.grad_input):
                warnings.warn(f"{type(self.module).__name__}: the full backward hook fires with the output "
                              "gradients, since no input requires grad (its grad_input is all None; PyTorch "
                              "warns likewise)", UserWarning, stacklevel=2)
            self._call_hooks()
        return self.grad_output[index]

    def _input_arrived(self, index, grad):
        self.grad_input[index] = grad
        self.waiting_inputs.discard(index)
        if self.waiting_inputs:
            return None
        result = self._call_hooks()
        if result is None:
            return None
        tracked = [i for i, g in enumerate(self.grad_input) if g is not None]
        if len(tracked) > 1:
            raise GlassnetValueError(
                f"{type(self.module).__name__}: a full backward hook returned a new grad_input for a module "
                f"with {len(tracked)} inputs that require grad; glassnet can replace it only for one such "
                "input (register_hook on the inputs themselves replaces each one)")
        return result[index]

    def _call_hooks(self):
        if self.called:
            return None
        self.called = True
        replaced = None
        for hook in list(self.module._backward_hooks.values()):
            current = tuple(self.grad_input) if replaced is None else replaced
            result = hook(self.module, current, tuple(self.grad_output))
            if result is not None:
                replaced = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        return replaced
