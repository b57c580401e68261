"""The one registry of differentiable ops that the contract and torch-reference suites test.

Each :class:`OpSpec` names a glassnet callable, a NumPy reference, a PyTorch reference (or
None), the inputs' domain and the shapes from the battery it accepts. Adding an op means
adding one line to :data:`REGISTRY`; ``test_ops_contract.py`` then checks its forward
against NumPy and its gradient against finite differences, and
``test_torch_reference.py`` compares forward and gradients with PyTorch.

Conventions:
- ``kwargs`` are passed to all three callables, so they use PyTorch's names (``dim``,
  ``keepdim``); NumPy references that need ``axis`` go through :func:`_np_reduce`.
- ``torch=SAME`` means the glassnet callable runs unchanged on torch tensors (operators,
  indexing and methods with PyTorch names); ``T`` is torch, imported only when used.
- Inputs are drawn away from points of non-differentiability: ``"nonzero"`` gives
  ``±[0.5, 2]`` (so abs, relu, where and clip never sit on a kink), ``"positive"`` gives
  ``[0.5, 2]`` (log, sqrt, fractional powers), ``"smooth"`` a standard normal.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import conv_reference as CR
import glassnet as gn
from ctc_reference import gn_ctc_registry, np_ctc_registry, torch_ctc_registry
from fft_cases import fft_ops
from glassnet.ops._loss import SoftmaxCrossEntropy, SoftmaxCrossEntropyIndex
from glassnet.ops._recurrent import gru_scan, lstm_proj_scan, lstm_scan, rnn_scan
from linalg_cases import linalg_ops
from more_ops_cases import more_ops
from norm_modules import norm_ops
from resample_cases import resample_ops
from rnn_reference import (
    np_gru_scan,
    np_lstm_proj_scan,
    np_lstm_scan,
    np_rnn_scan,
    torch_gru_scan,
    torch_lstm_proj_scan,
    torch_lstm_scan,
    torch_rnn_scan,
)
from sampling_cases import sampling_ops
from surface_ops import surface_ops

__all__ = ["OpSpec", "REGISTRY", "SAME", "make_inputs", "to_torch", "BINARY", "UNARY"]

SAME = "same"


class _LazyTorch:
    """``T.where`` is a stand-in that imports torch only when called (or when a further
    attribute is read inside a call), so this module loads without torch installed."""

    def __init__(self, path=()):
        self._path = path

    def __getattr__(self, name):
        return _LazyTorch((*self._path, name))

    def _resolve(self):
        import torch

        obj = torch
        for name in self._path:
            obj = getattr(obj, name)
        return obj

    def __call__(self, *args, **kwargs):
        return self._resolve()(*args, **kwargs)


T = _LazyTorch()


def _F():
    import torch.nn.functional

    return torch.nn.functional


def _scan_shapes(blocks, inputs, T=3, N=2, H=2):
    """Input shapes of a recurrent scan with ``blocks`` gate blocks: x (T, N, I), the
    state(s) (N, H) (an LSTM has two), w_ih (K·H, I), w_hh (K·H, H), b_ih, b_hh (K·H,)."""
    G = blocks * H
    states = ((N, H),) * (2 if blocks == 4 else 1)
    return ((T, N, inputs), *states, (G, inputs), (G, H), (G,), (G,))


def _proj_scan_shapes(inputs, T=3, N=2, H=3, P=2):
    """Input shapes of the projected LSTM scan: x (T, N, I), h0 (N, P), c0 (N, H), w_ih (4H, I),
    w_hh (4H, P), b_ih, b_hh (4H,), w_hr (P, H)."""
    return ((T, N, inputs), (N, P), (N, H), (4 * H, inputs), (4 * H, P), (4 * H,), (4 * H,), (P, H))


# -- the shape battery ----------------------------------------------------------------
UNARY = (((),), ((2,),), ((3, 2),), ((1, 2),))
ND1 = (((2,),), ((3, 2),), ((1, 2),))  # at least one axis
ND2 = (((3, 2),), ((1, 2),))  # at least two axes
BINARY = (
    ((), ()), ((2,), (2,)), ((3, 2), (3, 2)), ((1, 2), (1, 2)),
    ((3, 2), (2,)), ((3, 1), (1, 2)), ((), (3, 2)), ((2,), (3, 2)),
)


@dataclass(frozen=True)
class OpSpec:
    """One differentiable op (or one variant of it) under test."""

    name: str
    fn: Callable  # glassnet: fn(*tensors, **kwargs) -> Tensor
    ref: Callable  # NumPy: ref(*arrays, **kwargs) -> array
    torch: Callable | str | None  # torch: fn(*tensors, **kwargs), SAME, or None
    covers: str  # the public glassnet function this exercises
    nargs: int = 1
    domain: str | tuple = "nonzero"
    kwargs: dict = field(default_factory=dict)
    shapes: tuple = UNARY  # input shapes per case, from the battery
    large: tuple = None  # input shapes for the random-direction VJP check
    eps: float = 1e-6  # finite-difference step (larger for ops that round to float32)
    atol: float = 1e-5
    out_dtype: object = None  # None: the output keeps the inputs' dtype

    @property
    def domains(self):
        return (self.domain,) * self.nargs if isinstance(self.domain, str) else self.domain

    @property
    def large_shapes(self):
        if self.large is not None:
            return self.large
        return ((5, 4),) if self.nargs == 1 else ((5, 4), (4,))

    def run(self, *xs):
        return self.fn(*xs, **self.kwargs)

    def run_ref(self, *arrays):
        return np.asarray(self.ref(*arrays, **self.kwargs))

    def run_torch(self, *ts):
        f = self.fn if self.torch == SAME else self.torch
        return f(*ts, **self.kwargs)


def make_inputs(spec, shapes, dtype=np.float64, seed=0):
    """Random NumPy inputs for ``spec`` in its domain, one per shape."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape, domain in zip(shapes, spec.domains, strict=True):
        if domain == "smooth":
            a = rng.standard_normal(shape)
        else:
            a = rng.uniform(0.5, 2.0, size=shape)
            if domain == "nonzero":
                a = a * rng.choice([-1.0, 1.0], size=shape)
        arrays.append(np.asarray(a, dtype=dtype))
    return arrays


def _np_setitem(index):
    def ref(x, v):
        y = x.copy()
        y[index] = v
        return y

    return ref


def _torch_setitem(index):
    def run(x, v):
        y = x.clone()
        y[index] = v
        return y

    return run


def to_torch(array, requires_grad=False):
    import torch

    return torch.tensor(array, requires_grad=requires_grad)


# -- NumPy references ---------------------------------------------------------------------
def _np_reduce(f):
    def ref(x, dim=None, keepdim=False, **kw):
        axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
        return f(x, axis=axis, keepdims=keepdim, **kw)

    return ref


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _np_var(x, axis=None, keepdims=False, correction=1):
    return np.var(x, axis=axis, keepdims=keepdims, ddof=correction)


def _np_std(x, axis=None, keepdims=False, correction=1):
    return np.std(x, axis=axis, keepdims=keepdims, ddof=correction)


def _np_softmax(x, dim=-1):
    if x.ndim == 0:
        return np.ones_like(x)
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _np_log_softmax(x, dim=-1):
    if x.ndim == 0:
        return np.zeros_like(x)
    return x - _np_logsumexp(x, axis=dim, keepdims=True)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _np_gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _np_pad_last(x, widths):
    return np.pad(x, [(0, 0)] * (x.ndim - 1) + [widths])


def _soft_targets(shape):
    """Fixed probability rows (N, C), not uniform, as the constant second input of the
    fused softmax + cross-entropy primitive."""
    logits = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) % 3
    return _np_softmax(logits)


def _gn_softmax_xent(z):
    return SoftmaxCrossEntropy.apply(z, gn.tensor(_soft_targets(z.shape), dtype=z.dtype))


def _np_softmax_xent(z):
    return -(_soft_targets(z.shape) * _np_log_softmax(z)).sum(axis=1)


def _torch_softmax_xent(z):
    target = T.tensor(_soft_targets(tuple(z.shape)), dtype=z.dtype)
    return _F().cross_entropy(z, target, reduction="none")


def _labels(shape):
    return np.arange(shape[0]) % shape[1]


def _gn_xent_index(z, reduction="none"):
    return SoftmaxCrossEntropyIndex.apply(z, labels=_labels(z.shape), reduction=reduction)


def _np_xent_index(z, reduction="none"):
    losses = -_np_log_softmax(z)[np.arange(z.shape[0]), _labels(z.shape)]
    return {"none": losses, "mean": losses.mean(), "sum": losses.sum()}[reduction]


def _torch_xent_index(z, reduction="none"):
    target = T.tensor(_labels(tuple(z.shape)))
    return _F().cross_entropy(z, target, reduction=reduction)


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gn_bce(z, t):
    """Binary cross-entropy on probabilities sigmoid(z) against targets sigmoid(t) in (0, 1)
    (both differentiable)."""
    return gn.nn.functional.binary_cross_entropy(gn.sigmoid(z), gn.sigmoid(t), reduction="none")


