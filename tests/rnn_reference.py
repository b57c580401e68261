"""NumPy and PyTorch references for the recurrent scan primitives (used by op_registry).

Each takes a layer-direction's input sequence x (T, N, I), its initial state(s) and
PyTorch's four parameters (w_ih, w_hh, b_ih, b_hh). The NumPy side writes the cell's
equations once more; the PyTorch side runs torch's own cells (``torch.gru_cell`` …)
step by step.
"""

import warnings

import numpy as np

__all__ = ["np_rnn_scan", "np_gru_scan", "np_lstm_scan", "np_lstm_proj_scan", "torch_rnn_scan",
           "torch_gru_scan", "torch_lstm_scan", "torch_lstm_proj_scan"]


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def np_rnn_scan(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh", reverse=False):
    hs, h = np.empty((len(x), *h0.shape)), h0
    for t in _order(len(x), reverse):
        a = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        h = hs[t] = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return hs


def np_gru_scan(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    H = h0.shape[-1]
    hs, h = np.empty((len(x), *h0.shape)), h0
    for t in _order(len(x), reverse):
        gi, gh = x[t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = _sig(gi[:, :H] + gh[:, :H])
        z = _sig(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        h = hs[t] = (1 - z) * n + z * h
    return hs


def np_lstm_scan(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    H = h0.shape[-1]
    out, h, c = np.empty((len(x) + 1, *h0.shape)), h0, c0
    for t in _order(len(x), reverse):
        a = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sig(a[:, 3 * H :])
        c = f * c + i * g
        h = out[t] = o * np.tanh(c)
    out[-1] = c
    return out


def np_lstm_proj_scan(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=False):
    """(T, N, P + H): each step's projected state h_t = (o ⊙ tanh c_t)·W_hrᵀ, then c_t."""
    H = c0.shape[-1]
    out, h, c = np.empty((len(x), len(h0), h0.shape[-1] + H)), h0, c0
    for t in _order(len(x), reverse):
        a = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sig(a[:, 3 * H :])
        c = f * c + i * g
        h = (o * np.tanh(c)) @ w_hr.T
        out[t] = np.concatenate([h, c], axis=1)
    return out


def _torch_loop(cell, x, states, weights, reverse):
    import torch

    outs = [None] * len(x)
    for t in _order(len(x), reverse):
        states = cell(x[t], states, *weights)
        outs[t] = states[0] if isinstance(states, tuple) else states
    return torch.stack(outs), states


def torch_rnn_scan(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh", reverse=False):
    import torch

    cell = torch.rnn_tanh_cell if nonlinearity == "tanh" else torch.rnn_relu_cell
    return _torch_loop(cell, x, h0, (w_ih, w_hh, b_ih, b_hh), reverse)[0]


def torch_gru_scan(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    import torch

    return _torch_loop(torch.gru_cell, x, h0, (w_ih, w_hh, b_ih, b_hh), reverse)[0]


def torch_lstm_scan(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    import torch

    hs, (_, c) = _torch_loop(torch.lstm_cell, x, (h0, c0), (w_ih, w_hh, b_ih, b_hh), reverse)
    return torch.cat([hs, c[None]])


def torch_lstm_proj_scan(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=False):
    """torch's own projected LSTM (``torch.lstm`` with flat weights w_ih, w_hh, b_ih, b_hh,
    w_hr), one step per call so that every step's cell state c_t is seen."""
    import torch

    outs, states = [None] * len(x), (h0[None], c0[None])
    for t in _order(len(x), reverse):
        with warnings.catch_warnings():  # torch's note that oneDNN does not run its float32 projected LSTM
            warnings.filterwarnings("ignore", "LSTM with projections is not supported with oneDNN")
            _, h, c = torch.lstm(x[t : t + 1], states, (w_ih, w_hh, b_ih, b_hh, w_hr), True, 1, 0.0, False,
                                 False, False)
        states, outs[t] = (h, c), torch.cat([h[0], c[0]], dim=1)
    return torch.stack(outs)
