"""Models by name, for the command line: ``build_model("mlp", in_features=40, ...)``."""

from glassnet._errors import GlassnetValueError
from glassnet.models._cnn import build_cnn
from glassnet.models._gpt import GPT
from glassnet.models._mlp import MLP, LogisticRegression
from glassnet.models._recurrent import RNNClassifier

__all__ = ["MODELS", "build_model"]

MODELS = {
    "logreg": "softmax (logistic) regression: one Linear layer",
    "mlp": "multi-layer perceptron: Linear + ReLU layers (--hidden sets the widths)",
    "gru": "GRU over the signal as a sequence (--hidden 128 = one layer of 128; 64,64 = two)",
    "lstm": "LSTM over the signal as a sequence (--hidden as for gru)",
    "rnn": "Elman (tanh) RNN over the signal as a sequence (--hidden as for gru)",
    "cnn": "convolutional network: a 1-D CNN for signals (mnist1d), a 2-D CNN for images (digits)",
    "gpt": "a small GPT over tokens: in_features = context length, num_classes = vocabulary, "
           "--hidden 128,128 = two pre-norm blocks of width 128 (4 heads)",
}


def build_model(kind, in_features, num_classes, hidden=(100, 100), dropout=0.0, input_shape=None,
                num_heads=None):
    """Build a model of ``kind`` for inputs with ``in_features`` features (``input_shape``,
    one sample's shape, picks the 1-D or 2-D CNN for ``cnn``). For ``gpt``: a context of
    ``in_features`` tokens from a vocabulary of ``num_classes``, one block per entry of
    ``hidden`` (all one width), ``num_heads`` heads (default 4, or 1 if 4 does not divide it)."""
    if kind == "cnn":
        return build_cnn(input_shape if input_shape is not None else (in_features,), num_classes)
    if kind == "logreg":
        return LogisticRegression(in_features, num_classes)
    if kind == "mlp":
        return MLP(in_features, hidden, num_classes, dropout=dropout)
    if kind in ("gru", "lstm", "rnn"):
        if len(set(hidden)) != 1:
            raise GlassnetValueError(f"--hidden for {kind}: stacked layers share one width "
                                     f"(e.g. 64,64), got {','.join(map(str, hidden))}")
        return RNNClassifier(kind, 1, hidden[0], len(hidden), num_classes, dropout=dropout)
    if kind == "gpt":
        return _gpt(in_features, num_classes, hidden, dropout, num_heads)
    raise GlassnetValueError(f"unknown model {kind!r}; choose from {sorted(MODELS)}")


def _gpt(context_length, vocab_size, hidden, dropout, num_heads):
    if len(set(hidden)) != 1:
        raise GlassnetValueError(f"--hidden for gpt: the blocks share one width (e.g. 128,128), "
                                 f"got {','.join(map(str, hidden))}")
    width = hidden[0]
    heads = num_heads if num_heads is not None else (4 if width % 4 == 0 else 1)
    return GPT(vocab_size, context_length, width, heads, len(hidden), dropout=dropout)
