"""glassnet: a deep-learning library in which every network is visibly a chain of matrix
multiplications.

>>> import glassnet as gn
>>> a = gn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> (a @ a).sum().backward()
"""

import importlib as _importlib

import numpy as _np

from glassnet import kernels, ops
from glassnet._backend import get_default_dtype, manual_seed, set_default_dtype
from glassnet._creation import (
    arange,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from glassnet._errors import (
    GlassnetError,
    GlassnetIndexError,
    GlassnetTypeError,
    GlassnetValueError,
    GlassnetWarning,
    ShapeError,
)
from glassnet._version import __version__
from glassnet.autograd import (
    Function,
    OpEvent,
    Tensor,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    observe,
    set_grad_enabled,
)
from glassnet.ops import (
    abs,
    add,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    broadcast_to,
    cat,
    clamp,
    clip,
    concatenate,
    div,
    dot,
    exp,
    expand,
    flatten,
    gelu,
    leaky_relu,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    pad,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    swapaxes,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)

float16 = _np.dtype(_np.float16)
float32 = _np.dtype(_np.float32)
float64 = _np.dtype(_np.float64)
int32 = _np.dtype(_np.int32)
int64 = _np.dtype(_np.int64)
bool_ = _np.dtype(_np.bool_)

__all__ = [
    "Function",
    "GlassnetError",
    "GlassnetIndexError",
    "GlassnetTypeError",
    "GlassnetValueError",
    "GlassnetWarning",
    "OpEvent",
    "ShapeError",
    "Tensor",
    "__version__",
    "abs",
    "add",
    "all",
    "amax",
    "amin",
    "any",
    "arange",
    "argmax",
    "argmin",
    "backend",
    "bool_",
    "broadcast_to",
    "cat",
    "clamp",
    "clip",
    "compile",
    "concatenate",
    "data",
    "detect_anomaly",
    "distributed",
    "div",
    "dot",
    "empty",
    "empty_cache",
    "enable_grad",
    "exp",
    "expand",
    "explain",
    "eye",
    "flatten",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "gelu",
    "get_default_dtype",
    "int32",
    "int64",
    "io",
    "is_grad_enabled",
    "kernels",
    "leaky_relu",
    "linspace",
    "load",
    "load_model",
    "log",
    "log_softmax",
    "logsumexp",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "memory_stats",
    "min",
    "minimum",
    "models",
    "mul",
    "neg",
    "nn",
    "no_grad",
    "observe",
    "ones",
    "ones_like",
    "ops",
    "optim",
    "pad",
    "permute",
    "pow",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "recommend",
    "relu",
    "reshape",
    "save",
    "set_default_dtype",
    "set_grad_enabled",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sub",
    "sum",
    "swapaxes",
    "tanh",
    "tensor",
    "testing",
    "train",
    "transpose",
    "unsqueeze",
    "var",
    "web",
    "where",
    "zeros",
    "zeros_like",
]


_LAZY_SUBPACKAGES = ("backend", "data", "distributed", "explain", "io", "models", "nn", "optim",
                     "recommend", "testing", "train", "web")
_LAZY_FUNCTIONS = {  # name → the module that defines it, imported on first use
    "compile": "glassnet.capture",
    "empty_cache": "glassnet.kernels",
    "load": "glassnet.io",
    "load_model": "glassnet.models",
    "memory_stats": "glassnet.kernels",
    "save": "glassnet.io",
}


def __getattr__(name):
    """Subpackages (``gn.nn``, ``gn.data``, ``gn.explain``, …) and the functions they
    define load on first use, so ``import glassnet`` costs little more than NumPy."""
    if name in _LAZY_SUBPACKAGES:
        return _importlib.import_module(f"glassnet.{name}")
    if name in _LAZY_FUNCTIONS:
        value = getattr(_importlib.import_module(_LAZY_FUNCTIONS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