def _np_bce(z, t):
    p, y = _np_sigmoid(z), _np_sigmoid(t)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _torch_bce(z, t):
    return _F().binary_cross_entropy(T.sigmoid(z), T.sigmoid(t), reduction="none")


def _gn_bce_logits(z, t, pos_weight=None):
    return gn.nn.functional.binary_cross_entropy_with_logits(
        z, gn.sigmoid(t), reduction="none", pos_weight=pos_weight)


def _np_bce_logits(z, t, pos_weight=1.0):
    y = _np_sigmoid(t)
    return -(pos_weight * y * np.log(_np_sigmoid(z)) + (1 - y) * np.log(_np_sigmoid(-z)))


def _torch_bce_logits(z, t, pos_weight=None):
    pw = None if pos_weight is None else T.tensor(pos_weight, dtype=z.dtype)
    return _F().binary_cross_entropy_with_logits(z, T.sigmoid(t), reduction="none", pos_weight=pw)


def _torch_logsumexp(x, dim=None, keepdim=False):
    return T.logsumexp(x, dim=tuple(range(x.ndim)) if dim is None else dim, keepdim=keepdim)


def _torch_amax(f):
    return lambda x, dim=None, keepdim=False: f(x, dim=() if dim is None else dim, keepdim=keepdim)


def _gn_bn(training):
    """F.batch_norm with no running statistics (training) or the fixed BN_STATS (eval)."""
    def run(x, w, b):
        stats = [None, None] if training else [gn.tensor(s, dtype=x.dtype) for s in CR.BN_STATS]
        return gn.nn.functional.batch_norm(x, *stats, w, b, training=training)

    return run


def _torch_conv_quiet(name):
    """torch's conv1d/conv2d without its UserWarning about 'same' padding with an even kernel
    (raised once per process, so without this a test failed or passed by test order)."""
    def run(x, w, **kwargs):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return getattr(_F(), name)(x, w, **kwargs)

    return run


def _torch_bn(training):
    def run(x, w, b):
        stats = [None, None] if training else [T.tensor(s, dtype=x.dtype) for s in CR.BN_STATS]
        return _F().batch_norm(x, *stats, w, b, training=training)

    return run


def _same(f):
    """The callable works on glassnet tensors, NumPy arrays and torch tensors alike."""
    return f


_add_scalar = _same(lambda x: x + 1.5)
_rsub_scalar = _same(lambda x: 2.0 - x)
_rdiv_scalar = _same(lambda x: 1.0 / x)
_rpow = _same(lambda x: 2.0**x)
_matmul_op = _same(lambda a, b: a @ b)
_gi = {  # indexing: NumPy and torch read these exactly as glassnet does
    "slice": _same(lambda x: x[1:]),
    "step": _same(lambda x: x[::2]),
    "int": _same(lambda x: x[0]),
    "ellipsis": _same(lambda x: x[..., -1]),
    "newaxis": _same(lambda x: x[None, :]),
    "repeated": _same(lambda x: x[[0, 0, 1]]),
    "fancy_2d": _same(lambda x: x[[0, 2, 0], [1, 1, 1]]),
    "mixed": _same(lambda x: x[[1, 1], 1:]),
    "mask": _same(lambda x: x[x > 0]),
    "bool_list": _same(lambda x: x[[True, False, True]]),
}

def _index_for(shape, k=None, distinct=False):
    """A fixed int64 index (rows, k) for gather/scatter along dim 1 of a (rows, n) input;
    ``distinct``: no repeats within a row (scatter's result is defined only then)."""
    rows, n = shape
    k = n if k is None else k
    if distinct:
        return np.stack([np.roll(np.arange(n), r)[:k] for r in range(rows)])
    return (np.arange(rows * k).reshape(rows, k) * 7 + 3) % n


def _gn_index(x, k=None, distinct=False):
    return gn.tensor(_index_for(tuple(x.shape), k, distinct))


def _torch_index(x, k=None, distinct=False):
    return T.tensor(_index_for(tuple(x.shape), k, distinct))


def _np_scatter(x, src, add=False):
    idx = _index_for(x.shape, src.shape[1], distinct=not add)
    y = x.copy()
    rows = np.arange(x.shape[0])[:, None]
    if add:
        np.add.at(y, (rows, idx), src)
    else:
        y[rows, idx] = src
    return y


def _np_scatter_multiply(x, k=3, value=1.5):
    """x times ``value`` once per time the fixed index (repeats within a row) names a place."""
    y = x.copy()
    np.multiply.at(y, (np.arange(x.shape[0])[:, None], _index_for(x.shape, k)), value)
    return y


def _np_norm(x, p=2, dim=None, keepdim=False):
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdim) ** (1 / p)


def _np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def _np_prod(x, dim=None, keepdim=False):
    return np.prod(x, axis=dim, keepdims=keepdim)


_EIN = {  # einsum equations and what they compute, in NumPy
    "ij,jk->ik": lambda a, b: a @ b,
    "bij,bjk->bik": lambda a, b: a @ b,
    "ij,ij->i": lambda a, b: (a * b).sum(-1),
    "i,j->ij": np.outer,
    "ij->": np.sum,
    "ii->i": np.diagonal,
    "ii": np.trace,
    "ij,kj": lambda a, b: a @ b.T,
    "...ij,...jk->...ik": lambda a, b: a @ b,
    "bi,i->b": lambda a, b: a @ b,
}


def _ein(eq, shapes, large):
    """One registry line for ``einsum(eq, ...)``."""
    n = len(shapes[0])
    return OpSpec(f"einsum_{eq}", lambda *xs: gn.einsum(eq, *xs), _EIN[eq], lambda *xs: T.einsum(eq, *xs),
                  "einsum", n, "smooth", shapes=shapes, large=large)


_EMB_IDX = np.array([[0, 2, 1], [2, 2, 0]])  # repeated indices add their gradients

