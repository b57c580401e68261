"""Activation primitives and the numerically stable softmax family.

An elementwise activation is one :class:`Activation` subclass: ``f`` (the forward),
``derivative`` (dy/dx from the input and output) and the two written out as ``formula``
and ``derivative_formula``. That class is the only place an activation's math is written:
its backward is the chain rule ``dx = dy · f′(x)`` (``grad_formulas`` is written from
``derivative_formula``), and defining it registers it by name in :data:`ACTIVATIONS`,
where ``gn.explain`` (layers, backprop, worksheets) and the playground read it.

ReLU, sigmoid and tanh could be composed, but each is one line forward and one line
backward as a primitive, and an MLP calls them on every layer: a primitive saves the
intermediate arrays a composition would allocate.
"""

import math
import warnings

from glassnet._backend import get_default_dtype, namespace
from glassnet._special import erf
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import cast, normalize_dims
from glassnet.ops._elementwise import constant, exp, mul, sub

__all__ = ["ACTIVATIONS", "Activation", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax",
           "log_softmax"]

ACTIVATIONS = {}  # lower-case class name → Activation subclass, filled as each is defined


class Activation(Function):
    """An elementwise activation ``y = f(x)``; a subclass gives

    - ``formula`` (``"y = max(x, 0)"``) and ``derivative_formula`` (f′ in ``x``, ``y`` and
      the parameters: ``"[x > 0]"``, ``"y · (1 - y)"``), optionally a short ``symbol`` (σ);
    - ``f(x, **params)`` and ``derivative(x, y, **params)``: plain array functions, the
      parameters with their defaults (``negative_slope=0.01``);
    - ``keeps``: what backward keeps for ``derivative`` — ``("y",)`` where PyTorch keeps the
      output, ``("x",)`` its input; the other arrives as None. Changing a kept array in
      place before backward is refused, as in PyTorch;
    - for gradients of gradients (``create_graph=True``): ``second_derivative(x, y,
      **params)`` (f″), or ``piecewise_linear = True`` where f″ = 0 wherever f′ exists.

    Backward is ``dx = dy · derivative(x, y)``. Shapes: any, elementwise.
    """

    derivative_formula = ""
    symbol = ""
    keeps = ("x", "y")
    piecewise_linear = False
    second_derivative = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.grad_formulas = (f"dx = dy · {cls.derivative_formula}",)
        ACTIVATIONS[cls.__name__.lower()] = cls

    @staticmethod
    def f(x, **params):
        raise NotImplementedError

    @staticmethod
    def derivative(x, y, **params):
        raise NotImplementedError

    def forward(self, x, **params):
        y = self.f(x, **params)
        self.x = x if "x" in self.keeps else None
        self.y = y if "y" in self.keeps else None
        return y

    def backward(self, g):
        d = self.derivative(self.x, self.y, **self.params)
        # dtype=g's: a 0/1 mask or float64 scalars multiply in g's precision
        return namespace(g).multiply(g, d, dtype=g.dtype)

    def differentiable_backward(self, g, out):
        """``dx = dy · f′(x)`` with f′(x) a constant where f″ = 0, else a node whose own
        gradient is f″(x) (:class:`ActivationSlope`)."""
        if not (self.piecewise_linear or self.second_derivative is not None):
            return NotImplemented  # f″ unknown: first order only
        x = self.inputs[0]
        if self.piecewise_linear or not x.requires_grad:
            slope = constant(self.derivative(x.array, out.array, **self.params).astype(out.dtype))
        else:
            slope = ActivationSlope.apply(x, activation=type(self), y=out.array, params=self.params)
        return mul(g, slope)


class ActivationSlope(Function):
    """``s = f′(x)`` of an activation, as a node (its gradient is ``f″(x)``): what makes an
    activation's backward differentiable for ``create_graph=True``."""

    formula = "s = f′(x)"
    grad_formulas = ("dx = ds · f″(x)",)

    def forward(self, x, activation, y, params):
        return activation.derivative(x, y, **params).astype(x.dtype, copy=False)

    def backward(self, g):
        p = self.params
        return g * p["activation"].second_derivative(self.inputs[0].array, p["y"], **p["params"])


