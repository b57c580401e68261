"""The slots through which a custom function's several outputs reach its one graph node.

The engine gives each node one output tensor, and gradients meet at a tensor by
summing arrays of its shape. So a node with outputs ``y₀ (shape s₀), y₁ (s₁), …`` gets
one packed output ``P`` of ``Σ size(sᵢ)`` elements — a zero-stride view of one zero
(it is never read, only its shape and dtype are) — and each ``yᵢ`` is the output of an
:class:`OutputPart` of ``P``: its value is the custom forward's own array, and its
backward puts ``∂L/∂yᵢ`` in slot ``i`` of a zero array shaped like ``P``. The engine sums
the slots at ``P`` and hands the sum to the node, which cuts it back into one gradient
per output (``_ctx_function._unpacked``). An output whose slot never ran gets zeros
(or None without ``materialize_grads``).
"""

import numpy as np

from glassnet._backend import namespace
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor

__all__ = ["OutputPart", "link_parts"]


class Layout:
    """Where each differentiable output sits in the packed gradient."""

    def __init__(self, outputs, slots):
        self.outputs = outputs  # every forward output, in order
        self.slots = slots  # output index → (start, stop) in the packed gradient
        self.received = set()  # output indices whose gradient arrived in this backward


class OutputPart(Function):
    """``yᵢ`` = the custom forward's output ``i``, linked to the packed node output ``P``."""

    formula = "yᵢ = output i of a custom function (its slot in the node's packed output)"
    grad_formulas = ("∂L/∂P[slot i] = ∂L/∂yᵢ (zeros elsewhere)",)

    def forward(self, packed, value, index, start, stop, layout):
        self.index, self.start, self.stop, self.layout = index, start, stop, layout
        self.size = packed.shape[0]
        return value

    def backward(self, grad):
        full = namespace(grad).zeros(self.size, dtype=np.result_type(grad.dtype, self.inputs[0].dtype))
        full[self.start:self.stop] = grad.reshape(-1)
        self.layout.received.add(self.index)
        return full, None

    @property
    def name(self):
        node = self.inputs[0]._ctx
        return node.name if node is not None else super().name


def link_parts(node, outs, slots):
    """The outputs to return: differentiable ones linked to ``node`` through their parts."""
    bounds, start = {}, 0
    for i in slots:
        bounds[i] = (start, start + outs[i].numel())
        start += outs[i].numel()
    dtype = np.result_type(*[outs[i].dtype for i in slots])
    xp = namespace(outs[slots[0]].array)
    packed = Tensor._wrap(xp.broadcast_to(xp.zeros((), dtype=dtype), (start,)), True, node)
    node.layout = layout = Layout(outs, bounds)
    results = list(outs)
    for i in slots:
        value = Tensor._wrap(outs[i].array, False, None)
        results[i] = OutputPart.apply(packed, value, index=i, start=bounds[i][0], stop=bounds[i][1],
                                      layout=layout)
    return tuple(results)
