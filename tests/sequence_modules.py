"""Module-registry entries for the sequence layers (RNN, LSTM, GRU, cells, Embedding).

The contract suite feeds one float batch and expects one tensor back, so the recurrent
layers are wrapped to return their output sequence (their final states are tested against
PyTorch in test_recurrent.py), LSTMCell to return h + c, and Embedding to look up fixed,
repeated indices and scale them by the input. Each glassnet wrapper is a subclass of the
layer, so its state-dict keys are PyTorch's; the torch wrapper subclasses torch's layer.
"""

import warnings

import numpy as np

import glassnet as gn
import glassnet.nn as nn
from glassnet.models import RNNClassifier

__all__ = ["sequence_specs"]

_IDX = np.array([1, 1, 0, 3])


def _outputs_only(base, quiet=None):
    """The layer returning its output sequence; ``quiet``: a warning message to ignore in forward."""

    class OutputOnly(base):
        def forward(self, x):
            with warnings.catch_warnings():
                if quiet:
                    warnings.filterwarnings("ignore", quiet)
                return super().forward(x)[0]

    return OutputOnly


def _cell_from_input(base, lstm=False):
    """A cell (input_size = hidden_size) whose initial state is made from the input, so
    that weight_hh gets a gradient; an LSTMCell returns h + c."""

    class StateFromInput(base):
        def forward(self, x):
            if not lstm:
                return super().forward(x, x * 0.5)
            h, c = super().forward(x, (x * 0.5, x * -0.3))
            return h + c

    return StateFromInput


def _scaled_lookup(base, to_index):
    class ScaledLookup(base):
        def forward(self, x):
            return super().forward(to_index(_IDX[: x.shape[0]])) * x

    return ScaledLookup


# torch's note (once per process, float32) that its oneDNN path does not run a projected LSTM
_NO_ONEDNN = "LSTM with projections is not supported with oneDNN"


def _torch_seq(kind, *args, **kwargs):
    return lambda t: _outputs_only(getattr(t.nn, kind), _NO_ONEDNN)(*args, **kwargs)


def sequence_specs(spec):
    """ModuleSpec entries (``spec`` is the registry's dataclass)."""
    return [
        spec("RNN-2layer-batch_first", lambda: _outputs_only(nn.RNN)(3, 4, 2, batch_first=True),
             (5, 3), _torch_seq("RNN", 3, 4, 2, batch_first=True)),
        spec("RNN-relu-bidirectional",
             lambda: _outputs_only(nn.RNN)(3, 4, nonlinearity="relu", bidirectional=True),
             (5, 3), _torch_seq("RNN", 3, 4, nonlinearity="relu", bidirectional=True)),
        spec("LSTM-2layer-bidirectional",
             lambda: _outputs_only(nn.LSTM)(3, 4, 2, bidirectional=True, batch_first=True),
             (5, 3), _torch_seq("LSTM", 3, 4, 2, bidirectional=True, batch_first=True)),
        spec("LSTM-proj-2layer-bidirectional",
             lambda: _outputs_only(nn.LSTM)(3, 4, 2, bidirectional=True, proj_size=2), (5, 3),
             _torch_seq("LSTM", 3, 4, 2, bidirectional=True, proj_size=2)),
        spec("GRU-2layer-bidirectional",
             lambda: _outputs_only(nn.GRU)(3, 4, 2, bidirectional=True), (5, 3),
             _torch_seq("GRU", 3, 4, 2, bidirectional=True)),
        spec("GRU-nobias", lambda: _outputs_only(nn.GRU)(3, 4, bias=False, batch_first=True),
             (5, 3), _torch_seq("GRU", 3, 4, bias=False, batch_first=True)),
        spec("RNNBase-gru", lambda: _outputs_only(nn.RNNBase)("GRU", 3, 4, batch_first=True),
             (5, 3), _torch_seq("GRU", 3, 4, batch_first=True)),
        spec("RNNCell", lambda: _cell_from_input(nn.RNNCell)(4, 4), (4,),
             lambda t: _cell_from_input(t.nn.RNNCell)(4, 4)),
        spec("RNNCell-relu", lambda: _cell_from_input(nn.RNNCell)(4, 4, nonlinearity="relu"),
             (4,), lambda t: _cell_from_input(t.nn.RNNCell)(4, 4, nonlinearity="relu")),
        spec("GRUCell", lambda: _cell_from_input(nn.GRUCell)(4, 4), (4,),
             lambda t: _cell_from_input(t.nn.GRUCell)(4, 4)),
        spec("LSTMCell", lambda: _cell_from_input(nn.LSTMCell, lstm=True)(4, 4), (4,),
             lambda t: _cell_from_input(t.nn.LSTMCell, lstm=True)(4, 4)),
        spec("Embedding", lambda: _scaled_lookup(nn.Embedding, gn.tensor)(4, 3), (3,),
             lambda t: _scaled_lookup(t.nn.Embedding, t.tensor)(4, 3)),
        spec("Embedding-padding",
             lambda: _scaled_lookup(nn.Embedding, gn.tensor)(4, 3, padding_idx=3), (3,),
             lambda t: _scaled_lookup(t.nn.Embedding, t.tensor)(4, 3, padding_idx=3)),
        spec("RNNClassifier-gru", lambda: RNNClassifier("gru", 1, 5, 2, 3), (6,)),
        spec("RNNClassifier-lstm-bidirectional",
             lambda: RNNClassifier("lstm", 2, 4, 1, 3, bidirectional=True), (6, 2)),
    ]
