"""Recurrent layers RNN, LSTM, GRU with PyTorch's signatures, parameter names and layouts.

For each layer k and direction (suffix ``_reverse`` for the backward one):

- ``weight_ih_l{k}`` (G·H, input) and ``bias_ih_l{k}`` (G·H,): the input projection of
  ALL time steps in one GEMM, ``GI = X·W_ihᵀ + b_ih`` with X (T·N, input);
- ``weight_hh_l{k}`` (G·H, H) and ``bias_hh_l{k}`` (G·H,): one GEMM per time step for all
  gates, ``h_{t-1}·W_hhᵀ + b_hh``.

Both happen inside one scan primitive per layer-direction (``rnn_scan``, ``gru_scan``,
``lstm_scan`` in :mod:`glassnet.ops._recurrent`), which takes these parameters as they are.

G = 1 (RNN), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n with PyTorch's reset
placement ``n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))``). All weights start as
``U(-1/√H, 1/√H)``. Input (T, N, input) — or (N, T, input) with ``batch_first`` — or one
unbatched sequence (T, input); output (T, N, D·H) with D = 2 if bidirectional, and the
final states h_n (and c_n) of shape (D·num_layers, N, H).

An LSTM with ``proj_size = P`` (0 < P < H) projects each step's ``o ⊙ tanh(c_t)`` to the
state ``h_t = W_hr·(o ⊙ tanh(c_t))``: one more parameter ``weight_hr_l{k}`` (P, H) after the
biases, ``weight_hh`` (4H, P), the layer above reads D·P features, h (and the output) has P
features, c keeps H. Its layer-directions run ``lstm_proj_scan``.
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
from glassnet.nn.utils.rnn import PackedSequence, pad_packed_sequence
from glassnet.ops._recurrent import gru_scan, lstm_proj_scan, lstm_scan, rnn_scan

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """Shared parameters, checks and the layer/direction loop of RNN, LSTM and GRU.

    ``mode`` is PyTorch's: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, dtype=None):
        super().__init__()
        name = type(self).__name__
        if mode not in _GATES:
            raise GlassnetValueError(f"{name}: mode must be one of {sorted(_GATES)}, got {mode!r}")
        self.mode = mode
        if hidden_size <= 0 or num_layers <= 0 or input_size <= 0:
            raise GlassnetValueError(
                f"{name}: input_size, hidden_size and num_layers must be positive, got "
                f"{input_size}, {hidden_size}, {num_layers}"
            )
        if not 0 <= dropout <= 1:
            raise GlassnetValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.bias, self.batch_first = int(num_layers), bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.proj_size = _check_proj_size(name, mode, proj_size, self.hidden_size)
        dtype = np.dtype(dtype or get_default_dtype())
        gates, out = _GATES[self.mode] * self.hidden_size, self.state_size
        for layer in range(self.num_layers):
            width = self.input_size if layer == 0 else out * self.directions
            for suffix in self._suffixes(layer):
                setattr(self, f"weight_ih_{suffix}", Parameter(np.empty((gates, width), dtype)))
                setattr(self, f"weight_hh_{suffix}", Parameter(np.empty((gates, out), dtype)))
                if self.bias:
                    setattr(self, f"bias_ih_{suffix}", Parameter(np.empty(gates, dtype)))
                    setattr(self, f"bias_hh_{suffix}", Parameter(np.empty(gates, dtype)))
                if self.proj_size:
                    setattr(self, f"weight_hr_{suffix}", Parameter(np.empty((out, self.hidden_size), dtype)))
        self.reset_parameters()

    @property
    def state_size(self):
        """The size of h (and of each direction's output): proj_size if set, else hidden_size."""
        return self.proj_size or self.hidden_size

    @property
    def directions(self):
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer):
        return [f"l{layer}", f"l{layer}_reverse"][: self.directions]

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, suffix):
        # getattr, not __dict__: a parametrized weight (orthogonal weight_hh) is a class property
        return tuple(getattr(self, f"{kind}_{suffix}", None)
                     for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))

    # -- forward ---------------------------------------------------------------------
    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        batched = self._check_input(input)
        x = input if batched else input.unsqueeze(1)
        if self.batch_first and batched:
            x = x.swapaxes(0, 1)  # (T, N, input)
        states = self._initial_states(hx, x, batched)
        x, finals = self._run_layers(x, states)
        if self.batch_first and batched:
            x = x.swapaxes(0, 1)
        return self._package(x, finals, batched)

    def _forward_packed(self, packed, hx):
        """A packed batch: the sequences of each length run together for exactly that many
        steps (so final states and the reverse direction start at each one's own end), and
        the outputs are packed like the input; hx and the final states are in the original
        batch order, as PyTorch's."""
        self._check_input(packed.data.unsqueeze(1))
        padded, lengths = pad_packed_sequence(packed)  # (T, N, input), original order
        states = self._initial_states(hx, padded, True)
        lengths = lengths.numpy()
        output = finals = None
        for length in np.unique(lengths):
            members = np.flatnonzero(lengths == length)
            out, ends = self._run_layers(padded[:int(length), members], [s[:, members] for s in states])
            if output is None:
                output = _zeros(padded, (padded.shape[0], padded.shape[1], out.shape[-1]))
                finals = [_zeros(padded, (len(ends), padded.shape[1], e.shape[-1])) for e in ends[0]]
            output = ops.setitem(output, (slice(0, int(length)), members), out)
            finals = [ops.setitem(f, (slice(None), members), ops.stack([e[i] for e in ends]))
                      for i, f in enumerate(finals)]
        steps, columns = packed._positions()
        order = columns if packed.sorted_indices is None else packed.sorted_indices.numpy()[columns]
        output = packed._replace(data=output[steps, order])
        return (output, tuple(finals)) if self.mode == "LSTM" else (output, finals[0])

    def _run_layers(self, x, states):
        """Every layer and direction over x (T, N, input) from ``states`` ([h0] or [h0, c0],
        each (D·layers, N, H)): the last layer's output and each layer-direction's final
        state(s)."""
        finals = []
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                x = F.dropout(x, self.dropout, True)
            outs = []
            for d, suffix in enumerate(self._suffixes(layer)):
                k = layer * self.directions + d
                seq, final = self._run_direction(x, [s[k] for s in states], suffix, reverse=d == 1)
                outs.append(seq)
                finals.append(final)
            x = outs[0] if len(outs) == 1 else ops.cat(outs, dim=-1)
        return x, finals

    def _run_direction(self, x, state, suffix, reverse):
        """One layer in one direction: the scan primitive projects every step's input in one
        GEMM, then runs the time loop (one GEMM per step for all gates)."""
        w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(suffix)
        last = 0 if reverse else x.shape[0] - 1
        if w_hr is not None:
            P = w_hr.shape[0]  # out: each step's h_t (P), then its c_t
            out = lstm_proj_scan(x, state[0], state[1], w_ih, w_hh, b_ih, b_hh, w_hr, reverse=reverse)
            return out[..., :P], (out[last, :, :P], out[last, :, P:])
        if self.mode == "LSTM":
            out = lstm_scan(x, state[0], state[1], w_ih, w_hh, b_ih, b_hh, reverse=reverse)
            return out[:-1], (out[last], out[-1])
        if self.mode == "GRU":
            hs = gru_scan(x, state[0], w_ih, w_hh, b_ih, b_hh, reverse=reverse)
        else:
            act = "tanh" if self.mode == "RNN_TANH" else "relu"
            hs = rnn_scan(x, state[0], w_ih, w_hh, b_ih, b_hh, nonlinearity=act, reverse=reverse)
        return hs, (hs[last],)

    def _package(self, output, finals, batched):
        stacked = [ops.stack([f[i] for f in finals]) for i in range(len(finals[0]))]
        if not batched:
            output = output.squeeze(1)
            stacked = [s.squeeze(1) for s in stacked]
        if self.mode == "LSTM":
            return output, (stacked[0], stacked[1])
        return output, stacked[0]

    # -- checks ----------------------------------------------------------------------
    def _expected(self):
        order = "(N, L, {})" if self.batch_first else "(L, N, {})"
        return order.format(self.input_size)

    def _check_input(self, input):
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise ShapeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            hint = ""
            if input.ndim == 2 and self.input_size == 1:
                hint = (" (a 2-D input is ONE unbatched sequence (L, input_size); for a batch "
                        "of sequences of scalars use x.unsqueeze(-1))")
            raise ShapeError(
                f"{name}(input_size={self.input_size}, hidden_size={self.hidden_size}): "
                f"expected input {self._expected()} or unbatched (L, {self.input_size}), got "
                f"{tuple(input.shape)}{hint}"
            )
        if input.dtype.kind != "f":
            raise ShapeError(f"{name}: input must be floating point, got {input.dtype}")
        return input.ndim == 3

    def _initial_states(self, hx, x, batched):
        """A list of (D·layers, N, ·) tensors: [h0] or [h0, c0] (zeros when hx is None); h0
        has proj_size features when the LSTM projects, else hidden_size, as c0 always."""
        n_states = 2 if self.mode == "LSTM" else 1
        sizes = [("proj_size" if self.proj_size else "hidden_size", self.state_size),
                 ("hidden_size", self.hidden_size)][:n_states]
        shapes = [(self.num_layers * self.directions, x.shape[1], size) for _, size in sizes]
        if hx is None:
            return [Tensor._wrap(namespace(x.array).zeros(s, x.dtype), False, None) for s in shapes]
        given = list(hx) if n_states == 2 else [hx]
        if n_states == 2 and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ShapeError(f"{type(self).__name__}: hx must be a tuple (h_0, c_0)")
        for label, state, shape, (size_name, _) in zip(("h_0", "c_0"), given, shapes, sizes, strict=False):
            want = shape if batched else (shape[0], shape[2])
            if tuple(state.shape) != want:
                raise ShapeError(
                    f"{type(self).__name__}: {label} must have shape (num_layers·directions, N, "
                    f"{size_name}) = {want}, got {tuple(state.shape)}"
                )
        return given if batched else [s.unsqueeze(1) for s in given]

    def extra_repr(self):
        parts = [f"{self.input_size}, {self.hidden_size}"]
        if self.proj_size:
            parts.append(f"proj_size={self.proj_size}")
        if self.num_layers != 1:
            parts.append(f"num_layers={self.num_layers}")
        for key, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                             ("bidirectional", False)):
            if getattr(self, key) != default:
                parts.append(f"{key}={getattr(self, key)}")
        return ", ".join(parts)


