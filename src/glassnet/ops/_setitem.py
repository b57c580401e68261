"""Writing into part of a tensor: ``y = x`` with ``y[index] = v`` (what ``x[index] = v`` records).

``Tensor.__setitem__`` writes into the tensor's memory; when gradients are recorded it
also records this primitive, so the gradient flows to ``x`` everywhere except the
written positions, and to ``v`` from exactly those positions.
"""

import math

from glassnet._backend import namespace
from glassnet._errors import GlassnetIndexError, ShapeError
from glassnet.autograd._function import Function
from glassnet.ops._shape import _plain_index

__all__ = ["SetItem", "setitem"]


class SetItem(Function):
    """``y = x`` except ``y[index] = v`` (``v`` broadcast to the indexed block)."""

    formula = "y = x;  y[index] = v"
    grad_formulas = ("dx = dy with zeros at index", "dv = dy[index]  (summed over what v was broadcast to)")

    linear = True  # create_graph: its backward is differentiated generically

    def forward(self, x, v, index):
        y = x.copy()
        block = y[index].shape
        self.squeezed = v.shape != block and v.ndim > len(block) and v.size == math.prod(block)
        y[index] = v.reshape(block) if self.squeezed else v  # PyTorch also fits (1,) into ()
        return y

    def backward(self, g):
        index = self.params["index"]
        dx = dv = None
        if self.needs_grad[0]:
            dx = g.copy()
            dx[index] = 0
        if self.needs_grad[1]:
            dv = namespace(g).ascontiguousarray(g[index])
            if self.squeezed:
                dv = dv.reshape(self.inputs[1].shape)
        return dx, dv

    def shape_error(self, inputs, exc):
        x, v = (tuple(t.shape) for t in inputs)
        return ShapeError(f"setitem: a value of shape {v} cannot be written into the block of a tensor of "
                          f"shape {x} that the index selects: {exc}")


def setitem(x, index, value):
    """A new tensor equal to ``x`` with ``value`` written at ``index`` (differentiable in
    both). ``value`` is a tensor of ``x``'s dtype (cast by the caller)."""
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(_plain_index(i) for i in items)
    plain = items if isinstance(index, tuple) else items[0]
    try:
        return SetItem.apply(x, value, index=plain)
    except IndexError as exc:
        raise GlassnetIndexError(f"setitem: {exc} (tensor shape {tuple(x.shape)})") from exc
