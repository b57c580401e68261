"""The primitive-op base class and its apply path.

A primitive is one subclass of :class:`Function` with ``forward`` (arrays in, array out)
and ``backward`` (the output's gradient in, one gradient per input out) side by side,
plus ``formula`` and ``grad_formulas`` strings that the docs and ``gn.explain`` read.
Backward may return gradients in the broadcast (output) shape: the engine reduces them
to each input's shape in one place (:func:`glassnet.autograd._engine.unbroadcast`).
"""

import numpy as np

from glassnet._errors import GlassnetError, GlassnetValueError, ShapeError
from glassnet.autograd._ctx_function import apply_ctx_style, backward_ctx_style
from glassnet.autograd._dispatch import active_kernels
from glassnet.autograd._hooks import notify
from glassnet.autograd._inplace import live_versions, version_of
from glassnet.autograd._mode import grad_mode, state
from glassnet.autograd._tensor import Tensor

__all__ = ["AccumulateGrad", "Function", "OpName", "broadcast_message"]

_ndarray = np.ndarray
_wrap = Tensor._wrap
_kernels = active_kernels()  # filled by glassnet.kernels; empty under the reference tier


class Function:
    """Base class of every differentiable primitive.

    Subclasses define ``forward(self, *arrays, **params) -> array`` and
    ``backward(self, grad) -> tuple of arrays (or None for inputs needing no gradient)``:
    the *reference* implementation, written to be checked line by line against
    ``formula`` and ``grad_formulas``. ``self.needs_grad[i]`` tells backward which
    gradients anyone wants. A faster implementation of the same primitive lives in
    :mod:`glassnet.kernels`; when one applies, ``self.kernel`` names it and it runs in
    place of forward and backward (``gn.kernels.use("reference")`` turns them off).

    For ``backward(create_graph=True)`` an op either defines
    ``differentiable_backward(self, g, out)`` — its gradients written with Tensor ops, ``g``
    and ``out`` (its output) Tensors — or sets ``linear = True``; otherwise its gradient is
    first order only (see :mod:`glassnet.autograd._graph_mode`).
    """

    formula = ""
    grad_formulas = ()
    inputs = ()
    needs_grad = ()
    kernel = None
    differentiable_backward = None  # (g, out) -> input gradients as Tensors, for create_graph=True
    linear = False  # linear in its inputs: create_graph=True differentiates its backward generically
    multilinear = 0  # linear in each of its first k inputs (the rest added terms): likewise
    jvp = None  # (slot, v) -> J·v where backward is linear in g with routing fixed in forward (max pool)
    composed = None  # (*input tensors, **params) -> the output recomputed with Tensor ops
    versions = None  # the inputs' in-place versions when recorded, if any had been changed
    output_modified = False  # the output was changed in place after this op made it
    released = False  # backward ran and retain_graph was not asked for

    _ctx_style = False  # forward/backward are PyTorch-style static methods (see _ctx_function)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._ctx_style = isinstance(cls.__dict__.get("forward"), staticmethod)
        if cls._ctx_style:
            cls.run_backward = backward_ctx_style

    @property
    def name(self):
        return OpName(type(self).__name__.lower())

    @property
    def next_functions(self):
        """PyTorch's view of the graph: ``(op that made input i, 0)`` per input — an
        :class:`AccumulateGrad` for a leaf that requires grad, None for one that does not."""
        return tuple((t._ctx if t._ctx is not None else (AccumulateGrad(t) if t.requires_grad else None), 0)
                     for t in self.inputs)

    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' arrays and, if any input needs a gradient, link
        the output to this op for backward."""
        if cls._ctx_style:
            return apply_ctx_style(cls, inputs, params)
        op = cls()
        op.params = params
        try:
            n = len(inputs)
            if cls.__name__ in _kernels:
                out = op._run_kernel(inputs, params)
                needs = tuple([t._requires_grad for t in inputs])
                requires = True in needs
            elif n == 2:
                a, b = inputs
                out = op.forward(a.array, b.array, **params)
                needs = (a._requires_grad, b._requires_grad)
                requires = needs[0] or needs[1]
            elif n == 1:
                a = inputs[0]
                out = op.forward(a.array, **params)
                requires = a._requires_grad
                needs = (requires,)
            else:
                out = op.forward(*[t.array for t in inputs], **params)
                needs = tuple([t._requires_grad for t in inputs])
                requires = True in needs
        except ValueError as exc:
            if isinstance(exc, GlassnetError):
                raise
            raise op.shape_error(inputs, exc) from exc
        if type(out) is not _ndarray and isinstance(out, np.generic):
            out = np.asarray(out)  # NumPy turns 0-d results into scalars
        if requires and grad_mode.enabled:
            op.inputs = inputs
            op.needs_grad = needs
            if live_versions:  # some array was changed in place: note the versions backward must see
                op.versions = tuple([version_of(t) for t in inputs])
            result = _wrap(out, True, op)
        else:
            result = _wrap(out, False, None)
        if state.slow_path:
            notify(op, "forward", inputs, result, None, None)
        return result

    def _run_kernel(self, inputs, params):
        """Forward through the first enabled kernel that applies, else the reference."""
        arrays = [t.array for t in inputs]
        for kernel in _kernels[type(self).__name__]:
            if kernel.applies(*arrays, **params):
                self.kernel = kernel
                return kernel.forward(self, *arrays, **params)
        return self.forward(*arrays, **params)

    def run_backward(self, grad):
        """The gradients of this op's inputs: its kernel's backward if a kernel ran the
        forward, else the reference ``backward``."""
        kernel = self.kernel
        return self.backward(grad) if kernel is None else kernel.backward(self, grad)

    def shape_error(self, inputs, exc):
        """The error raised when forward rejects its inputs' shapes (override to teach)."""
        shapes = " and ".join(str(tuple(t.shape)) for t in inputs)
        detail = str(exc).split("\n")[0]
        if "broadcast" in detail:
            return ShapeError(broadcast_message(self.name, [t.shape for t in inputs]))
        return GlassnetValueError(f"{self.name}: inputs of shapes {shapes} rejected: {detail}")

    def __repr__(self):
        return f"<{type(self).__name__} {self.formula}>"


class OpName(str):
    """An op's name: compares as the plain string (``"mul"``); called, it gives
    PyTorch's style (``grad_fn.name()`` → ``"MulBackward"``)."""

    def __call__(self):
        return f"{self[:1].upper()}{self[1:]}Backward"


class AccumulateGrad:
    """Stands for a leaf in ``next_functions``: its gradient accumulates into ``.grad``."""

    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


def broadcast_message(op_name, shapes):
    """Explain why ``shapes`` do not broadcast, naming the first clashing dimension."""
    shown = " and ".join(str(tuple(s)) for s in shapes)
    ndim = max(len(s) for s in shapes)
    for k in range(1, ndim + 1):
        sizes = {s[-k] for s in shapes if len(s) >= k} - {1}
        if len(sizes) > 1:
            pretty = " vs ".join(str(n) for n in sorted(sizes))
            return (
                f"{op_name}: shapes {shown} cannot broadcast — compared from the right, "
                f"dimension -{k} has sizes {pretty}; each pair must be equal or one of them 1 "
                "(reshape or unsqueeze one operand to fit)"
            )
    return f"{op_name}: shapes {shown} cannot broadcast"
