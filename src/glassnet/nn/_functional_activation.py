"""Activations with PyTorch's ``inplace=`` switch: ``F.relu(x, inplace=True)`` (and the
trailing-underscore forms ``F.relu_(x)``) write the result into ``x``'s memory and return
``x``. The one place where an activation goes in place: the nn modules
(``nn.ReLU(inplace=True)``, …) and ``F.dropout(…, inplace=True)`` call :func:`activate`.

In place follows glassnet's in-place rules (``autograd/_inplace.py``), which are
PyTorch's: a leaf that requires grad is refused while gradients are recorded; the
recorded history moves to ``x``; an op that saved ``x`` for its backward (``sigmoid``,
``exp``, ``tanh`` keep their output) makes that backward raise instead of using the new
values.
"""

from glassnet import ops

__all__ = ["activate", "elu", "elu_", "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "mish", "relu",
           "relu_", "silu"]


def activate(x, fn, inplace, name):
    """``fn(x)``; with ``inplace=True`` the result written into ``x`` and ``x`` returned."""
    return x._inplace(f"{name}(inplace=True)", fn) if inplace else fn(x)


def relu(input, inplace=False):  # noqa: A002  (PyTorch's names)
    """``max(x, 0)`` elementwise."""
    return activate(input, ops.relu, inplace, "relu")


def relu_(input):  # noqa: A002
    """``relu`` written into ``input``."""
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    """``x`` if positive else ``negative_slope · x``."""
    return activate(input, lambda t: ops.leaky_relu(t, negative_slope), inplace, "leaky_relu")


def leaky_relu_(input, negative_slope=0.01):  # noqa: A002
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """``x`` if positive else ``alpha·(eˣ − 1)``."""
    return activate(input, lambda t: ops.elu(t, alpha), inplace, "elu")


def elu_(input, alpha=1.0):  # noqa: A002
    return elu(input, alpha, inplace=True)


def silu(input, inplace=False):  # noqa: A002
    """``x · σ(x)``."""
    return activate(input, ops.silu, inplace, "silu")


def mish(input, inplace=False):  # noqa: A002
    """``x · tanh(softplus(x))``."""
    return activate(input, ops.mish, inplace, "mish")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    """``x`` clamped to ``[min_val, max_val]``."""
    return activate(input, lambda t: ops.hardtanh(t, min_val, max_val), inplace, "hardtanh")


def hardtanh_(input, min_val=-1.0, max_val=1.0):  # noqa: A002
    return hardtanh(input, min_val, max_val, inplace=True)
