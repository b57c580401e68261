"""Ready-made classifiers: logistic regression and the multi-layer perceptron."""

from glassnet._errors import GlassnetValueError
from glassnet.nn._activation import GELU, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh
from glassnet.nn._containers import Sequential
from glassnet.nn._linear import Flatten, Linear

__all__ = ["MLP", "LogisticRegression", "ACTIVATIONS"]

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "gelu": GELU,
               "leaky_relu": LeakyReLU}


class LogisticRegression(Sequential):
    """Softmax regression: ``Flatten → Linear(in, classes)``; train with cross-entropy."""

    def __init__(self, in_features, num_classes):
        super().__init__(Flatten(), Linear(in_features, num_classes))
        self.config = {"kind": "logreg", "in_features": in_features, "num_classes": num_classes}


class MLP(Sequential):
    """``Flatten → [Linear → activation (→ Dropout)] × len(hidden) → Linear``.

    A Sequential, so state-dict keys are PyTorch's (``1.weight``, ``3.weight``, …).
    """

    def __init__(self, in_features, hidden=(100, 100), num_classes=10, activation="relu",
                 dropout=0.0):
        if activation not in ACTIVATIONS:
            raise GlassnetValueError(
                f"MLP: unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}"
            )
        layers, width = [Flatten()], in_features
        for size in hidden:
            layers += [Linear(width, size), ACTIVATIONS[activation]()]
            if dropout:
                layers.append(Dropout(dropout))
            width = size
        layers.append(Linear(width, num_classes))
        super().__init__(*layers)
        self.config = {"kind": "mlp", "in_features": in_features, "hidden": list(hidden),
                       "num_classes": num_classes, "activation": activation, "dropout": dropout}