class ReLU(Activation):
    formula = "y = max(x, 0)"
    derivative_formula = "[x > 0]"
    keeps = ("y",)
    piecewise_linear = True

    @staticmethod
    def f(x):
        return namespace(x).maximum(x, 0)

    @staticmethod
    def derivative(x, y):
        return y > 0  # exactly where x > 0


class LeakyReLU(Activation):
    formula = "y = x if x > 0 else negative_slope·x"
    derivative_formula = "(1 if x > 0 else negative_slope)"
    keeps = ("x",)
    piecewise_linear = True

    @staticmethod
    def f(x, negative_slope=0.01):
        return namespace(x).where(x > 0, x, x * negative_slope)

    @staticmethod
    def derivative(x, y, negative_slope=0.01):
        return namespace(x).where(x > 0, 1.0, negative_slope)


class Sigmoid(Activation):
    formula = "y = σ(x) = 1 / (1 + exp(-x))"
    derivative_formula = "y · (1 - y)"
    symbol = "σ"
    keeps = ("y",)

    @staticmethod
    def f(x):
        xp = namespace(x)
        # exp of a non-positive number only: no overflow for large |x|
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def derivative(x, y):
        return y * (1 - y)

    @staticmethod
    def second_derivative(x, y):
        return y * (1 - y) * (1 - 2 * y)


class Tanh(Activation):
    formula = "y = tanh(x)"
    derivative_formula = "(1 - y²)"
    keeps = ("y",)

    @staticmethod
    def f(x):
        return namespace(x).tanh(x)

    @staticmethod
    def derivative(x, y):
        return 1 - y * y

    @staticmethod
    def second_derivative(x, y):
        return -2 * y * (1 - y * y)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class GELU(Activation):
    """Exact GELU ``x·Φ(x)`` (Φ the normal CDF, φ its density), or with
    ``approximate="tanh"`` Φ(x) ≈ ½·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³)."""

    formula = "y = x · Φ(x)"
    derivative_formula = "(Φ(x) + x · φ(x))"
    keeps = ("x",)

    @staticmethod
    def f(x, approximate="none"):
        return x * _cdf(x, approximate)

    @staticmethod
    def derivative(x, y, approximate="none"):
        if approximate == "tanh":  # Φ = ½·(1 + t), φ = dΦ/dx = ½·(1 - t²)·du/dx
            t = _tanh_u(x)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x))
        return _cdf(x, approximate) + x * (_INV_SQRT_2PI * namespace(x).exp(-0.5 * x * x))

    @staticmethod
    def second_derivative(x, y, approximate="none"):
        if approximate == "tanh":  # with u′ = du/dx, u″ = d²u/dx²: (1 - t²)·(u′ + ½x·(u″ - 2t·u′²))
            t = _tanh_u(x)
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            ddu = _SQRT_2_OVER_PI * 6 * 0.044715 * x
            return (1 - t * t) * (du + 0.5 * x * (ddu - 2 * t * du * du))
        return (2 - x * x) * (_INV_SQRT_2PI * namespace(x).exp(-0.5 * x * x))  # (2 - x²)·φ(x)


def _cdf(x, approximate):
    """Φ(x), or its tanh approximation."""
    if approximate == "tanh":
        return 0.5 * (1 + _tanh_u(x))
    return 0.5 * (1 + erf(x * _INV_SQRT_2))


def _tanh_u(x):
    return namespace(x).tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))


def _row_max(x, axis):
    """The maximum along ``axis`` (kept), the shift that keeps exp finite; 0 for an empty
    input (PyTorch's softmax of an empty tensor is empty)."""
    return x.max(axis=axis, keepdims=True) if x.size else 0


class Softmax(Function):
    """Fused primitive: composing exp/sum/div would keep three arrays for backward and
    lose stability; here ``y = exp(x - max x) / Σ exp(x - max x)`` and one formula back.

    ``bias`` (optional, a constant array broadcasting to x, e.g. attention's causal −∞ mask)
    is added first: ``y = softmax(x + bias)``. Inside the primitive the masked scores are a
    temporary; as a separate ``x + bias`` node they were one more activation-sized array
    kept alive by the graph (the gradient is the same: the bias is a constant)."""

    formula = "y_i = exp(x_i) / Σ_j exp(x_j)"
    grad_formulas = ("dx = y · (dy - Σ_j dy_j·y_j)",)

    def forward(self, x, axis, bias=None):
        xp = namespace(x)
        if bias is not None:
            x = x + bias
        e = xp.exp(x - _row_max(x, axis))
        self.y = e / e.sum(axis=axis, keepdims=True)
        return self.y

    def backward(self, g):
        y = self.y
        return y * (g - (g * y).sum(axis=self.params["axis"], keepdims=True))

    def differentiable_backward(self, g, out):
        return mul(out, sub(g, mul(g, out).sum(self.params["axis"], keepdim=True)))