O = OpSpec
REGISTRY = [
    # -- elementwise arithmetic ---------------------------------------------------------
    O("add", gn.add, np.add, lambda x, y: T.add(x, y), "add", 2, shapes=BINARY),
    O("add_scalar", _add_scalar, _add_scalar, SAME, "add"),
    O("sub", gn.sub, np.subtract, lambda x, y: T.sub(x, y), "sub", 2, shapes=BINARY),
    O("rsub_scalar", _rsub_scalar, _rsub_scalar, SAME, "sub"),
    O("mul", gn.mul, np.multiply, lambda x, y: T.mul(x, y), "mul", 2, shapes=BINARY),
    O("div", gn.div, np.divide, lambda x, y: T.div(x, y), "div", 2, shapes=BINARY),
    O("rdiv_scalar", _rdiv_scalar, _rdiv_scalar, SAME, "div"),
    O("neg", gn.neg, np.negative, lambda x: T.neg(x), "neg"),
    O("pow", gn.pow, np.power, lambda x, y: T.pow(x, y), "pow", 2, ("positive", "nonzero"),
      shapes=BINARY),
    O("pow_scalar_2", lambda x: x**2, np.square, SAME, "pow"),
    O("pow_scalar_3", lambda x: gn.pow(x, 3), lambda x: x**3, lambda x: T.pow(x, 3), "pow"),
    O("pow_scalar_half", lambda x: x**0.5, np.sqrt, SAME, "pow", domain="positive"),
    O("pow_scalar_neg", lambda x: x**-1.5, lambda x: x**-1.5, SAME, "pow", domain="positive"),
    O("rpow", _rpow, _rpow, SAME, "pow"),
    O("exp", gn.exp, np.exp, lambda x: T.exp(x), "exp", domain="smooth"),
    O("log", gn.log, np.log, lambda x: T.log(x), "log", domain="positive"),
    O("sqrt", gn.sqrt, np.sqrt, lambda x: T.sqrt(x), "sqrt", domain="positive"),
    O("abs", gn.abs, np.abs, lambda x: T.abs(x), "abs"),
    O("maximum", gn.maximum, np.maximum, lambda x, y: T.maximum(x, y), "maximum", 2,
      shapes=BINARY),
    O("minimum", gn.minimum, np.minimum, lambda x, y: T.minimum(x, y), "minimum", 2,
      shapes=BINARY),
    O("max_binary", gn.max, np.maximum, lambda x, y: T.max(x, y), "max", 2, shapes=BINARY),
    O("min_binary", gn.min, np.minimum, lambda x, y: T.min(x, y), "min", 2, shapes=BINARY),
    O("where", lambda x, y: gn.where(x > 0, x, y), lambda x, y: np.where(x > 0, x, y),
      lambda x, y: T.where(x > 0, x, y), "where", 2, shapes=BINARY),
    O("where_method", lambda x, y: x.where(y < 0, y), lambda x, y: np.where(y < 0, x, y),
      SAME, "where", 2, shapes=BINARY),
    O("clip", lambda x: gn.clip(x, -1.0, 1.0), lambda x: np.clip(x, -1.0, 1.0),
      lambda x: T.clamp(x, -1.0, 1.0), "clip"),
    O("clamp_min", lambda x: gn.clamp(x, min=-1.0), lambda x: np.maximum(x, -1.0),
      lambda x: T.clamp(x, min=-1.0), "clamp"),
    O("clip_tensor_bound", lambda x, lo: gn.clip(x, lo, 2.5), lambda x, lo: np.clip(x, lo, 2.5),
      lambda x, lo: T.clamp(x, lo, T.tensor(2.5, dtype=x.dtype)), "clip", 2, shapes=BINARY),
    O("clip_tensor_both", lambda x, lo: gn.clip(x, lo, lo + 2), lambda x, lo: np.clip(x, lo, lo + 2),
      lambda x, lo: T.clamp(x, lo, lo + 2), "clip", 2, shapes=BINARY),
    O("clip_tensor_max", lambda x, hi: gn.clip(x, max=hi), lambda x, hi: np.minimum(x, hi),
      lambda x, hi: T.clamp(x, max=hi), "clip", 2, shapes=BINARY),
    # -- matrix multiplication ------------------------------------------------------------
    O("matmul_1d_1d", gn.matmul, np.matmul, lambda a, b: T.matmul(a, b), "matmul", 2,
      shapes=(((3,), (3,)),), large=((16,), (16,))),
    O("matmul_2d_1d", gn.matmul, np.matmul, lambda a, b: T.matmul(a, b), "matmul", 2,
      shapes=(((2, 3), (3,)),), large=((8, 16), (16,))),
    O("matmul_1d_2d", gn.matmul, np.matmul, lambda a, b: T.matmul(a, b), "matmul", 2,
      shapes=(((3,), (3, 2)),), large=((16,), (16, 8))),
    O("matmul_2d_2d", gn.matmul, np.matmul, lambda a, b: T.matmul(a, b), "matmul", 2,
      shapes=(((2, 3), (3, 4)), ((1, 3), (3, 1))), large=((8, 16), (16, 4))),
    O("matmul_batched", gn.matmul, np.matmul, lambda a, b: T.matmul(a, b), "matmul", 2,
      shapes=(((2, 2, 3), (2, 3, 2)), ((2, 1, 2, 3), (3, 3, 2)), ((2, 2, 3), (3, 2)),
              ((3,), (2, 3, 2)), ((2, 2, 3), (3,))),
      large=((3, 1, 4, 5), (2, 5, 3))),
    O("matmul_operator", _matmul_op, _matmul_op, SAME, "matmul", 2,
      shapes=(((2, 3), (3, 2)), ((2, 2, 3), (3,))), large=((8, 16), (16, 4))),
    O("dot", gn.dot, np.dot, lambda a, b: T.dot(a, b), "dot", 2, shapes=(((3,), (3,)),),
      large=((16,), (16,))),
    O("linear", gn.ops.linear, lambda x, w, b: x @ w.T + b,
      lambda x, w, b: T.nn.functional.linear(x, w, b), "linear", 3,
      shapes=(((2, 3), (4, 3), (4,)), ((3,), (2, 3), (2,)), ((2, 2, 3), (4, 3), (4,)),
              ((3, 1), (2, 1), (2,))),
      large=((8, 16), (4, 16), (4,))),
    O("linear_nobias", gn.ops.linear, lambda x, w: x @ w.T,
      lambda x, w: T.nn.functional.linear(x, w), "linear", 2,
      shapes=(((2, 3), (4, 3)), ((2, 2, 3), (4, 3))), large=((8, 16), (4, 16))),
    # -- reductions -------------------------------------------------------------------------
    O("sum", gn.sum, np.sum, lambda x: T.sum(x), "sum"),
    O("sum_dim0", gn.sum, _np_reduce(np.sum), T.sum, "sum", kwargs={"dim": 0}, shapes=ND1),
    O("sum_dim1_keepdim", gn.sum, _np_reduce(np.sum), T.sum, "sum",
      kwargs={"dim": 1, "keepdim": True}, shapes=ND2),
    O("sum_dims_tuple", gn.sum, _np_reduce(np.sum), T.sum, "sum", kwargs={"dim": (0, -1)},
      shapes=ND2),
    O("sum_method_neg_dim", lambda x: x.sum(-1), lambda x: x.sum(-1), SAME, "sum", shapes=ND1),
    O("mean", gn.mean, np.mean, lambda x: T.mean(x), "mean"),
    O("mean_dim0", gn.mean, _np_reduce(np.mean), T.mean, "mean", kwargs={"dim": 0}, shapes=ND1),
    O("mean_dim1", gn.mean, _np_reduce(np.mean), T.mean, "mean", kwargs={"dim": 1}, shapes=ND2),
    O("mean_dim1_keepdim", gn.mean, _np_reduce(np.mean), T.mean, "mean",
      kwargs={"dim": 1, "keepdim": True}, shapes=ND2),
    O("amax", gn.amax, np.max, lambda x: T.amax(x), "amax"),
    O("amax_dim1", gn.amax, _np_reduce(np.max), _torch_amax(T.amax), "amax",
      kwargs={"dim": 1}, shapes=ND2),
    O("amax_dim0_keepdim", gn.amax, _np_reduce(np.max), _torch_amax(T.amax), "amax",
      kwargs={"dim": 0, "keepdim": True}, shapes=ND1),
    O("amin", gn.amin, np.min, lambda x: T.amin(x), "amin"),
    O("amin_dim0", gn.amin, _np_reduce(np.min), _torch_amax(T.amin), "amin",
      kwargs={"dim": 0}, shapes=ND1),
    O("max", gn.max, np.max, lambda x: T.max(x), "max"),
    O("max_dim_values", lambda x: gn.max(x, 1).values, lambda x: np.max(x, 1),
      lambda x: T.max(x, 1).values, "max", shapes=ND2),
    O("min", gn.min, np.min, lambda x: T.min(x), "min"),
    O("min_dim_keepdim", lambda x: x.min(dim=-1, keepdim=True)[0],
      lambda x: np.min(x, -1, keepdims=True), SAME, "min", shapes=ND1),
    O("logsumexp", gn.logsumexp, _np_logsumexp, _torch_logsumexp, "logsumexp", domain="smooth"),
    O("logsumexp_dim1_keepdim", gn.logsumexp, _np_reduce(_np_logsumexp), _torch_logsumexp,
      "logsumexp", domain="smooth", kwargs={"dim": 1, "keepdim": True}, shapes=ND2),
    O("logsumexp_dim1", gn.logsumexp, _np_reduce(_np_logsumexp), _torch_logsumexp,
      "logsumexp", domain="smooth", kwargs={"dim": 1}, shapes=ND2),
    O("logsumexp_dim0", gn.logsumexp, _np_reduce(_np_logsumexp), _torch_logsumexp,
      "logsumexp", domain="smooth", kwargs={"dim": 0}, shapes=ND1),
    O("var", gn.var, _np_reduce(_np_var), T.var, "var", domain="smooth", shapes=ND1),
    O("var_dim0", gn.var, _np_reduce(_np_var), T.var, "var", domain="smooth",
      kwargs={"dim": 0}, shapes=(((2,),), ((3, 2),))),
    O("var_dim1_keepdim", gn.var, _np_reduce(_np_var), T.var, "var", domain="smooth",
      kwargs={"dim": 1, "keepdim": True}, shapes=ND2),
    O("var_dim1", lambda x: x.var(1), lambda x: np.var(x, 1, ddof=1), SAME, "var",
      domain="smooth", shapes=(((3, 2),), ((1, 2),))),
    O("var_correction0", gn.var, _np_reduce(_np_var), T.var, "var", domain="smooth",
      kwargs={"correction": 0}, shapes=ND1),
    O("std", gn.std, _np_reduce(_np_std), T.std, "std", domain="smooth", shapes=ND1),
    O("std_dim0", gn.std, _np_reduce(_np_std), T.std, "std", domain="smooth",
      kwargs={"dim": 0}, shapes=(((2,),), ((3, 2),))),
    O("std_dim1_keepdim_c0", gn.std, _np_reduce(_np_std), T.std, "std", domain="smooth",
      kwargs={"dim": -1, "keepdim": True, "correction": 0}, shapes=ND2),
    # -- movement and shape -----------------------------------------------------------------
    O("reshape_flat", lambda x: gn.reshape(x, -1), lambda x: x.reshape(-1),
      lambda x: T.reshape(x, (-1,)), "reshape"),
    O("reshape_2xn", lambda x: gn.reshape(x, (2, -1)), lambda x: x.reshape(2, -1),
      lambda x: T.reshape(x, (2, -1)), "reshape", shapes=(((3, 2),), ((6,),), ((1, 6),))),
    O("view_method", lambda x: x.view(3, -1), lambda x: x.reshape(3, -1), SAME, "reshape",
      shapes=(((2, 3),), ((6,),)), large=((6, 4),)),
    O("flatten", gn.flatten, lambda x: x.reshape(-1), lambda x: T.flatten(x), "flatten"),
    O("flatten_start1", lambda x: gn.flatten(x, 1), lambda x: x.reshape(x.shape[0], -1),
      lambda x: T.flatten(x, 1), "flatten", shapes=(((2, 3, 2),), ((3, 2),)), large=((3, 4, 5),)),
    O("flatten_0_1", lambda x: gn.flatten(x, 0, 1), lambda x: x.reshape(-1, x.shape[-1]),
      lambda x: T.flatten(x, 0, 1), "flatten", shapes=(((2, 3, 2),),), large=((3, 4, 5),)),
    O("squeeze", gn.squeeze, np.squeeze, lambda x: T.squeeze(x), "squeeze",
      shapes=(((),), ((1, 2),), ((3, 1),), ((2,),))),
    O("squeeze_dim0", lambda x: gn.squeeze(x, 0), lambda x: x[0] if x.shape[0] == 1 else x,
      lambda x: T.squeeze(x, 0), "squeeze", shapes=(((1, 2),), ((3, 2),))),
    O("unsqueeze0", lambda x: gn.unsqueeze(x, 0), lambda x: np.expand_dims(x, 0),
      lambda x: T.unsqueeze(x, 0), "unsqueeze"),
    O("unsqueeze_last", lambda x: x.unsqueeze(-1), lambda x: np.expand_dims(x, -1), SAME,
      "unsqueeze"),
    O("permute", lambda x: gn.permute(x, 2, 0, 1), lambda x: np.transpose(x, (2, 0, 1)),
      lambda x: T.permute(x, (2, 0, 1)), "permute", shapes=(((2, 3, 2),),), large=((3, 4, 5),)),
    O("permute_neg", lambda x: x.permute(-1, 0), lambda x: x.T, SAME, "permute", shapes=ND2),
    O("T_property", lambda x: x.T, lambda x: x.T, SAME, "permute", shapes=ND2),
    O("swapaxes", lambda x: gn.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2),
      lambda x: T.swapaxes(x, 0, 2), "swapaxes", shapes=(((2, 3, 2),),), large=((3, 4, 5),)),
    O("transpose", lambda x: gn.transpose(x, 0, 1), lambda x: np.swapaxes(x, 0, 1),
      lambda x: T.transpose(x, 0, 1), "transpose", shapes=ND2),
    O("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), SAME, "swapaxes",
      shapes=(((2, 3, 2),),), large=((3, 4, 5),)),
    O("expand", lambda x: gn.expand(x, 3, 2), lambda x: np.broadcast_to(x, (3, 2)),
      lambda x: x.expand(3, 2), "expand", shapes=(((),), ((2,),), ((1, 2),), ((3, 1),)),
      large=((1, 2),)),
    O("expand_keep", lambda x: x.expand(4, -1), lambda x: np.broadcast_to(x, (4, x.shape[-1])),
      SAME, "expand", shapes=(((1, 2),), ((1, 3),)), large=((1, 7),)),
    O("broadcast_to", lambda x: gn.broadcast_to(x, (2, 3, 2)),
      lambda x: np.broadcast_to(x, (2, 3, 2)), lambda x: T.broadcast_to(x, (2, 3, 2)),
      "broadcast_to", shapes=(((),), ((2,),), ((3, 1),)), large=((3, 2),)),
    O("cat", lambda a, b, c: gn.cat([a, b, c]), lambda a, b, c: np.concatenate([a, b, c]),
      lambda a, b, c: T.cat([a, b, c]), "cat", 3,
      shapes=(((2,), (3,), (1,)), ((1, 2), (3, 2), (2, 2))), large=((4, 5), (3, 5), (1, 5))),
    O("cat_dim1", lambda a, b: gn.cat((a, b), dim=-1), lambda a, b: np.concatenate([a, b], -1),
      lambda a, b: T.cat((a, b), dim=-1), "cat", 2, shapes=(((3, 2), (3, 1)), ((1, 2), (1, 3))),
      large=((4, 5), (4, 3))),
    O("concatenate", lambda a, b: gn.concatenate([a, b], 1), lambda a, b: np.concatenate([a, b], 1),
      lambda a, b: T.concatenate([a, b], 1), "concatenate", 2, shapes=(((3, 2), (3, 1)),),
      large=((4, 5), (4, 3))),
    O("stack", lambda a, b: gn.stack([a, b]), lambda a, b: np.stack([a, b]),
      lambda a, b: T.stack([a, b]), "stack", 2,
      shapes=(((), ()), ((2,), (2,)), ((3, 2), (3, 2)), ((1, 2), (1, 2))), large=((5, 4), (5, 4))),
    O("stack_last", lambda a, b, c: gn.stack([a, b, c], dim=-1),
      lambda a, b, c: np.stack([a, b, c], -1), lambda a, b, c: T.stack([a, b, c], -1), "stack",
      3, shapes=(((2,),) * 3, ((3, 2),) * 3), large=((5, 4),) * 3),
    O("hstack", lambda a, b: gn.hstack([a, b]), lambda a, b: np.hstack([a, b]),
      lambda a, b: T.hstack([a, b]), "hstack", 2,
      shapes=(((), ()), ((2,), (3,)), ((3, 2), (3, 1)), ((2, 1, 2), (2, 3, 2))), large=((4, 5), (4, 3))),
    O("vstack", lambda a, b: gn.vstack((a, b)), lambda a, b: np.vstack((a, b)),
      lambda a, b: T.vstack((a, b)), "vstack", 2,
      shapes=(((), ()), ((2,), (2,)), ((3, 2), (1, 2)), ((2,), (3, 2))), large=((4, 5), (3, 5))),
    O("dstack", lambda a, b: gn.dstack([a, b]), lambda a, b: np.dstack([a, b]),
      lambda a, b: T.dstack([a, b]), "dstack", 2,
      shapes=(((), ()), ((2,), (2,)), ((3, 2), (3, 2)), ((3, 2), (3, 2, 2))), large=((4, 5), (4, 5))),
    O("column_stack", lambda a, b: gn.column_stack([a, b]), lambda a, b: np.column_stack([a, b]),
      lambda a, b: T.column_stack([a, b]), "column_stack", 2,
      shapes=(((), ()), ((3,), (3,)), ((3, 2), (3,)), ((2,), (2, 3))), large=((5, 4), (5,))),
    O("pad_last", lambda x: gn.pad(x, (1, 2)), lambda x: _np_pad_last(x, (1, 2)),
      lambda x: _F().pad(x, (1, 2)), "pad", shapes=ND1),
    O("pad_2d_value", lambda x: gn.pad(x, (1, 0, 2, 1), value=0.5),
      lambda x: np.pad(x, [(2, 1), (1, 0)], constant_values=0.5),
      lambda x: _F().pad(x, (1, 0, 2, 1), value=0.5), "pad", shapes=ND2),
    O("pad_numpy_form", lambda x: gn.pad(x, ((1, 0), (0, 2))),
      lambda x: np.pad(x, ((1, 0), (0, 2))), lambda x: _F().pad(x, (0, 2, 1, 0)), "pad",
      shapes=ND2),
    O("pad_negative_crops", lambda x: gn.pad(x, (-1, 2)), lambda x: _np_pad_last(x[..., 1:], (0, 2)),
      lambda x: _F().pad(x, (-1, 2)), "pad", shapes=ND1),
    O("setitem_slice", lambda x, v: gn.ops.setitem(x, (slice(0, 2),), v), _np_setitem((slice(0, 2),)),
      _torch_setitem((slice(0, 2),)), "setitem", nargs=2, shapes=(((3, 2), (2,)), ((3, 2), (2, 2)))),
    O("setitem_rows", lambda x, v: gn.ops.setitem(x, np.array([2, 0]), v), _np_setitem(np.array([2, 0])),
      lambda x, v: _torch_setitem(T.tensor([2, 0]))(x, v), "setitem", nargs=2,
      shapes=(((3, 2), (2, 2)), ((4,), (2,)))),
    O("getitem_slice", _gi["slice"], _gi["slice"], SAME, "getitem", shapes=(((3, 2),), ((2,),))),
    O("getitem_step", _gi["step"], _gi["step"], SAME, "getitem", shapes=(((3, 2),), ((5,),))),
    O("getitem_int", _gi["int"], _gi["int"], SAME, "getitem", shapes=ND1),
    O("getitem_ellipsis", _gi["ellipsis"], _gi["ellipsis"], SAME, "getitem", shapes=ND1),
    O("getitem_newaxis", _gi["newaxis"], _gi["newaxis"], SAME, "getitem", shapes=ND1),
    O("getitem_repeated", _gi["repeated"], _gi["repeated"], SAME, "getitem",
      shapes=(((2,),), ((3, 2),))),
    O("getitem_fancy_2d", _gi["fancy_2d"], _gi["fancy_2d"], SAME, "getitem",
      shapes=(((3, 2),),)),
    O("getitem_mixed", _gi["mixed"], _gi["mixed"], SAME, "getitem", shapes=(((3, 2),),)),
    O("getitem_tensor_index", lambda x: x[gn.tensor([2, 0, 2])], lambda x: x[np.array([2, 0, 2])],
      lambda x: x[T.tensor([2, 0, 2])], "getitem", shapes=(((3, 2),), ((3,),))),
    O("getitem_mask", _gi["mask"], _gi["mask"], SAME, "getitem"),
    O("getitem_bool_list", _gi["bool_list"], _gi["bool_list"], SAME, "getitem",
      shapes=(((3, 2),), ((3,),)), large=((3, 5),)),
    O("getitem_function", lambda x: gn.ops.getitem(x, (slice(None), 0)), lambda x: x[:, 0],
      lambda x: x[:, 0], "getitem", shapes=ND2),
    O("getitem_int_slice_list", lambda x: x[0, :, [1, 0, 1]], lambda x: x[0][:, [1, 0, 1]], SAME,
      "getitem", shapes=(((2, 3, 2),), ((1, 2, 3),)), large=((3, 4, 5),)),
    # -- activations and the softmax family ----------------------------------------------
    O("relu", gn.relu, lambda x: np.maximum(x, 0), lambda x: T.relu(x), "relu"),
    O("leaky_relu", lambda x: gn.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x),
      lambda x: _F().leaky_relu(x, 0.1), "leaky_relu"),
    O("leaky_relu_default", lambda x: x.leaky_relu(), lambda x: np.where(x > 0, x, 0.01 * x),
      lambda x: _F().leaky_relu(x), "leaky_relu"),
    O("sigmoid", gn.sigmoid, lambda x: 1 / (1 + np.exp(-x)), lambda x: T.sigmoid(x), "sigmoid",
      domain="smooth"),
    O("tanh", gn.tanh, np.tanh, lambda x: T.tanh(x), "tanh", domain="smooth"),
    O("gelu", gn.gelu, _np_gelu, lambda x: _F().gelu(x), "gelu", domain="smooth"),
    O("gelu_tanh", gn.gelu, _np_gelu, lambda x, approximate: _F().gelu(x, approximate=approximate),
      "gelu", domain="smooth", kwargs={"approximate": "tanh"}),
    O("elu", gn.ops.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), lambda x: _F().elu(x),
      "elu", domain="smooth"),
    O("elu_alpha", gn.ops.elu, lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))),
      lambda x, alpha: _F().elu(x, alpha), "elu", kwargs={"alpha": 0.5}),
    O("silu", gn.ops.silu, lambda x: x / (1 + np.exp(-x)), lambda x: _F().silu(x), "silu", domain="smooth"),
    O("mish", gn.ops.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), lambda x: _F().mish(x), "mish",
      domain="smooth"),
    O("hardtanh", gn.ops.hardtanh, lambda x: np.clip(x, -1.0, 1.0), lambda x: _F().hardtanh(x), "hardtanh"),
    O("hardtanh_limits", gn.ops.hardtanh, lambda x, min_val, max_val: np.clip(x, min_val, max_val),
      lambda x, **k: _F().hardtanh(x, **k), "hardtanh", kwargs={"min_val": -0.75, "max_val": 1.25}),
    O("softsign", gn.ops.softsign, lambda x: x / (1 + np.abs(x)), lambda x: _F().softsign(x), "softsign"),
    O("logsigmoid", gn.ops.logsigmoid, lambda x: -np.log1p(np.exp(-x)), lambda x: _F().logsigmoid(x),
      "logsigmoid", domain="smooth"),
    O("tanhshrink", gn.ops.tanhshrink, lambda x: x - np.tanh(x), lambda x: _F().tanhshrink(x), "tanhshrink",
      domain="smooth"),
    O("softmax", lambda x: gn.softmax(x, -1), _np_softmax, lambda x: T.softmax(x, -1), "softmax",
      domain="smooth"),
    O("softmax_dim0", gn.softmax, _np_softmax, T.softmax, "softmax", domain="smooth",
      kwargs={"dim": 0}, shapes=ND2),
    O("log_softmax", lambda x: gn.log_softmax(x, -1), _np_log_softmax, lambda x: T.log_softmax(x, -1),
      "log_softmax", domain="smooth"),
    O("log_softmax_dim0", lambda x: x.log_softmax(dim=0), lambda x: _np_log_softmax(x, 0), SAME,
      "log_softmax", domain="smooth", shapes=ND2),
    O("softmax_cross_entropy", _gn_softmax_xent, _np_softmax_xent, _torch_softmax_xent,
      "SoftmaxCrossEntropy", domain="smooth", shapes=ND2),
    O("softmax_cross_entropy_index", _gn_xent_index, _np_xent_index, _torch_xent_index,
      "SoftmaxCrossEntropyIndex", domain="smooth", shapes=ND2),
    O("softmax_cross_entropy_index_mean", _gn_xent_index, _np_xent_index, _torch_xent_index,
      "SoftmaxCrossEntropyIndex", domain="smooth", shapes=ND2, kwargs={"reduction": "mean"}),
    O("softmax_cross_entropy_index_sum", _gn_xent_index, _np_xent_index, _torch_xent_index,
      "SoftmaxCrossEntropyIndex", domain="smooth", shapes=ND2, kwargs={"reduction": "sum"}),
    O("binary_cross_entropy", _gn_bce, _np_bce, _torch_bce, "BinaryCrossEntropy", 2, "smooth",
      shapes=BINARY[:4], large=((5, 4), (5, 4))),
    O("binary_cross_entropy_with_logits", _gn_bce_logits, _np_bce_logits, _torch_bce_logits,
      "BinaryCrossEntropyWithLogits", 2, "smooth", shapes=BINARY[:4], large=((5, 4), (5, 4))),
    O("binary_cross_entropy_with_logits_pos_weight", _gn_bce_logits, _np_bce_logits,
      _torch_bce_logits, "BinaryCrossEntropyWithLogits", 2, "smooth",
      kwargs={"pos_weight": 2.5}, shapes=BINARY[:4], large=((5, 4), (5, 4))),
    # CTC through log_softmax on logits (T, N, C): repeated labels, an empty target, two input
    # lengths (ctc_reference.py; the NumPy reference enumerates every path)
    O("ctc_loss", gn_ctc_registry, np_ctc_registry, torch_ctc_registry, "CtcLoss", domain="smooth",
      shapes=(((4, 3, 3),), ((3, 4, 4),)), large=((6, 4, 5),)),
    # -- recurrent scans (T=3, N=2, I=3 or 1, H=2) and the embedding lookup ------------------
    O("rnn_scan_tanh", rnn_scan, np_rnn_scan, torch_rnn_scan, "RNNScan", 6, "smooth",
      shapes=(_scan_shapes(1, 3),), large=_scan_shapes(1, 4, T=5, N=3, H=4)),
    O("rnn_scan_relu_reverse", rnn_scan, np_rnn_scan, torch_rnn_scan, "RNNScan", 6, "smooth",
      kwargs={"nonlinearity": "relu", "reverse": True},
      shapes=(_scan_shapes(1, 3),), large=_scan_shapes(1, 4, T=5, N=3, H=4)),
    O("gru_scan", gru_scan, np_gru_scan, torch_gru_scan, "GRUScan", 6, "smooth",
      shapes=(_scan_shapes(3, 3), _scan_shapes(3, 1)), large=_scan_shapes(3, 4, T=5, N=3, H=4)),
    O("gru_scan_reverse", gru_scan, np_gru_scan, torch_gru_scan, "GRUScan", 6, "smooth",
      kwargs={"reverse": True}, shapes=(_scan_shapes(3, 3),), large=_scan_shapes(3, 4, T=5, N=3, H=4)),
    O("lstm_scan", lstm_scan, np_lstm_scan, torch_lstm_scan, "LSTMScan", 7, "smooth",
      shapes=(_scan_shapes(4, 3), _scan_shapes(4, 1)), large=_scan_shapes(4, 4, T=5, N=3, H=4)),
    O("lstm_scan_reverse", lstm_scan, np_lstm_scan, torch_lstm_scan, "LSTMScan", 7, "smooth",
      kwargs={"reverse": True}, shapes=(_scan_shapes(4, 3),), large=_scan_shapes(4, 4, T=5, N=3, H=4)),
    O("lstm_proj_scan", lstm_proj_scan, np_lstm_proj_scan, torch_lstm_proj_scan, "LSTMProjScan", 8, "smooth",
      shapes=(_proj_scan_shapes(3), _proj_scan_shapes(1, H=2, P=1)),
      large=_proj_scan_shapes(4, T=5, N=3, H=4)),
    O("lstm_proj_scan_reverse", lstm_proj_scan, np_lstm_proj_scan, torch_lstm_proj_scan, "LSTMProjScan", 8,
      "smooth", kwargs={"reverse": True}, shapes=(_proj_scan_shapes(3),),
      large=_proj_scan_shapes(4, T=5, N=3)),
    O("embedding", lambda w: gn.nn.functional.embedding(_EMB_IDX, w), lambda w: w[_EMB_IDX],
      lambda w: _F().embedding(T.tensor(_EMB_IDX), w), "EmbeddingLookup", domain="smooth",
      shapes=(((3, 2),), ((4, 3),)), large=((5, 4),)),
    # -- convolution and pooling (im2col + GEMM; NumPy references in conv_reference.py) -----
    O("conv2d", gn.nn.functional.conv2d, CR.conv2d, lambda x, w, b: _F().conv2d(x, w, b), "Conv", 3,
      "smooth", shapes=(((2, 2, 5, 5), (3, 2, 3, 3), (3,)), ((1, 1, 4, 3), (2, 1, 2, 2), (2,))),
      large=((2, 12, 7, 6), (4, 12, 3, 3), (4,))),  # C·∏k = 108 > 96: the rows kernel, with bias
    O("conv2d_stride_pad", gn.nn.functional.conv2d, CR.conv2d, lambda x, w, **k: _F().conv2d(x, w, **k),
      "Conv", 2, "smooth", kwargs={"stride": (2, 1), "padding": 1},
      shapes=(((2, 2, 5, 4), (3, 2, 3, 3)),), large=((2, 3, 8, 7), (4, 3, 3, 3))),
    O("conv2d_dilation", gn.nn.functional.conv2d, CR.conv2d, lambda x, w, **k: _F().conv2d(x, w, **k),
      "Conv", 2, "smooth", kwargs={"dilation": (2, 1), "padding": (1, 0), "stride": 2},
      shapes=(((1, 2, 6, 5), (2, 2, 3, 2)),), large=((2, 12, 9, 8), (4, 12, 3, 3))),
    O("conv2d_groups", gn.nn.functional.conv2d, CR.conv2d, lambda x, w, **k: _F().conv2d(x, w, **k),
      "Conv", 2, "smooth", kwargs={"groups": 2, "padding": 1},
      shapes=(((2, 4, 4, 4), (6, 2, 3, 3)),), large=((2, 24, 7, 6), (4, 12, 3, 3))),
    O("conv2d_same_even_kernel", gn.nn.functional.conv2d, CR.conv2d, _torch_conv_quiet("conv2d"), "Conv", 2,
      "smooth", kwargs={"padding": "same"},
      shapes=(((1, 2, 4, 5), (2, 2, 2, 3)),), large=((2, 3, 7, 6), (4, 3, 4, 3))),
    O("conv1d", gn.nn.functional.conv1d, CR.conv1d, lambda x, w, b: _F().conv1d(x, w, b), "Conv", 3,
      "smooth", shapes=(((2, 3, 7), (4, 3, 3), (4,)),), large=((4, 3, 20), (5, 3, 5), (5,))),
    O("conv1d_stride_pad_dilation", gn.nn.functional.conv1d, CR.conv1d,
      lambda x, w, **k: _F().conv1d(x, w, **k), "Conv", 2, "smooth",
      kwargs={"stride": 2, "padding": 2, "dilation": 2}, shapes=(((2, 2, 9), (3, 2, 3)),),
      large=((4, 20, 20), (5, 20, 5))),
    O("conv1d_groups_same", gn.nn.functional.conv1d, CR.conv1d, _torch_conv_quiet("conv1d"), "Conv", 2,
      "smooth",
      kwargs={"groups": 3, "padding": "same"}, shapes=(((2, 3, 6), (6, 1, 4)),),
      large=((4, 6, 20), (6, 2, 5))),
    O("max_pool2d", gn.nn.functional.max_pool2d, CR.max_pool2d, lambda x, **k: _F().max_pool2d(x, **k),
      "MaxPool", kwargs={"kernel_size": 2}, shapes=(((2, 2, 4, 6),), ((1, 1, 5, 5),)),
      large=((2, 3, 8, 8),)),
    O("max_pool2d_overlap_pad", gn.nn.functional.max_pool2d, CR.max_pool2d,
      lambda x, **k: _F().max_pool2d(x, **k), "MaxPool",
      kwargs={"kernel_size": 3, "stride": 2, "padding": 1}, shapes=(((2, 2, 5, 6),),),
      large=((2, 3, 9, 8),)),
    O("max_pool2d_dilation_ceil", gn.nn.functional.max_pool2d, CR.max_pool2d,
      lambda x, **k: _F().max_pool2d(x, **k), "MaxPool",
      kwargs={"kernel_size": (2, 3), "stride": 2, "dilation": (2, 1), "ceil_mode": True},
      shapes=(((1, 2, 6, 6),),), large=((2, 3, 9, 8),)),
    O("max_pool2d_kernel_1x2_overlap", gn.nn.functional.max_pool2d, CR.max_pool2d,
      lambda x, **k: _F().max_pool2d(x, **k), "MaxPool", kwargs={"kernel_size": (1, 2), "stride": (2, 1)},
      shapes=(((2, 2, 5, 6),),), large=((2, 3, 9, 8),)),
    O("max_pool1d_kernel1", gn.nn.functional.max_pool1d, CR.max_pool1d,
      lambda x, **k: _F().max_pool1d(x, **k), "MaxPool", kwargs={"kernel_size": 1, "stride": 2},
      shapes=(((2, 3, 7),),), large=((4, 3, 20),)),
    O("max_pool1d", gn.nn.functional.max_pool1d, CR.max_pool1d, lambda x, **k: _F().max_pool1d(x, **k),
      "MaxPool", kwargs={"kernel_size": 3, "stride": 2, "padding": 1}, shapes=(((2, 3, 7),),),
      large=((4, 3, 20),)),
    O("avg_pool2d", gn.nn.functional.avg_pool2d, CR.avg_pool2d, lambda x, **k: _F().avg_pool2d(x, **k),
      "AvgPool", kwargs={"kernel_size": 2}, shapes=(((2, 2, 4, 6),),), large=((2, 3, 8, 8),)),
    O("avg_pool2d_pad_exclude", gn.nn.functional.avg_pool2d, CR.avg_pool2d,
      lambda x, **k: _F().avg_pool2d(x, **k), "AvgPool",
      kwargs={"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
      shapes=(((2, 2, 5, 6),),), large=((2, 3, 9, 8),)),
    O("avg_pool2d_divisor", gn.nn.functional.avg_pool2d, CR.avg_pool2d,
      lambda x, **k: _F().avg_pool2d(x, **k), "AvgPool",
      kwargs={"kernel_size": (2, 3), "stride": 1, "padding": 1, "divisor_override": 4},
      shapes=(((1, 2, 4, 5),),), large=((2, 3, 9, 8),)),
    O("avg_pool1d", gn.nn.functional.avg_pool1d, CR.avg_pool1d, lambda x, **k: _F().avg_pool1d(x, **k),
      "AvgPool", kwargs={"kernel_size": 3, "stride": 2, "padding": 1}, shapes=(((2, 3, 7),),),
      large=((4, 3, 20),)),
    O("adaptive_avg_pool2d", gn.nn.functional.adaptive_avg_pool2d, CR.adaptive_avg_pool2d,
      lambda x, **k: _F().adaptive_avg_pool2d(x, **k), "matmul", kwargs={"output_size": (3, 2)},
      shapes=(((2, 2, 5, 5),), ((1, 1, 3, 4),)), large=((2, 3, 9, 8),)),
    O("batch_norm_train", _gn_bn(True), CR.batch_norm_train, _torch_bn(True), "BatchNorm", 3,
      ("smooth", "nonzero", "smooth"), shapes=(((4, 3, 2, 2), (3,), (3,)), ((3, 3, 5), (3,), (3,))),
      large=((5, 3, 4, 4), (3,), (3,))),
    O("batch_norm_eval", _gn_bn(False), CR.batch_norm_eval, _torch_bn(False), "BatchNorm", 3,
      ("smooth", "nonzero", "smooth"), shapes=(((2, 3, 2, 2), (3,), (3,)), ((4, 3), (3,), (3,))),
      large=((5, 3, 4, 4), (3,), (3,))),
    O("batch_norm_train_2d", _gn_bn(True), CR.batch_norm_train, _torch_bn(True), "BatchNorm", 3,
      ("smooth", "nonzero", "smooth"), shapes=(((6, 3), (3,), (3,)), ((2, 4), (4,), (4,))),
      large=((8, 5), (5,), (5,))),
    O("batch_norm_train_no_affine", lambda x: _gn_bn(True)(x, None, None),
      lambda x: CR.batch_norm_train(x, np.ones(x.shape[1]), np.zeros(x.shape[1])),
      lambda x: _torch_bn(True)(x, None, None), "BatchNorm", domain="smooth",
      shapes=(((4, 3, 2, 2),), ((5, 3),)), large=((5, 3, 4, 4),)),
    O("batch_norm_train_weight_only", lambda x, w: _gn_bn(True)(x, w, None),
      lambda x, w: CR.batch_norm_train(x, w, np.zeros_like(w)), lambda x, w: _torch_bn(True)(x, w, None),
      "BatchNorm", 2, ("smooth", "nonzero"), shapes=(((3, 2, 4), (2,)),), large=((5, 3, 6), (3,))),
    O("batch_norm_eval_bias_only", lambda x, b: _gn_bn(False)(x, None, b),
      lambda x, b: CR.batch_norm_eval(x, np.ones_like(b), b), lambda x, b: _torch_bn(False)(x, None, b),
      "BatchNorm", 2, "smooth", shapes=(((4, 3, 2), (3,)),), large=((5, 3, 4, 4), (3,))),
    # -- PyTorch's wider elementwise math (issue #16) -------------------------------------
    O("sin", gn.sin, np.sin, lambda x: T.sin(x), "sin", domain="smooth"),
    O("cos", gn.cos, np.cos, lambda x: T.cos(x), "cos", domain="smooth"),
    O("tan", lambda x: (x / 2).tan(), lambda x: np.tan(x / 2), SAME, "tan", domain="smooth"),
    O("asin", lambda x: (x / 3).asin(), lambda x: np.arcsin(x / 3), SAME, "asin"),
    O("acos", lambda x: (x / 3).acos(), lambda x: np.arccos(x / 3), SAME, "acos"),
    O("atan", gn.atan, np.arctan, lambda x: T.atan(x), "atan", domain="smooth"),
    O("atan2", gn.atan2, np.arctan2, lambda y, x: T.atan2(y, x), "atan2", 2, shapes=BINARY),
    O("sinh", gn.sinh, np.sinh, lambda x: T.sinh(x), "sinh", domain="smooth"),
    O("cosh", gn.cosh, np.cosh, lambda x: T.cosh(x), "cosh", domain="smooth"),
    O("asinh", gn.asinh, np.arcsinh, lambda x: T.asinh(x), "asinh", domain="smooth"),
    O("acosh", lambda x: (x + 1.5).acosh(), lambda x: np.arccosh(x + 1.5), SAME, "acosh", domain="positive"),
    O("atanh", lambda x: (x / 3).atanh(), lambda x: np.arctanh(x / 3), SAME, "atanh"),
    O("log1p", gn.log1p, np.log1p, lambda x: T.log1p(x), "log1p", domain="positive"),
    O("expm1", gn.expm1, np.expm1, lambda x: T.expm1(x), "expm1", domain="smooth"),
    O("log2", gn.log2, np.log2, lambda x: T.log2(x), "log2", domain="positive"),
    O("log10", gn.log10, np.log10, lambda x: T.log10(x), "log10", domain="positive"),
    O("erf", gn.erf, _erf, lambda x: T.erf(x), "erf", domain="smooth"),
    O("softplus", gn.softplus, _np_softplus, lambda x: _F().softplus(x), "softplus", domain="smooth"),
    O("softplus_beta_threshold", gn.softplus, _np_softplus, lambda x, **k: _F().softplus(x, **k), "softplus",
      domain="smooth", kwargs={"beta": 2.0, "threshold": 1.0}),
    O("sign", gn.sign, np.sign, lambda x: T.sign(x), "sign"),
    O("floor", gn.floor, np.floor, lambda x: T.floor(x), "floor"),
    O("ceil", gn.ceil, np.ceil, lambda x: T.ceil(x), "ceil"),
    O("round", gn.round, np.round, lambda x: T.round(x), "round"),
    O("round_decimals", lambda x: x.round(decimals=1), lambda x: np.round(x, 1), SAME, "round"),
    O("trunc", gn.trunc, np.trunc, lambda x: T.trunc(x), "trunc"),
    O("frac", gn.frac, lambda x: x - np.trunc(x), lambda x: T.frac(x), "frac"),
    O("reciprocal", gn.reciprocal, np.reciprocal, lambda x: T.reciprocal(x), "reciprocal"),
    O("rsqrt", gn.rsqrt, lambda x: x**-0.5, lambda x: T.rsqrt(x), "rsqrt", domain="positive"),
    O("square", gn.square, np.square, lambda x: T.square(x), "square"),
    O("remainder", gn.remainder, np.remainder, lambda x, y: T.remainder(x, y), "remainder", 2,
      ("smooth", "positive"), shapes=BINARY),
    O("remainder_operator", lambda x, y: x % y, np.remainder, SAME, "remainder", 2, ("smooth", "nonzero"),
      shapes=BINARY),
    O("fmod", gn.fmod, np.fmod, lambda x, y: T.fmod(x, y), "fmod", 2, ("smooth", "nonzero"), shapes=BINARY),
    O("floor_divide_constant", lambda x: x * (x.detach() // 0.75), lambda x: x * np.floor_divide(x, 0.75),
      SAME, "floor_divide"),
    O("div_floor", lambda x, y: gn.div(x, y, rounding_mode="floor"), lambda x, y: np.floor(x / y),
      lambda x, y: T.div(x, y, rounding_mode="floor"), "div", 2, ("smooth", "nonzero"), shapes=BINARY),
    O("div_trunc", lambda x, y: x.div(y, rounding_mode="trunc"), lambda x, y: np.trunc(x / y), SAME, "div", 2,
      ("smooth", "nonzero"), shapes=BINARY),
    # -- running sums and products, norms --------------------------------------------------
    O("cumsum_dim0", gn.cumsum, lambda x, dim: np.cumsum(x, dim), T.cumsum, "cumsum", kwargs={"dim": 0},
      shapes=ND1),
    O("cumsum_dim_last", gn.cumsum, lambda x, dim: np.cumsum(x, dim), T.cumsum, "cumsum", kwargs={"dim": -1},
      shapes=ND2),
    O("cumprod_dim1", gn.cumprod, lambda x, dim: np.cumprod(x, dim), T.cumprod, "cumprod", kwargs={"dim": 1},
      shapes=ND2),
    O("cumprod_dim0", gn.cumprod, lambda x, dim: np.cumprod(x, dim), T.cumprod, "cumprod", kwargs={"dim": 0},
      shapes=ND1),
    O("prod", gn.prod, np.prod, lambda x: T.prod(x), "prod"),
    O("prod_dim1_keepdim", gn.prod, _np_prod, T.prod, "prod", kwargs={"dim": 1, "keepdim": True}, shapes=ND2),
    O("prod_dim0", gn.prod, _np_prod, T.prod, "prod", kwargs={"dim": 0}, shapes=ND1),
    O("norm", gn.norm, _np_norm, lambda x: T.norm(x), "norm", shapes=ND1),
    O("norm_dim1", gn.norm, _np_norm, lambda x, dim: T.norm(x, dim=dim), "norm", kwargs={"dim": 1},
      shapes=ND2),
    O("norm_p1_keepdim", gn.norm, _np_norm, T.norm, "norm", kwargs={"p": 1, "dim": 0, "keepdim": True},
      shapes=ND1),
    O("norm_p3", gn.norm, _np_norm, T.norm, "norm", kwargs={"p": 3}, shapes=ND1),
    O("norm_inf", lambda x: x.norm(p=float("inf")), lambda x: np.abs(x).max(), SAME, "norm", shapes=ND1),
    O("norm_nuc", lambda x: x.norm(p="nuc"), lambda x: np.linalg.norm(x, "nuc"), lambda x: T.norm(x, p="nuc"),
      "norm", domain="smooth", shapes=(((3, 3),), ((2, 3),)), large=((6, 4),)),
    O("norm_nuc_dims_keepdim", lambda x: gn.norm(x, "nuc", (0, 2), True),
      lambda x: np.linalg.norm(np.moveaxis(x, 1, 0), "nuc", axis=(-2, -1))[None, :, None],
      lambda x: T.norm(x, "nuc", (0, 2), True), "norm", domain="smooth", shapes=(((3, 2, 4),),),
      large=((3, 2, 5),)),
    # -- gather, scatter, sorting --------------------------------------------------------------
    O("gather", lambda x: x.gather(1, _gn_index(x)), lambda x: np.take_along_axis(x, _index_for(x.shape), 1),
      lambda x: x.gather(1, _torch_index(x)), "gather", shapes=ND2),
    O("gather_fewer", lambda x: gn.gather(x, 1, _gn_index(x, k=1)),
      lambda x: np.take_along_axis(x, _index_for(x.shape, k=1), 1),
      lambda x: T.gather(x, 1, _torch_index(x, k=1)), "gather", shapes=ND2),
    O("take_along_dim", lambda x: gn.take_along_dim(x, _gn_index(x), 1),
      lambda x: np.take_along_axis(x, _index_for(x.shape), 1),
      lambda x: T.take_along_dim(x, _torch_index(x), 1), "take_along_dim", shapes=ND2),
    O("scatter", lambda x, s: x.scatter(1, _gn_index(x, k=s.shape[1], distinct=True), s), _np_scatter,
      lambda x, s: x.scatter(1, _torch_index(x, k=s.shape[1], distinct=True), s), "scatter", 2,
      shapes=(((3, 4), (3, 2)), ((2, 3), (2, 3))), large=((5, 6), (5, 4))),
    O("scatter_add", lambda x, s: gn.scatter_add(x, 1, _gn_index(x, k=s.shape[1]), s),
      lambda x, s: _np_scatter(x, s, add=True),
      lambda x, s: T.scatter_add(x, 1, _torch_index(x, k=s.shape[1]), s),
      "scatter_add", 2, shapes=(((3, 2), (3, 4)), ((2, 3), (2, 3))), large=((5, 3), (5, 6))),
    # scatter(reduce=) has no gradient (as PyTorch's): its value multiplies an input that has one
    O("scatter_multiply_constant",
      lambda x: x * gn.ones_like(x).scatter(1, _gn_index(x, k=3), 1.5, reduce="multiply"),
      lambda x: x * _np_scatter_multiply(np.ones_like(x)),
      lambda x: x * T.ones_like(x).scatter(1, _torch_index(x, k=3), 1.5, reduce="multiply"), "scatter",
      shapes=(((3, 2),), ((2, 4),)), large=((5, 3),)),
    O("sort", lambda x: gn.sort(x).values, lambda x: np.sort(x, -1), lambda x: T.sort(x).values, "sort",
      shapes=ND1),
    O("sort_dim0_descending", lambda x: x.sort(dim=0, descending=True)[0], lambda x: -np.sort(-x, 0), SAME,
      "sort", shapes=ND1),
    O("topk", lambda x: x.topk(2).values, lambda x: -np.sort(-x, -1)[..., :2], SAME, "topk", shapes=ND2),
    O("topk_smallest_dim0", lambda x: gn.topk(x, 1, dim=0, largest=False)[0],
      lambda x: np.sort(x, 0)[:1], lambda x: T.topk(x, 1, dim=0, largest=False)[0], "topk", shapes=ND1),
    O("index_select", lambda x: gn.index_select(x, 0, gn.tensor([0, 0, 1])), lambda x: x[[0, 0, 1]],
      lambda x: T.index_select(x, 0, T.tensor([0, 0, 1])), "index_select", shapes=(((3, 2),), ((2,),))),
    O("masked_select", lambda x: gn.masked_select(x, x > 0), lambda x: x[x > 0],
      lambda x: T.masked_select(x, x > 0), "masked_select"),
    # -- rearranging (compositions) --------------------------------------------------------------
    O("flip", lambda x: gn.flip(x, (0,)), lambda x: np.flip(x, 0), lambda x: T.flip(x, (0,)), "flip",
      shapes=ND1),
    O("flip_all", lambda x: x.flip(0, -1), lambda x: np.flip(x, (0, -1)), SAME, "flip", shapes=ND2),
    O("fliplr", gn.fliplr, np.fliplr, lambda x: T.fliplr(x), "fliplr", shapes=ND2),
    O("flipud", gn.flipud, np.flipud, lambda x: T.flipud(x), "flipud", shapes=ND1),
    O("roll", lambda x: gn.roll(x, 1, 0), lambda x: np.roll(x, 1, 0), lambda x: T.roll(x, 1, 0), "roll",
      shapes=ND1),
    O("roll_flat", lambda x: x.roll(-2), lambda x: np.roll(x, -2), SAME, "roll", shapes=ND1),
    O("roll_two_dims", lambda x: x.roll((1, 3), (0, 1)), lambda x: np.roll(x, (1, 3), (0, 1)), SAME, "roll",
      shapes=ND2),
    O("tril", gn.tril, np.tril, lambda x: T.tril(x), "tril", shapes=(((3, 2),), ((2, 3),), ((2, 3, 3),))),
    O("triu_diagonal", lambda x: x.triu(1), lambda x: np.triu(x, 1), SAME, "triu",
      shapes=(((3, 2),), ((3, 3),))),
    O("split_sizes", lambda x: gn.cat(gn.split(x, [1, 2], 0)[::-1]), lambda x: np.concatenate([x[1:], x[:1]]),
      lambda x: T.cat(T.split(x, [1, 2], 0)[::-1]), "split", shapes=(((3, 2),), ((3,),)), large=((3, 5),)),
    O("split_size", lambda x: x.split(1, -1)[1] * 2, lambda x: x[..., 1:2] * 2, SAME, "split", shapes=ND2),
    O("chunk", lambda x: x.chunk(2, 0)[0], lambda x: x[:2], SAME, "chunk", shapes=(((3, 2),), ((4,),))),
    O("unbind", lambda x: gn.unbind(x, 1)[1] - x.unbind(1)[0], lambda x: x[:, 1] - x[:, 0],
      lambda x: T.unbind(x, 1)[1] - x.unbind(1)[0], "unbind", shapes=ND2),
    O("narrow", lambda x: x.narrow(0, 1, 2), lambda x: x[1:3], SAME, "narrow", shapes=(((3, 2),), ((4,),))),
    O("select", lambda x: x.select(1, -1), lambda x: x[:, -1], SAME, "select", shapes=ND2),
    O("repeat", lambda x: x.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)), SAME, "repeat",
      shapes=UNARY[1:]),
    O("tile", lambda x: gn.tile(x, (2,)), lambda x: np.tile(x, 2), lambda x: T.tile(x, (2,)), "tile"),
    O("repeat_interleave", lambda x: x.repeat_interleave(2, dim=0), lambda x: np.repeat(x, 2, 0), SAME,
      "repeat_interleave", shapes=ND1),
    O("diag_embed", gn.diag, np.diag, lambda x: T.diag(x), "diag", shapes=(((3,),), ((1,),))),
    O("diag_offset", lambda x: gn.diag(x, -1), lambda x: np.diag(x, -1), lambda x: T.diag(x, -1), "diag",
      shapes=(((3, 2),), ((2,),))),
    O("diagonal_3d", lambda x: x.diagonal(0, 1, 2), lambda x: np.diagonal(x, 0, 1, 2), SAME, "diagonal",
      shapes=(((2, 3, 3),), ((2, 2, 3),)), large=((3, 4, 4),)),
    O("trace", gn.trace, np.trace, lambda x: T.trace(x), "trace", shapes=(((3, 2),), ((2, 2),))),
    O("movedim", lambda x: gn.movedim(x, 0, -1), lambda x: np.moveaxis(x, 0, -1),
      lambda x: T.movedim(x, 0, -1), "movedim", shapes=(((2, 3, 1),), ((3, 2),))),
    O("t", lambda x: x.t(), lambda x: x.T, SAME, "t", shapes=UNARY[1:]),
    O("unflatten", lambda x: gn.unflatten(x, 1, (2, 1)), lambda x: x.reshape(x.shape[0], 2, 1),
      lambda x: T.unflatten(x, 1, (2, 1)), "unflatten", shapes=ND2, large=((5, 2),)),
    O("clone", lambda x: x.clone(), lambda x: x.copy(), SAME, "clone"),
    # -- products and einsum -----------------------------------------------------------------
    O("mm", gn.mm, np.matmul, lambda a, b: T.mm(a, b), "mm", 2, shapes=(((2, 3), (3, 4)),),
      large=((8, 6), (6, 4))),
    O("bmm", gn.bmm, np.matmul, lambda a, b: T.bmm(a, b), "bmm", 2, shapes=(((2, 2, 3), (2, 3, 4)),),
      large=((3, 4, 5), (3, 5, 2))),
    O("mv", gn.mv, np.matmul, lambda a, b: T.mv(a, b), "mv", 2, shapes=(((2, 3), (3,)),),
      large=((6, 5), (5,))),
    O("outer", gn.outer, np.outer, lambda a, b: T.outer(a, b), "outer", 2, shapes=(((2,), (3,)),),
      large=((6,), (5,))),
    O("addmm", lambda c, a, b: gn.addmm(c, a, b, beta=0.5, alpha=2.0), lambda c, a, b: 0.5 * c + 2.0 * a @ b,
      lambda c, a, b: T.addmm(c, a, b, beta=0.5, alpha=2.0), "addmm", 3, shapes=(((2, 4), (2, 3), (3, 4)),
                                                                               ((4,), (2, 3), (3, 4))),
      large=((5, 4), (5, 6), (6, 4))),
    _ein("ij,jk->ik", (((2, 3), (3, 4)),), ((6, 5), (5, 4))),
    _ein("bij,bjk->bik", (((2, 2, 3), (2, 3, 2)),), ((3, 4, 5), (3, 5, 2))),
    _ein("ij,ij->i", (((3, 2), (3, 2)),), ((5, 4), (5, 4))),
    _ein("i,j->ij", (((2,), (3,)),), ((5,), (4,))),
    _ein("ij->", (((3, 2),),), ((5, 4),)),
    _ein("ii->i", (((3, 3),),), ((5, 5),)),
    _ein("ii", (((2, 2),),), ((4, 4),)),
    _ein("ij,kj", (((2, 3), (4, 3)),), ((5, 4), (3, 4))),
    _ein("...ij,...jk->...ik", (((2, 2, 3), (3, 2)), ((1, 2, 3), (2, 3, 2))), ((3, 4, 5), (5, 2))),
    _ein("bi,i->b", (((3, 2), (2,)),), ((5, 4), (4,))),
    # -- dtype conversion (float32 rounding: a larger step for finite differences) ----------
    O("cast_float32", lambda x: x.float(), lambda x: x.astype(np.float32), SAME, "cast",
      eps=1e-2, atol=1e-4, out_dtype=np.dtype(np.float32)),
    O("cast_astype", lambda x: gn.ops.cast(x, gn.float32).astype(gn.float64),
      lambda x: x.astype(np.float32).astype(np.float64), lambda x: x.float().double(), "cast",
      eps=1e-2, atol=1e-4, out_dtype=np.dtype(np.float64)),
]
REGISTRY += norm_ops(OpSpec, _F)  # F.layer_norm, F.group_norm, F.rms_norm: norm_modules.py
REGISTRY += linalg_ops(OpSpec)  # gn.linalg and torch's top-level linear algebra: linalg_cases.py
REGISTRY += more_ops(OpSpec)  # the rest of torch.* (issue #16): more_ops_cases.py
REGISTRY += fft_ops(OpSpec)  # gn.fft.fftshift / ifftshift (the transforms are forward-only): fft_cases.py
REGISTRY += resample_ops(OpSpec, _F)  # conv_transpose, interpolate, pad modes, …: resample_cases.py
REGISTRY += sampling_ops(OpSpec, _F)  # grid_sample bicubic / reflection / 3-D, …: sampling_cases.py
REGISTRY += surface_ops(OpSpec, _F)  # F.unfold / fold, adaptive max pools, embedding_bag, …: surface_ops.py
