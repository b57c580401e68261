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
from glassnet.ops._activation_more import elu, hardtanh, logsigmoid, mish, silu, softsign, tanhshrink
from glassnet.ops._arrange import (
    chunk,
    diag,
    diagonal,
    flip,
    fliplr,
    flipud,
    movedim,
    narrow,
    repeat,
    repeat_interleave,
    roll,
    select,
    split,
    t,
    tile,
    trace,
    tril,
    triu,
    unbind,
    unflatten,
)
from glassnet.ops._convert import all, any, cast, clone, compare, to_device
from glassnet.ops._cumulative import cumprod, cumsum, prod
from glassnet.ops._division import floor_divide, fmod, remainder
from glassnet.ops._einsum import einsum
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
from glassnet.ops._linalg import addmm, bmm, dot, matmul, mm, mv, outer
from glassnet.ops._linalg_decompose import cholesky, qr, svd
from glassnet.ops._linalg_inverse import det, inverse, logdet, pinverse, slogdet
from glassnet.ops._linalg_norms import dist
from glassnet.ops._linalg_products import cross, matrix_power
from glassnet.ops._linear import linear
from glassnet.ops._logical import (
    allclose,
    bincount,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    count_nonzero,
    eq,
    equal,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
)
from glassnet.ops._math import (
    ceil,
    erf,
    expm1,
    floor,
    frac,
    log1p,
    log2,
    log10,
    reciprocal,
    round,
    rsqrt,
    sign,
    softplus,
    square,
    trunc,
)
from glassnet.ops._reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    norm,
    std,
    sum,
    var,
)
from glassnet.ops._select import (
    argsort,
    gather,
    index_select,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    sort,
    take_along_dim,
    topk,
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
from glassnet.ops._stacking import column_stack, dstack, hstack, vstack
from glassnet.ops._trig import acos, acosh, asin, asinh, atan, atan2, atanh, cos, cosh, sin, sinh, tan

__all__ = [
    "ACTIVATIONS", "Activation",
    "elu", "hardtanh", "logsigmoid", "mish", "silu", "softsign", "tanhshrink",
    "abs", "acos", "acosh", "add", "addmm", "all", "allclose", "amax", "amin", "any", "argmax", "argmin",
    "argsort", "asin", "asinh", "atan", "atan2", "atanh", "bincount", "bitwise_and", "bitwise_not",
    "bitwise_or", "bitwise_xor", "bmm", "broadcast_to", "cast", "cat", "ceil", "cholesky", "chunk", "clamp",
    "clip", "clone", "column_stack", "compare", "concatenate", "cos", "cosh", "count_nonzero", "cross",
    "cumprod", "cumsum", "det", "diag", "diagonal", "dist", "div", "dot", "dstack", "einsum", "eq", "equal",
    "erf", "exp", "expand", "expm1", "flatten", "flip", "fliplr", "flipud", "floor", "floor_divide", "fmod",
    "frac", "gather", "ge", "gelu", "getitem", "gt", "hstack", "index_select", "inverse", "isclose",
    "isfinite", "isinf", "isnan", "isneginf", "isposinf", "le", "leaky_relu", "linear", "log", "log10",
    "log1p", "log2", "log_softmax", "logdet", "logical_and", "logical_not", "logical_or", "logical_xor",
    "logsumexp", "lt", "masked_select", "matmul", "matrix_power", "max", "maximum", "mean", "min", "minimum",
    "mm", "movedim", "mul", "mv", "narrow", "ne", "neg", "nonzero", "norm", "outer", "pad", "permute",
    "pinverse", "pow", "prod", "qr", "reciprocal", "relu", "remainder", "repeat", "repeat_interleave",
    "reshape", "roll", "round", "rsqrt", "scatter", "scatter_add", "select", "setitem", "sigmoid", "sign",
    "sin", "sinh", "slogdet", "softmax", "softplus", "sort", "split", "sqrt", "square", "squeeze", "stack",
    "std", "sub", "sum", "svd", "swapaxes", "t", "take_along_dim", "tan", "tanh", "tile", "to_device", "topk",
    "trace", "transpose", "tril", "triu", "trunc", "unbind", "unflatten", "unsqueeze", "var", "vstack",
    "where",
]

_install_ops(_sys.modules[__name__])
