"""Backward that records a graph of its own (``create_graph=True``): gradients of gradients.

In the ordinary backward every op turns its output's gradient (an array) into its inputs'
gradients (arrays). With ``create_graph=True`` the gradients are Tensors and each op's
backward is computed *with Tensor ops*, so the gradients carry a graph and can be
differentiated again — the gradient penalty ``‖∂D/∂x‖``, a Hessian-vector product, the
second derivative of ``x³``. An op gives its Tensor-valued backward in one of three ways:

- ``differentiable_backward(g, out)`` — its ``grad_formulas`` written with Tensor ops
  (``Mul``: ``dx = g·y``, ``dy = g·x``), where ``out`` is the op's output tensor;
- ``multilinear = k`` — the op is linear in each of its first ``k`` inputs separately
  (``x·y``, matmul, convolution, einsum), any further inputs being added terms (a bias):
  :class:`MultilinearBackward` differentiates the array backward by running the op again
  with one input replaced;
- ``jvp(slot, v)`` — the op's backward is linear in ``g`` with a routing fixed in forward
  (max pooling sends each dy to its window's winner): as for a linear op, with ``J·v``
  from ``jvp`` (differentiable once: third derivatives through it raise);
- ``linear = True`` — the op is linear in its inputs (sum, reshape, indexing, concatenation,
  ``+``): its backward ``dxᵢ = Jᵢᵀ·g`` is linear in ``g``, so :class:`LinearBackward` runs the
  op's own array backward forward, and its gradient is ``Jᵢ·v = f(0, …, v, …, 0)``: the op
  itself applied to ``v`` — differentiable again to any order;
- ``composed(*inputs, **params)`` — the op's output recomputed with Tensor ops (a recurrent
  scan as its loop of cells): the gradients are those of that composition, taken with a
  graph (slower than the fused backward, and only used with ``create_graph``);
- otherwise :class:`FirstOrderOnly`: the first derivative is exact (the array backward),
  and a second backward that reaches it raises an error naming the op.
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetError
from glassnet.autograd._function import Function, OpName
from glassnet.autograd._mode import enable_grad, no_grad
from glassnet.autograd._tensor import Tensor

__all__ = ["FirstOrderOnly", "LinearBackward", "MultilinearBackward", "tensor_backward", "unbroadcast_tensor"]


def tensor_backward(op, out, grad):
    """The gradients of ``op``'s inputs as Tensors with a graph (None where unwanted).

    ``out``: the op's output tensor; ``grad``: the Tensor gradient reaching it."""
    grads = NotImplemented
    if op.differentiable_backward is not None:
        grads = op.differentiable_backward(grad, out)  # NotImplemented: not for these inputs
    elif getattr(op, "_ctx_style", False) and op.layout is None:
        grads = _ctx_style_backward(op, grad)
    elif op.composed is not None:
        grads = _composed_backward(op, grad)
    if grads is NotImplemented:
        arrays = op.run_backward(grad.array)
        cls = (LinearBackward if op.linear or op.jvp is not None
               else MultilinearBackward if op.multilinear else FirstOrderOnly)
        grads = tuple(None if a is None else cls.wrap(op, i, a, grad)
                      for i, a in enumerate(arrays if type(arrays) is tuple else (arrays,)))
    return grads if type(grads) is tuple else (grads,)


def _composed_backward(op, grad):
    """The gradients of ``op.composed`` at the op's inputs, with a graph. The composition
    reads each input through a :class:`StandIn` node, so that each gradient is the partial
    derivative for that input alone (an input computed from another does not mix in)."""
    from glassnet.autograd._engine import run_backward  # the engine imports this module lazily

    stand_ins = [StandIn.apply(t) for t in op.inputs]
    out = op.composed(*stand_ins, **op.params)
    wanted = [s for s, needed in zip(stand_ins, op.needs_grad, strict=True) if needed]
    found = iter(run_backward([out], [grad], True, wanted, create_graph=True))
    return tuple(next(found) if needed else None for needed in op.needs_grad)


class StandIn(Function):
    """``y = x``: an input of a composed recomputation, read through its own node."""

    formula = "y = x"
    grad_formulas = ("dx = dy",)
    linear = True

    def forward(self, x):
        return x

    def backward(self, g):
        return g


def _ctx_style_backward(node, grad):
    """A PyTorch-style custom function's backward run with recording on, as PyTorch does
    with ``create_graph=True``: written with Tensor ops on its saved tensors, it is
    differentiable again."""
    with enable_grad():
        grads = type(node).backward(node.ctx, grad)
    grads = grads if isinstance(grads, tuple) else (grads,)
    return tuple(grads[slot] for slot in node.arg_slots)


class _BackwardNode(Function):
    """What both backward wrappers share: made by hand (not through ``apply``) from the
    array the op's backward returned, linked to the gradient and the op's inputs."""

    @classmethod
    def wrap(cls, op, slot, array, grad):
        node = cls()
        node.op, node.slot, node.params = op, slot, {}
        node.inputs = cls.depends_on(op, grad)
        node.needs_grad = tuple(t.requires_grad for t in node.inputs)
        return Tensor._wrap(array, any(node.needs_grad), node if any(node.needs_grad) else None)

    @property
    def name(self):
        return OpName(f"{self.op.name}backward")


