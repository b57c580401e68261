"""More of PyTorch's functional activations, composed from primitives (no new backward):
``relu6``, ``hardsigmoid``, ``hardswish``, ``selu``, ``celu``, ``threshold`` (each with
``inplace=``, and ``selu_``, ``celu_``, ``threshold_``), ``prelu``, ``glu``, ``softmin``,
``hardshrink``, ``softshrink``, and channel dropout for 1-D and 3-D feature maps.

Each composition is written so that its gradient at the kinks is PyTorch's too (where the
derivative jumps, the ``where`` picks the side PyTorch's backward picks). One difference
in the last bits: PyTorch's CPU hardsigmoid and hardswish multiply by 1/6 rounded to
float32 even for float64 tensors (relative error ~3e-8), and its celu backward rounds
1/α to float32; glassnet computes both in the tensor's dtype.
"""

from glassnet import ops
from glassnet._backend import default_generator, namespace
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._functional_activation import activate
from glassnet.nn._functional_conv import dropout2d as _dropout2d

__all__ = ["celu", "celu_", "dropout1d", "dropout2d", "dropout3d", "glu", "hardshrink", "hardsigmoid",
           "hardswish", "prelu", "relu6", "selu", "selu_", "softmin", "softshrink", "threshold", "threshold_"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def relu6(input, inplace=False):  # noqa: A002  (PyTorch's names)
    """``min(max(x, 0), 6)``: hardtanh on [0, 6] (gradient 1 strictly inside)."""
    return activate(input, lambda t: ops.hardtanh(t, 0.0, 6.0), inplace, "relu6")


def hardsigmoid(input, inplace=False):  # noqa: A002
    """``relu6(x + 3) / 6``; gradient 1/6 for −3 < x < 3, else 0."""
    return activate(input, lambda t: ops.hardtanh(t + 3, 0.0, 6.0) / 6, inplace, "hardsigmoid")


def _hardswish(x):
    """0 for x ≤ −3, x·(x + 3)/6 for −3 < x < 3, x from 3 on (at ±3 the gradient is
    PyTorch's: 0 and 1)."""
    return ops.where(x <= -3, x * 0, ops.where(x < 3, x * (x + 3) / 6, x))


def hardswish(input, inplace=False):  # noqa: A002
    """``x · relu6(x + 3) / 6``."""
    return activate(input, _hardswish, inplace, "hardswish")


def selu(input, inplace=False):  # noqa: A002
    """``scale · elu(x, alpha)`` with PyTorch's self-normalising constants."""
    return activate(input, lambda t: ops.elu(t, SELU_ALPHA) * SELU_SCALE, inplace, "selu")


def selu_(input):  # noqa: A002
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):  # noqa: A002
    """``max(0, x) + min(0, α·(exp(x/α) − 1))`` = ``α · elu(x/α)``."""
    if alpha == 0:
        raise GlassnetValueError("celu: alpha must not be 0 (it divides x), got 0")
    return activate(input, lambda t: ops.elu(t * (1.0 / alpha), 1.0) * alpha, inplace, "celu")


def celu_(input, alpha=1.0):  # noqa: A002
    return celu(input, alpha, inplace=True)


def threshold(input, threshold, value, inplace=False):  # noqa: A002
    """``x`` where ``x > threshold``, else ``value`` (gradient 0 there)."""
    return activate(input, lambda t: ops.where(t > threshold, t, t * 0 + value), inplace, "threshold")


_threshold = threshold  # the function, for threshold_ whose argument takes its name


def threshold_(input, threshold, value):  # noqa: A002
    return _threshold(input, threshold, value, inplace=True)


def prelu(input, weight):  # noqa: A002
    """``x`` if positive else ``a·x``; ``weight`` a: one value, or one per channel (dim 1)."""
    if weight.ndim != 1:
        raise ShapeError(f"prelu: weight must be 1-D (one value or one per channel), got shape "
                         f"{tuple(weight.shape)}")
    n = weight.shape[0]
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else input.shape[0]
        if channels != n:
            raise ShapeError(f"prelu: weight has {n} values but the input (shape {tuple(input.shape)}) has "
                             f"{channels} channels; give one value or one per channel")
        if input.ndim >= 2:
            weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    return ops.where(input > 0, input, weight * input)


def glu(input, dim=-1):  # noqa: A002
    """``a · σ(b)`` with ``a, b`` the two halves of ``input`` along ``dim``."""
    size = input.shape[dim]
    if size % 2:
        raise GlassnetValueError(f"glu: halving dimension must be even, but dimension {dim} is size {size}")
    a, b = ops.chunk(input, 2, dim)
    return a * ops.sigmoid(b)


def softmin(input, dim=None, dtype=None):  # noqa: A002
    """``softmax(−x)`` along ``dim``."""
    x = input if dtype is None else input.to(dtype)
    return ops.softmax(-x, dim)


def hardshrink(input, lambd=0.5):  # noqa: A002
    """``x`` where ``|x| > λ``, else 0."""
    return ops.where(input.abs() > lambd, input, input * 0)


def softshrink(input, lambd=0.5):  # noqa: A002
    """``x − λ`` above λ, ``x + λ`` below −λ, else 0."""
    return ops.where(input > lambd, input - lambd, ops.where(input < -lambd, input + lambd, input * 0))


def _channel_dropout(input, p, training, inplace, name, spatial):  # noqa: A002
    """Zero whole channels, scale the rest by 1/(1 − p): input (N, C, *spatial) or (C, *spatial)."""
    if not 0 <= p <= 1:
        raise GlassnetValueError(f"{name}: p must be in [0, 1], got {p}")
    if input.ndim not in (spatial + 1, spatial + 2):
        raise ShapeError(f"{name}: expected (N, C{', L' if spatial == 1 else ', D, H, W'}) or without N, got "
                         f"shape {tuple(input.shape)}")
    if not training or p == 0:
        return input
    lead = input.ndim - spatial

    def drop(t):
        if p == 1:
            return t * 0
        shape = (*t.shape[:lead], *(1,) * spatial)
        draw = namespace(t.array).asarray(default_generator().random(shape))
        mask = namespace(t.array).asarray((draw >= p) * (1.0 / (1.0 - p)), dtype=t.dtype)
        return t * Tensor._wrap(mask, False, None)
    return activate(input, drop, inplace, name)


def dropout1d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Channel dropout on (N, C, L) or (C, L)."""
    return _channel_dropout(input, p, training, inplace, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Channel dropout on (N, C, H, W) (see ``_functional_conv.dropout2d``), ``inplace=`` too."""
    if not training or p == 0:
        return _dropout2d(input, p, training)
    return activate(input, lambda t: _dropout2d(t, p, training), inplace, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Channel dropout on (N, C, D, H, W) or (C, D, H, W)."""
    return _channel_dropout(input, p, training, inplace, "dropout3d", 3)