class LogSoftmax(Function):
    """Fused and stable: ``y = x - max x - log Σ exp(x - max x)``."""

    formula = "y_i = x_i - log Σ_j exp(x_j)"
    grad_formulas = ("dx = dy - softmax(x) · Σ_j dy_j",)

    def forward(self, x, axis):
        xp = namespace(x)
        if x.size == 0:  # nothing to normalise (and log Σ over an empty row would warn)
            self.y = x.copy()
            return self.y
        shifted = x - _row_max(x, axis)
        self.y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        return self.y

    def backward(self, g):
        xp = namespace(g)
        return g - xp.exp(self.y) * g.sum(axis=self.params["axis"], keepdims=True)

    def differentiable_backward(self, g, out):
        return sub(g, mul(exp(out), g.sum(self.params["axis"], keepdim=True)))


def relu(x):
    """``max(x, 0)`` elementwise."""
    return ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01):
    """``x`` for positive entries, ``negative_slope·x`` otherwise."""
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def _floating(x):
    """An integer or bool tensor in the default float dtype (PyTorch's rule for sigmoid and tanh;
    NumPy would give float64, or float16 for bool)."""
    return x.astype(get_default_dtype()) if isinstance(x, Tensor) and x.array.dtype.kind in "biu" else x


def sigmoid(x):
    """``1 / (1 + e^-x)`` elementwise, stable for large |x|."""
    return Sigmoid.apply(_floating(x))


def tanh(x):
    """Hyperbolic tangent elementwise."""
    return Tanh.apply(_floating(x))


def gelu(x, approximate="none"):
    """Gaussian error linear unit; ``approximate="tanh"`` for the tanh formula."""
    return GELU.apply(x, approximate=approximate)


def softmax(x, dim=None, _stacklevel=3, dtype=None):
    """Probabilities along ``dim``: ``exp(x_i) / Σ_j exp(x_j)``, computed stably.

    "Stably": ``max_j x_j`` is subtracted first (the result is the same), so large logits
    do not overflow. Each slice along ``dim`` sums to 1.

    Args:
        x: the input tensor (logits).
        dim: the dimension to normalise along. Without it PyTorch's deprecated implicit
            choice applies, with its warning: dim 0 for 0-, 1- and 3-D inputs, else 1.
        dtype: cast ``x`` to this dtype first (PyTorch's keyword).

    Shape:
        input ``(*)`` (any shape) → output of the same shape.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
        >>> print(gn.nn.functional.softmax(x, dim=1).numpy().round(4))
        [[0.09   0.2447 0.6652]
         [0.3333 0.3333 0.3333]]
    """
    x = x if dtype is None else cast(x, dtype)
    return Softmax.apply(x, axis=_one_axis(_implicit(dim, x.ndim, "softmax"), x.ndim, "softmax"))


def _implicit(dim, ndim, name):
    """PyTorch's implicit dim for softmax-like ops called without one (with its warning)."""
    if dim is not None:
        return dim
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated (in PyTorch too); dim={dim} "
                  f"was used — change the call to include dim={dim} as an argument", UserWarning,
                  stacklevel=3)
    return dim


def softmax_with_bias(x, dim, bias):
    """``softmax(x + bias)`` along ``dim`` as one primitive; ``bias`` is a constant array (no
    gradient) that broadcasts to x, e.g. the −∞ entries of a causal attention mask."""
    return Softmax.apply(x, axis=_one_axis(dim, x.ndim, "softmax"), bias=bias)


def log_softmax(x, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(x))`` along ``dim``, computed without overflow (``dim`` and ``dtype`` as
    in :func:`softmax`)."""
    x = x if dtype is None else cast(x, dtype)
    return LogSoftmax.apply(x, axis=_one_axis(_implicit(dim, x.ndim, "log_softmax"), x.ndim, "log_softmax"))


def _one_axis(dim, ndim, op_name):
    return None if ndim == 0 else normalize_dims(dim, ndim, op_name)[0]