def _check_proj_size(name, mode, proj_size, hidden_size):
    """proj_size as PyTorch allows it: 0 (no projection), or 0 < P < hidden_size for an LSTM."""
    if isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer)) or proj_size < 0:
        raise GlassnetValueError(f"{name}: proj_size must be a non-negative integer (0 disables the "
                                 f"projection), got {proj_size!r}")
    if proj_size and mode != "LSTM":
        raise GlassnetValueError(f"{name}: proj_size is only supported for LSTM, not RNN or GRU "
                                 f"(got proj_size={proj_size} with mode {mode!r})")
    if proj_size >= hidden_size:
        raise GlassnetValueError(f"{name}: proj_size must be smaller than hidden_size, got proj_size="
                                 f"{proj_size} with hidden_size={hidden_size}")
    return int(proj_size)


def _zeros(like, shape):
    return Tensor._wrap(namespace(like.array).zeros(shape, dtype=like.dtype), False, None)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh)`` (or relu).

    Returns ``(output, h_n)``: output (T, N, D·H), h_n (D·num_layers, N, H).

    Args:
        input_size: the number of features of each step's input ``x_t``.
        hidden_size: the number of features of the hidden state ``h``.
        num_layers: recurrent layers stacked, each reading the one below (default 1).
        bias: whether to use the biases ``b_ih`` and ``b_hh`` (default True).
        batch_first: inputs and outputs are ``(N, L, ·)`` instead of ``(L, N, ·)``.
        dropout: dropout on the outputs of every layer but the last (training only).
        bidirectional: also run the sequence backwards (``D = 2``; ``…_reverse`` weights).
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        dtype: the parameters' dtype (default: glassnet's default dtype).

    Shape:
        input ``(L, N, input_size)`` (``(N, L, input_size)`` with ``batch_first``, or one
        unbatched sequence ``(L, input_size)``), optional ``h_0 (D·num_layers, N, H)`` →
        output ``(L, N, D·H)`` and ``h_n (D·num_layers, N, H)``.

    Example:
        >>> import glassnet as gn
        >>> rnn = gn.nn.RNN(10, 20)
        >>> output, h_n = rnn(gn.randn(5, 3, 10))
        >>> output.shape, h_n.shape
        ((5, 3, 20), (1, 3, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise GlassnetValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        extra = "" if self.nonlinearity == "tanh" else ", nonlinearity='relu'"
        return super().extra_repr() + extra


class LSTM(RNNBase):
    """LSTM with gates i, f, g, o (rows of ``weight_ih`` in that order):
    ``c_t = f ⊙ c_{t-1} + i ⊙ g``, ``h_t = o ⊙ tanh(c_t)`` — or, with ``proj_size = P``,
    ``h_t = W_hr·(o ⊙ tanh(c_t))`` (P features; arXiv:1402.1128).

    Returns ``(output, (h_n, c_n))``; ``hx = (h_0, c_0)`` each (D·num_layers, N, H), h_0
    and h_n (D·num_layers, N, P) with a projection.

    Args:
        input_size: the number of features of each step's input ``x_t``.
        hidden_size: the number of features of the hidden state ``h``.
        num_layers: recurrent layers stacked, each reading the one below (default 1).
        bias: whether to use the biases ``b_ih`` and ``b_hh`` (default True).
        batch_first: inputs and outputs are ``(N, L, ·)`` instead of ``(L, N, ·)``.
        dropout: dropout on the outputs of every layer but the last (training only).
        bidirectional: also run the sequence backwards (``D = 2``; ``…_reverse`` weights).
        proj_size: P > 0 (P < hidden_size) projects h to P features with ``weight_hr_l{k}``
            (P, H); 0 (default): no projection.
        dtype: the parameters' dtype (default: glassnet's default dtype).

    Shape:
        input ``(L, N, input_size)`` (``(N, L, input_size)`` with ``batch_first``) →
        output ``(L, N, D·H)``, ``h_n`` and ``c_n`` ``(D·num_layers, N, H)``;
        ``weight_ih_l0`` is ``(4·H, input_size)``, the gate blocks i, f, g, o stacked.
        With ``proj_size = P``: output ``(L, N, D·P)``, ``h_n (D·num_layers, N, P)``,
        ``weight_hh_l0`` ``(4·H, P)``, ``weight_hr_l0`` ``(P, H)``.

    Example:
        >>> import glassnet as gn
        >>> lstm = gn.nn.LSTM(10, 20, num_layers=2, batch_first=True)
        >>> output, (h_n, c_n) = lstm(gn.randn(3, 5, 10))
        >>> output.shape, h_n.shape, c_n.shape
        ((3, 5, 20), (2, 3, 20), (2, 3, 20))
        >>> lstm.weight_ih_l0.shape
        (80, 10)
        >>> proj = gn.nn.LSTM(10, 20, proj_size=5)
        >>> output, (h_n, c_n) = proj(gn.randn(7, 3, 10))
        >>> output.shape, h_n.shape, c_n.shape, proj.weight_hr_l0.shape
        ((7, 3, 5), (1, 3, 5), (1, 3, 20), (5, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, dtype)


class GRU(RNNBase):
    """GRU with gates r, z, n: ``n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))``,
    ``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``. Fewer matrices than an LSTM (3 gate blocks, no
    cell state). Returns ``(output, h_n)``.

    Args:
        input_size: the number of features of each step's input ``x_t``.
        hidden_size: the number of features of the hidden state ``h``.
        num_layers: recurrent layers stacked, each reading the one below (default 1).
        bias: whether to use the biases ``b_ih`` and ``b_hh`` (default True).
        batch_first: inputs and outputs are ``(N, L, ·)`` instead of ``(L, N, ·)``.
        dropout: dropout on the outputs of every layer but the last (training only).
        bidirectional: also run the sequence backwards (``D = 2``; ``…_reverse`` weights).
        dtype: the parameters' dtype (default: glassnet's default dtype).

    Shape:
        input ``(L, N, input_size)`` (``(N, L, input_size)`` with ``batch_first``) →
        output ``(L, N, D·H)`` and ``h_n (D·num_layers, N, H)``; ``weight_ih_l0`` is
        ``(3·H, input_size)``, the gate blocks r, z, n stacked.

    Example:
        >>> import glassnet as gn
        >>> gru = gn.nn.GRU(10, 20, batch_first=True)
        >>> output, h_n = gru(gn.randn(3, 5, 10))
        >>> output.shape, h_n.shape, gru.weight_ih_l0.shape
        ((3, 5, 20), (1, 3, 20), (60, 10))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype=dtype)
