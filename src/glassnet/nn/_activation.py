"""Activation modules: thin wrappers over the primitives, plus Dropout."""

from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn import functional as F
from glassnet.nn._module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "Softmax2d", "LogSoftmax", "Dropout"]


class ReLU(Module):
    """``max(x, 0)`` elementwise (``inplace=True``: written into the input).

    The gradient is 1 where ``x > 0`` and 0 elsewhere.

    Args:
        inplace: write the result into the input tensor instead of a new one (default False).

    Shape:
        input ``(*)`` (any shape) → output of the same shape.

    Example:
        >>> import glassnet as gn
        >>> relu = gn.nn.ReLU()
        >>> print(relu(gn.tensor([-1.0, 0.0, 2.0])).numpy())
        [0. 0. 2.]
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` if positive else ``negative_slope · x`` (``inplace=True``: written into the input)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope, inplace=self.inplace)

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


class Softmax2d(Module):
    """Softmax over the channels of each pixel: (N, C, H, W) or (C, H, W), along axis −3."""

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ShapeError(f"Softmax2d: expected input (N, C, H, W) or (C, H, W), got {tuple(x.shape)}")
        return F.softmax(x, -3)


class Dropout(Module):
    """Inverted dropout: zero with probability ``p`` in training, identity in eval
    (``inplace=True``: written into the input).

    In training ``y = x · m / (1 − p)`` with ``m ~ Bernoulli(1 − p)`` drawn per element, so
    the expected value of ``y`` is ``x``; ``model.eval()`` makes it the identity.

    Args:
        p: the probability of zeroing each element, in [0, 1] (default 0.5).
        inplace: write the result into the input tensor instead of a new one (default False).

    Shape:
        input ``(*)`` (any shape) → output of the same shape.

    Example:
        >>> import glassnet as gn
        >>> drop = gn.nn.Dropout(p=0.5)
        >>> _ = gn.manual_seed(0)
        >>> print(drop(gn.ones(8)).numpy())           # kept elements scaled by 1/(1 − 0.5)
        [2. 2. 2. 0. 0. 0. 0. 0.]
        >>> _ = drop.eval()
        >>> print(drop(gn.ones(8)).numpy())
        [1. 1. 1. 1. 1. 1. 1. 1.]
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise GlassnetValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}" + (", inplace=True" if self.inplace else "")
