"""One time step of a recurrent network: RNNCell, LSTMCell, GRUCell.

Composed from primitives (autograd does the backward): all gates of the step come from two
GEMMs, ``x·W_ihᵀ + b_ih`` and ``h·W_hhᵀ + b_hh``, and basic slices cut out each gate.
Parameters ``weight_ih`` (G·H, input), ``weight_hh`` (G·H, H), ``bias_ih``, ``bias_hh``
(G·H,) as PyTorch, initialised ``U(-1/√H, 1/√H)``. Input (N, input) or (input,).
"""

import math

import numpy as np

from glassnet import ops
from glassnet._backend import get_default_dtype, namespace
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.nn import functional as F
from glassnet.nn import init
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["RNNCell", "LSTMCell", "GRUCell"]


class _CellBase(Module):
    gates = 1

    def __init__(self, input_size, hidden_size, bias=True, dtype=None):
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise GlassnetValueError(
                f"{type(self).__name__}: input_size and hidden_size must be positive, got "
                f"{input_size}, {hidden_size}"
            )
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        dtype = np.dtype(dtype or get_default_dtype())
        g = self.gates * self.hidden_size
        self.weight_ih = Parameter(np.empty((g, self.input_size), dtype))
        self.weight_hh = Parameter(np.empty((g, self.hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(g, dtype))
            self.bias_hh = Parameter(np.empty(g, dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _prepare(self, input, states):
        """Check shapes; lift an unbatched step to a batch of one; zeros for missing states."""
        name = f"{type(self).__name__}({self.input_size}, {self.hidden_size})"
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: expected input (N, {self.input_size}) or ({self.input_size},), got "
                f"{tuple(input.shape)}"
            )
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        want = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        out = []
        for s in states:
            if s is None:
                s = Tensor._wrap(namespace(x.array).zeros((x.shape[0], self.hidden_size), x.dtype),
                                 False, None)
            elif tuple(s.shape) != want:
                raise ShapeError(f"{name}: hidden state must have shape {want}, got {tuple(s.shape)}")
            elif not batched:
                s = s.unsqueeze(0)
            out.append(s)
        return x, out, batched

    def _gates(self, x, h):
        return (F.linear(x, self.weight_ih, self.bias_ih),
                F.linear(h, self.weight_hh, self.bias_hh))

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """``h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)`` (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise GlassnetValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        gi, gh = self._gates(x, h)
        act = ops.tanh if self.nonlinearity == "tanh" else ops.relu
        h = act(gi + gh)
        return h if batched else h.squeeze(0)


class LSTMCell(_CellBase):
    """Gates i, f, g, o: ``c' = f ⊙ c + i ⊙ g``, ``h' = o ⊙ tanh(c')``; returns (h', c')."""

    gates = 4

    def forward(self, input, hx=None):
        hx = (None, None) if hx is None else hx
        x, (h, c), batched = self._prepare(input, list(hx))
        gi, gh = self._gates(x, h)
        a = gi + gh
        H = self.hidden_size
        i, f = ops.sigmoid(a[:, :H]), ops.sigmoid(a[:, H : 2 * H])
        g, o = ops.tanh(a[:, 2 * H : 3 * H]), ops.sigmoid(a[:, 3 * H :])
        c = f * c + i * g
        h = o * ops.tanh(c)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    """Gates r, z, n with the reset gate inside: ``n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))``,
    ``h' = (1 - z) ⊙ n + z ⊙ h``."""

    gates = 3

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        gi, gh = self._gates(x, h)
        H = self.hidden_size
        rz = ops.sigmoid(gi[:, : 2 * H] + gh[:, : 2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n = ops.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        h = n + z * (h - n)
        return h if batched else h.squeeze(0)
