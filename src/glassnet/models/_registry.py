"""Models by name, for the command line: ``build_model("mlp", in_features=40, ...)``."""

from glassnet._errors import GlassnetValueError
from glassnet.models._mlp import MLP, LogisticRegression

__all__ = ["MODELS", "build_model"]

MODELS = {
    "logreg": "softmax (logistic) regression: one Linear layer",
    "mlp": "multi-layer perceptron: Linear + ReLU layers (--hidden sets the widths)",
}


def build_model(kind, in_features, num_classes, hidden=(100, 100), dropout=0.0):
    """Build a model of ``kind`` for inputs with ``in_features`` features."""
    if kind == "logreg":
        return LogisticRegression(in_features, num_classes)
    if kind == "mlp":
        return MLP(in_features, hidden, num_classes, dropout=dropout)
    raise GlassnetValueError(f"unknown model {kind!r}; choose from {sorted(MODELS)}")
