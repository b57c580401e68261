"""Primitive operations, each a :class:`~glassnet.autograd.Function` with forward and
backward side by side, and the functions users call (``gn.exp(x)``, ``gn.matmul(a, b)``).

Loading this package installs it as the table that ``Tensor``'s operator methods call
(:func:`glassnet.autograd._tensor.install_ops`): ``a + b`` is ``ops.add(a, b)``."""

import sys as _sys

from glassnet.autograd._tensor import install_ops as _install_ops
from glassnet.ops._activation import (
    ACTIVATIONS,
    Activation,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from glassnet.ops._convert import all, any, cast, compare, to_device
from glassnet.ops._elementwise import (
    abs,
    add,
    clamp,
    clip,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from glassnet.ops._linalg import dot, matmul
from glassnet.ops._linear import linear
from glassnet.ops._reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from glassnet.ops._setitem import setitem
from glassnet.ops._shape import (
    broadcast_to,
    cat,
    concatenate,
    expand,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
    unsqueeze,
)

__all__ = [
    "ACTIVATIONS", "Activation",
    "abs", "add", "all", "amax", "amin", "any", "argmax", "argmin", "broadcast_to", "cast",
    "cat", "clamp", "clip", "compare", "concatenate", "div", "dot", "exp", "expand", "flatten",
    "gelu", "getitem", "leaky_relu", "linear", "log", "log_softmax", "logsumexp", "matmul", "max",
    "maximum", "mean", "min", "minimum", "mul", "neg", "pad", "permute", "pow", "relu",
    "reshape", "setitem", "sigmoid", "softmax", "sqrt", "squeeze", "stack", "std", "sub", "sum",
    "swapaxes", "tanh", "to_device", "transpose", "unsqueeze", "var", "where",
]

_install_ops(_sys.modules[__name__])
