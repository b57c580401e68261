"""A few more of PyTorch's functions, composed where differentiable:

- ``rsub`` (other − α·input), ``row_stack`` (``vstack``), ``cumulative_trapezoid``
  (the running trapezoid sums), ``diagonal_scatter`` (``setitem`` on a diagonal),
  ``index_reduce`` (``scatter_reduce`` with the 1-D index spread over the other axes);
- ``polygamma`` (ψ⁽ⁿ⁾, one primitive: its derivative is ψ⁽ⁿ⁺¹⁾; SciPy's values);
- no gradient: ``argwhere``, ``histogram``, ``bitwise_left_shift``, ``bitwise_right_shift``.
"""

from collections import namedtuple

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetError, GlassnetTypeError, GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._arrange import narrow
from glassnet.ops._convert import floating, normalize_dims, pair, write_out
from glassnet.ops._cumulative import cumsum
from glassnet.ops._elementwise import add, mul, sub
from glassnet.ops._index_more import _same_dtype, _spread, _vector_index, scatter_reduce
from glassnet.ops._setitem import setitem
from glassnet.ops._shape import reshape
from glassnet.ops._stacking import vstack

__all__ = ["rsub", "row_stack", "cumulative_trapezoid", "diagonal_scatter", "index_reduce", "polygamma",
           "argwhere", "histogram", "bitwise_left_shift", "bitwise_right_shift"]

HistogramResult = namedtuple("HistogramResult", ["hist", "bin_edges"])


def rsub(input, other, *, alpha=1):  # noqa: A002  (PyTorch's names)
    """``other − alpha · input`` (subtraction with the operands reversed)."""
    return sub(other, input, alpha=alpha) if isinstance(input, Tensor) else sub(other, mul(input, alpha))


def row_stack(tensors):
    """PyTorch's other name of :func:`vstack`."""
    return vstack(tensors)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid rule along ``dim``: ``out[i] = Σ_{j≤i} (y[j] + y[j+1])/2 · Δx_j``
    (one element fewer than ``y`` there)."""
    if y.dtype.kind == "b" or (isinstance(x, Tensor) and x.dtype.kind == "b"):
        raise GlassnetTypeError("cumulative_trapezoid: bool inputs are not supported (as in PyTorch)")
    axis = normalize_dims(dim, y.ndim, "cumulative_trapezoid")[0]
    n = y.shape[axis]
    if n == 0:
        return mul(y, 1.0)
    mid = mul(add(narrow(y, axis, 1, n - 1), narrow(y, axis, 0, n - 1)), 0.5)
    if x is None:
        return cumsum(mul(mid, 1.0 if dx is None else dx), axis)
    if x.ndim == 1 and y.ndim > 1:
        shape = [1] * y.ndim
        shape[axis] = -1
        x = reshape(x, shape)
    k = x.shape[axis if x.ndim == y.ndim else -1]
    spacing = sub(narrow(x, axis, 1, k - 1), narrow(x, axis, 0, k - 1))
    return cumsum(mul(mid, spacing), axis)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):  # noqa: A002
    """``input`` with its ``offset`` diagonal over ``dim1``, ``dim2`` replaced by ``src`` (whose
    last dimension runs along the diagonal, as ``input.diagonal(offset, dim1, dim2)``)."""
    d1, d2 = (normalize_dims(d, input.ndim, "diagonal_scatter")[0] for d in (dim1, dim2))
    if d1 == d2:
        raise GlassnetValueError(f"diagonal_scatter: dim1 and dim2 must differ, got {dim1} and {dim2}")
    n = max(0, min(input.shape[d1] - max(-offset, 0), input.shape[d2] - max(offset, 0)))
    block = input.diagonal(offset, d1, d2).shape
    if tuple(src.shape) != tuple(block):
        raise GlassnetValueError(f"diagonal_scatter: src has shape {tuple(src.shape)}, but that diagonal of "
                                 f"the input of shape {tuple(input.shape)} has shape {tuple(block)}")
    k = np.arange(n)
    index = [slice(None)] * input.ndim
    index[d1], index[d2] = k + max(-offset, 0), k + max(offset, 0)
    # NumPy puts the two advanced axes first when they are not adjacent: move src to match
    value = src if abs(d1 - d2) == 1 else src.movedim(-1, 0)
    return setitem(input, tuple(index), _same_dtype(value, input))


def index_reduce(input, dim, index, source, reduce, *, include_self=True):  # noqa: A002
    """``input`` with the slices ``source[..., j, ...]`` reduced (``"prod"``, ``"mean"``,
    ``"amax"``, ``"amin"``) into slice ``index[j]`` along ``dim``."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise GlassnetValueError(f"index_reduce: reduce must be prod, mean, amax or amin, got {reduce!r}")
    axis = normalize_dims(dim, input.ndim, "index_reduce")[0] if input.ndim else 0
    data = _vector_index(index, "index_reduce")
    spread = _spread(data, axis, tuple(source.shape))
    return scatter_reduce(input, axis, spread, source, reduce, include_self=include_self)


