"""NumPy and PyTorch references for the recurrent scan primitives (used by op_registry).

The PyTorch side runs torch's own cells (``torch.gru_cell`` …) with ``W_ih = I`` and
``b_ih = 0``, so that their input projection is the precomputed gates unchanged.
"""

import numpy as np

__all__ = ["np_rnn_scan", "np_gru_scan", "np_lstm_scan", "torch_rnn_scan", "torch_gru_scan",
           "torch_lstm_scan"]


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def np_rnn_scan(gi, h0, w, b, nonlinearity="tanh", reverse=False):
    hs, h = np.empty_like(gi), h0
    for t in _order(len(gi), reverse):
        a = gi[t] + h @ w.T + b
        h = hs[t] = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return hs


def np_gru_scan(gi, h0, w, b, reverse=False):
    H = h0.shape[-1]
    hs, h = np.empty((len(gi), *h0.shape)), h0
    for t in _order(len(gi), reverse):
        gh = h @ w.T + b
        r = _sig(gi[t, :, :H] + gh[:, :H])
        z = _sig(gi[t, :, H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(gi[t, :, 2 * H :] + r * gh[:, 2 * H :])
        h = hs[t] = (1 - z) * n + z * h
    return hs


def np_lstm_scan(gi, h0, c0, w, b, reverse=False):
    H = h0.shape[-1]
    out, h, c = np.empty((len(gi) + 1, *h0.shape)), h0, c0
    for t in _order(len(gi), reverse):
        a = gi[t] + h @ w.T + b
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sig(a[:, 3 * H :])
        c = f * c + i * g
        h = out[t] = o * np.tanh(c)
    out[-1] = c
    return out


def _torch_loop(cell, gi, states, w, b, reverse):
    import torch

    eye, zero = torch.eye(gi.shape[-1], dtype=gi.dtype), torch.zeros(gi.shape[-1], dtype=gi.dtype)
    outs = [None] * len(gi)
    for t in _order(len(gi), reverse):
        states = cell(gi[t], states, eye, w, zero, b)
        outs[t] = states[0] if isinstance(states, tuple) else states
    return torch.stack(outs), states


def torch_rnn_scan(gi, h0, w, b, nonlinearity="tanh", reverse=False):
    import torch

    cell = torch.rnn_tanh_cell if nonlinearity == "tanh" else torch.rnn_relu_cell
    return _torch_loop(cell, gi, h0, w, b, reverse)[0]


def torch_gru_scan(gi, h0, w, b, reverse=False):
    import torch

    return _torch_loop(torch.gru_cell, gi, h0, w, b, reverse)[0]


def torch_lstm_scan(gi, h0, c0, w, b, reverse=False):
    import torch

    hs, (_, c) = _torch_loop(torch.lstm_cell, gi, (h0, c0), w, b, reverse)
    return torch.cat([hs, c[None]])