class LinearBackward(_BackwardNode):
    """``dxᵢ = Jᵢᵀ·g`` for an op linear in its inputs; d/dg of ``⟨dxᵢ, v⟩`` is ``Jᵢ·v``:
    the op's forward with ``v`` in input slot ``i`` and zeros in the others. It does not
    depend on the op's inputs' values, so ``g`` is its only input."""

    @staticmethod
    def depends_on(op, grad):
        return (grad,)

    @property
    def formula(self):
        return f"dx{self.slot} = backward of {self.op.name} (linear in dz)"

    def _inputs_with(self, v, zeros):
        return [v if j == self.slot else zeros(t) for j, t in enumerate(self.op.inputs)]

    def backward(self, v):
        if self.op.jvp is not None:
            return (self.op.jvp(self.slot, v),)
        xp = namespace(v)
        fresh = type(self.op)()
        fresh.params = self.op.params
        arrays = self._inputs_with(v, lambda t: xp.zeros(t.shape, dtype=t.dtype))
        with no_grad():
            dg = fresh.forward(*arrays, **self.op.params)
        return (dg,)

    def differentiable_backward(self, v, out):
        if self.op.jvp is not None:  # J depends on where forward ran: differentiable once only
            return NotImplemented
        def zeros(t):
            return Tensor._wrap(namespace(t.array).zeros(t.shape, dtype=t.dtype), False, None)

        tensors = self._inputs_with(v, zeros)
        return (type(self.op).apply(*tensors, **self.op.params),)


class MultilinearBackward(_BackwardNode):
    """``dxᵢ = Bᵢ(g, x₋ᵢ)`` for an op linear in each of its first k inputs: linear in ``g``
    and in each other input. So, for a direction ``v`` on dxᵢ:

    - d/dg ⟨dxᵢ, v⟩ = Jᵢ·v = f(x₁, …, v, …, x_k) — the forward with ``v`` in slot i (added
      terms such as a bias left out);
    - d/dxⱼ ⟨dxᵢ, v⟩ = Bⱼ(g, x with xᵢ := v) — the op's own backward for slot j, run where
      slot i holds ``v``.

    A slot past k (a bias) has ``dx = Σ g``, linear in ``g`` alone: d/dg is the forward
    with zeros in the first k slots and ``v`` in that slot."""

    @staticmethod
    def depends_on(op, grad):
        return (grad, *op.inputs[:op.multilinear])

    @property
    def formula(self):
        return f"dx{self.slot} = backward of {self.op.name} (linear in dz and in each other input)"

    def _substituted(self, v):
        """The op's inputs (arrays) with ``v`` in this slot; added terms dropped, or for an
        added-term slot, zeros in the multilinear slots."""
        op, k = self.op, self.op.multilinear
        if self.slot >= k:
            xp = namespace(v)
            arrays = [xp.zeros(t.shape, dtype=t.dtype) for t in op.inputs]
            arrays[self.slot] = v
            return arrays
        return [v if j == self.slot else t.array for j, t in enumerate(op.inputs[:k])]

    def _fresh(self, arrays, wanted):
        """A new op of the same kind, forward run on ``arrays``, wanting gradients ``wanted``."""
        fresh = type(self.op)()
        fresh.params = self.op.params
        fresh.inputs = self.op.inputs[:len(arrays)]
        fresh.needs_grad = tuple(j in wanted for j in range(len(arrays)))
        with no_grad():
            out = fresh.forward(*arrays, **self.op.params)
        return fresh, out

    def backward(self, v):
        k = self.op.multilinear
        arrays = self._substituted(v)
        dg = self._fresh(arrays, ())[1]
        grads = [None] * k
        others = [j for j in range(k) if j != self.slot and self.needs_grad[1 + j]]
        if self.slot < k and others:
            fresh, _ = self._fresh(arrays, set(others))
            produced = fresh.backward(self.inputs[0].array)
            for j in others:
                grads[j] = produced[j]
        return (dg, *grads)


class FirstOrderOnly(_BackwardNode):
    """An input's gradient computed by an op's array backward: right as a value, but with
    no backward of its own — a second backward through it raises, naming the op."""

    @staticmethod
    def depends_on(op, grad):
        return (grad, *op.inputs)

    @property
    def formula(self):
        return f"dx{self.slot} = backward of {self.op.name} (first order only)"

    def backward(self, v):
        raise GlassnetError(
            f"backward: a gradient of a gradient reached the backward of {self.op.name}, which glassnet "
            f"computes with arrays only: create_graph=True differentiates the backward of elementwise math, "
            f"activations, matmul/linear, reductions, softmax and the shape and indexing ops, not of "
            f"{self.op.name}. Keep {self.op.name} out of the part of the model you differentiate twice, or "
            f"compute that derivative by finite differences (gn.testing.numerical_grad)")


def unbroadcast_tensor(grad, shape, op_name="op"):
    """:func:`~glassnet.autograd._engine.unbroadcast` with Tensor ops (so it records):
    sum the axes that broadcasting added or stretched."""
    shape = tuple(shape)
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(tuple(range(extra)))
    stretched = tuple(i for i, (g, s) in enumerate(zip(grad.shape, shape, strict=False)) if s == 1 and g != 1)
    if stretched:
        grad = grad.sum(stretched, keepdim=True)
    if tuple(grad.shape) != shape:
        raise GlassnetError(f"backward of {op_name}: gradient of shape {tuple(grad.shape)} does not fit its "
                            f"input of shape {shape} (an op's differentiable backward is wrong)")
    return grad
