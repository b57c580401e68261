"""A recurrent classifier: a signal read as a sequence, its last hidden state → Linear."""

from glassnet import ops
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn._linear import Linear
from glassnet.nn._module import Module
from glassnet.nn._recurrent import GRU, LSTM, RNN

__all__ = ["RNNClassifier"]

_CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class RNNClassifier(Module):
    """``input (N, L) or (N, L, F) → {RNN|LSTM|GRU}(batch_first) → h_n of the last layer →
    Linear(H, classes)``. A 2-D input (N, L) is read as L steps of one feature (MNIST-1D:
    40 steps). State-dict keys ``rnn.weight_ih_l0``, …, ``fc.weight``, ``fc.bias``.
    """

    def __init__(self, kind="gru", input_size=1, hidden_size=128, num_layers=1, num_classes=10,
                 dropout=0.0, bidirectional=False):
        super().__init__()
        if kind not in _CELLS:
            raise GlassnetValueError(f"RNNClassifier: kind must be one of {sorted(_CELLS)}, got {kind!r}")
        self.kind = kind
        self.rnn = _CELLS[kind](input_size, hidden_size, num_layers, batch_first=True,
                                dropout=dropout, bidirectional=bidirectional)
        directions = 2 if bidirectional else 1
        self.fc = Linear(hidden_size * directions, num_classes)
        self.config = {"kind": kind, "input_size": input_size, "hidden_size": hidden_size,
                       "num_layers": num_layers, "num_classes": num_classes, "dropout": dropout,
                       "bidirectional": bidirectional}

    def forward(self, x):
        if x.ndim == 2 and self.rnn.input_size == 1:
            x = x.unsqueeze(-1)  # (N, L) → (N, L, 1)
        if x.ndim != 3:
            raise ShapeError(
                f"RNNClassifier({self.kind}): expected (N, L) signals or (N, L, "
                f"{self.rnn.input_size}) sequences, got {tuple(x.shape)}"
            )
        _, h_n = self.rnn(x)
        if self.kind == "lstm":
            h_n = h_n[0]
        last = ops.cat([h_n[-2], h_n[-1]], dim=-1) if self.rnn.bidirectional else h_n[-1]
        return self.fc(last)
