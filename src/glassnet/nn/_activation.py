"""Activation modules: thin wrappers over the primitives, plus Dropout."""

from glassnet.nn import functional as F
from glassnet.nn._module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax", "Dropout", "activate"]


def activate(x, fn, inplace, name):
    """``fn(x)``; with ``inplace=True`` the result is written into ``x``'s memory and ``x``
    returned, as PyTorch's ``inplace`` activation modules do (glassnet's in-place rules
    apply: a leaf that requires grad is refused, recorded history moves to ``x``)."""
    return x._inplace(f"{name}(inplace=True)", fn) if inplace else fn(x)


class ReLU(Module):
    """``max(x, 0)`` elementwise (``inplace=True``: written into the input)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return activate(x, F.relu, self.inplace, "ReLU")

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` if positive else ``negative_slope · x`` (``inplace=True``: written into the input)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return activate(x, lambda t: F.leaky_relu(t, self.negative_slope), self.inplace, "LeakyReLU")

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """``1 / (1 + e^-x)``."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """``tanh(x)``."""

    def forward(self, x):
        return F.tanh(x)


class GELU(Module):
    """``x · Φ(x)``; ``approximate="tanh"`` for the tanh formula."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """Probabilities along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-probabilities along ``dim``."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)


class Dropout(Module):
    """Inverted dropout: zero with probability ``p`` in training, identity in eval."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