class Polygamma(Function):
    formula = "y = ψ⁽ⁿ⁾(x) = dⁿ⁺¹/dxⁿ⁺¹ log Γ(x)"
    grad_formulas = ("dx = dy · ψ⁽ⁿ⁺¹⁾(x)",)

    def forward(self, x, n):
        self.x = x
        return _polygamma_array(n, x)

    def backward(self, g):
        return g * _polygamma_array(self.params["n"] + 1, self.x)

    def differentiable_backward(self, g, out):
        return mul(g, Polygamma.apply(self.inputs[0], n=self.params["n"] + 1))


def _polygamma_array(n, x):
    try:
        from scipy.special import polygamma as scipy_polygamma
    except ImportError as exc:
        raise GlassnetError("polygamma: needs SciPy (pip install scipy); lgamma and digamma work without it"
                            ) from exc
    return scipy_polygamma(n, x).astype(x.dtype, copy=False)


def polygamma(n, input, *, out=None):  # noqa: A002
    """ψ⁽ⁿ⁾(x), the n-th derivative of ``digamma`` (n = 0 is digamma itself)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise GlassnetValueError(f"polygamma: n must be a non-negative int, got {n!r}")
    return write_out(Polygamma.apply(floating(input, "polygamma"), n=int(n)), out, "polygamma")


def argwhere(input):  # noqa: A002
    """The (count, ndim) int64 coordinates of the nonzero elements (as ``nonzero``)."""
    from glassnet.ops._select import nonzero

    return nonzero(input)


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """``(hist, bin_edges)``: counts (or summed ``weight``; ``density``: normalised) of a
    floating ``input`` in ``bins`` equal bins over ``range`` (default: the data's own), or
    between the given 1-D tensor of edges."""
    if not isinstance(input, Tensor) or input.dtype.kind != "f":
        raise GlassnetTypeError("histogram: expects a floating tensor (as PyTorch)")
    x = input.array.reshape(-1)
    edges = bins.array if isinstance(bins, Tensor) else bins
    w = None if weight is None else weight.array.reshape(-1)
    if range is None and not isinstance(bins, Tensor) and x.size:
        range = (float(x.min()), float(x.max()))  # noqa: A001
    xp = namespace(x)
    with np.errstate(invalid="ignore", divide="ignore"):  # density of no values: NaN, silently (as PyTorch)
        hist, edges = xp.histogram(x, bins=edges, range=range, weights=w, density=density)
    return HistogramResult(Tensor._wrap(hist.astype(input.dtype), False, None),
                           Tensor._wrap(edges.astype(input.dtype), False, None))


def _shift(input, other, name, left):  # noqa: A002
    a, b = pair(input, other)
    if a.dtype.kind not in "iub":
        raise GlassnetTypeError(f"{name}: integer tensors only, got dtype {a.dtype} (as in PyTorch)")
    xp = namespace(a.array)
    return Tensor._wrap((xp.left_shift if left else xp.right_shift)(a.array, b.array), False, None)


def bitwise_left_shift(input, other, *, out=None):  # noqa: A002
    """``input << other`` elementwise (integers)."""
    return write_out(_shift(input, other, "bitwise_left_shift", True), out, "bitwise_left_shift")


def bitwise_right_shift(input, other, *, out=None):  # noqa: A002
    """``input >> other`` elementwise (integers; arithmetic shift for signed ones)."""
    return write_out(_shift(input, other, "bitwise_right_shift", False), out, "bitwise_right_shift")
