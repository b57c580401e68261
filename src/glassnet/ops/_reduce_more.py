"""Order statistics, NaN-aware reductions, running extremes and statistics of samples,
composed from sort/gather, sums and matrix products (so each gradient is that of its formula).

- order: ``median``/``nanmedian`` (the lower of the two middle values, as PyTorch),
  ``kthvalue``, ``mode``, ``msort``, ``quantile``/``nanquantile`` (linear, lower, higher,
  nearest or midpoint between sorted neighbours);
- NaN-aware: ``nansum`` (NaN counts as 0), ``nanmean`` (mean of the others);
- running: ``cummax``/``cummin`` (values and the index of the latest extreme),
  ``logcumsumexp`` (log Σ_{j≤i} e^{x_j}, shifted by the max);
- together: ``aminmax``, ``std_mean``, ``var_mean``;
- samples: ``cov`` (rows are variables, columns observations), ``corrcoef``, ``diff``
  (n-th forward difference), ``trapezoid``/``trapz``.
"""

from collections import namedtuple

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._arrange import narrow
from glassnet.ops._convert import floating, normalize_dims
from glassnet.ops._cumulative import cumsum
from glassnet.ops._elementwise import _quiet, add, clip, constant, div, exp, log, mul, sqrt, sub, where
from glassnet.ops._reduce import amax, amin, mean, std, sum, var
from glassnet.ops._select import Gather
from glassnet.ops._shape import cat, reshape, unsqueeze

__all__ = ["median", "nanmedian", "kthvalue", "mode", "msort", "quantile", "nanquantile", "nansum", "nanmean",
           "cummax", "cummin", "logcumsumexp", "aminmax", "std_mean", "var_mean", "cov", "corrcoef", "diff",
           "trapezoid", "trapz"]

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
MinMax = namedtuple("MinMax", ["min", "max"])


def _axis(x, dim, name):
    return normalize_dims(dim, x.ndim, name)[0] if x.ndim else 0


def _sorted_order(x, axis, nan_last=True):
    """Stable ascending order along ``axis`` (NaN last, as NumPy sorts)."""
    return namespace(x.array).argsort(x.array, axis=axis, kind="stable").astype(np.int64)


def _pick(x, order, position, axis, keepdim):
    """``(values, indices)``: the element at ``position`` (an array broadcast over the other
    axes, or an int) of ``x`` sorted by ``order`` along ``axis``."""
    xp = namespace(order)
    position = xp.asarray(position)
    if position.ndim == 0:
        position = xp.full(order.shape[:axis] + (1,) + order.shape[axis + 1:], position, dtype=np.int64)
    index = xp.take_along_axis(order, position, axis=axis)
    values = Gather.apply(x, index=index, axis=axis)
    indices = Tensor._wrap(index, False, None)
    if not keepdim:
        values, indices = reshape(values, _dropped(x.shape, axis)), Tensor._wrap(index.squeeze(axis), False,
                                                                                 None)
    return ValuesIndices(values, indices)


def _dropped(shape, axis):
    return tuple(n for i, n in enumerate(shape) if i != axis)


def _flat_or_axis(input, dim, name):  # noqa: A002
    """``(x, axis)``: ``input`` flattened with axis 0 when ``dim`` is None, else its axis."""
    if dim is None:
        return reshape(input, (-1,)), 0
    if input.ndim == 0:
        return reshape(input, (1,)), 0
    return input, _axis(input, dim, name)


def _empty_check(x, axis, name):
    if x.shape[axis] == 0:
        raise GlassnetValueError(f"{name}: cannot take it over an empty dimension (shape {tuple(x.shape)})")


def median(input, dim=None, keepdim=False):  # noqa: A002  (PyTorch's names)
    """The lower of the two middle values (NaN if any value is NaN). Without ``dim`` a 0-d
    tensor; with ``dim`` ``(values, indices)`` along it."""
    return _median(input, dim, keepdim, ignore_nan=False)


def nanmedian(input, dim=None, keepdim=False):  # noqa: A002
    """``median`` of the values that are not NaN (NaN only where all are)."""
    return _median(input, dim, keepdim, ignore_nan=True)


def _median(input, dim, keepdim, ignore_nan):  # noqa: A002
    name = "nanmedian" if ignore_nan else "median"
    x, axis = _flat_or_axis(input, dim, name)
    if dim is None and x.numel() == 0 and x.dtype.kind == "f":  # PyTorch: NaN for an empty input (grad 0)
        xp = namespace(x.array)
        return where(constant(xp.asarray(True)), constant(xp.asarray(np.nan, dtype=x.dtype)), sum(x))
    _empty_check(x, axis, name)
    xp = namespace(x.array)
    order = _sorted_order(x, axis)
    nans = xp.isnan(x.array).sum(axis=axis, keepdims=True) if x.dtype.kind == "f" else 0
    n = x.shape[axis]
    if ignore_nan:
        position = xp.maximum((n - nans - 1) // 2, 0)
    else:  # a NaN anywhere: the first NaN (sorted last) is the answer
        position = xp.where(xp.asarray(nans) > 0, n - nans, (n - 1) // 2)
    result = _pick(x, order, position, axis, keepdim and dim is not None)
    if dim is None:
        return reshape(result.values, ())
    if input.ndim == 0:
        return ValuesIndices(reshape(result.values, ()), Tensor._wrap(result.indices.array.reshape(()),
                                                                      False, None))
    return result


def kthvalue(input, k, dim=-1, keepdim=False):  # noqa: A002
    """The ``k``-th smallest element (k from 1) along ``dim`` and its index."""
    x, axis = _flat_or_axis(input, dim, "kthvalue")
    if not 1 <= k <= x.shape[axis]:
        raise GlassnetValueError(f"kthvalue: k={k} is out of range for dimension {dim} of size "
                                 f"{x.shape[axis]}")
    result = _pick(x, _sorted_order(x, axis), k - 1, axis, keepdim)
    if input.ndim == 0:
        return ValuesIndices(reshape(result.values, ()), Tensor._wrap(result.indices.array.reshape(()),
                                                                      False, None))
    return result


def mode(input, dim=-1, keepdim=False):  # noqa: A002
    """The most frequent value along ``dim`` (the smallest of those tied) and the index of
    its last occurrence."""
    x, axis = _flat_or_axis(input, dim, "mode")
    _empty_check(x, axis, "mode")
    xp = namespace(x.array)
    order = _sorted_order(x, axis)
    ranked = xp.take_along_axis(x.array, order, axis=axis)
    moved = xp.moveaxis(ranked, axis, -1)
    n = moved.shape[-1]
    new_run = xp.ones(moved.shape, dtype=bool)
    new_run[..., 1:] = moved[..., 1:] != moved[..., :-1]
    starts = xp.maximum.accumulate(xp.where(new_run, xp.arange(n), 0), axis=-1)
    run_length = xp.arange(n) - starts + 1  # how many equal values end at this sorted position
    # the first sorted position where a run reaches the longest length ends that run: the
    # smallest of the most frequent values, at its last occurrence (the sort is stable)
    best = xp.argmax(run_length == run_length.max(axis=-1, keepdims=True), axis=-1)
    result = _pick(x, order, xp.expand_dims(best, axis), axis, keepdim)
    if input.ndim == 0:
        return ValuesIndices(reshape(result.values, ()), Tensor._wrap(result.indices.array.reshape(()),
                                                                      False, None))
    return result


def msort(input):  # noqa: A002
    """``input`` sorted along dim 0 (values only)."""
    from glassnet.ops._select import sort

    return sort(input, 0).values


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):  # noqa: A002
    name = "nanquantile" if ignore_nan else "quantile"
    x = _float_only(input, name)
    if interpolation not in ("linear", "lower", "higher", "nearest", "midpoint"):
        raise GlassnetValueError(f"{name}: interpolation must be linear, lower, higher, nearest or midpoint, "
                                 f"got {interpolation!r}")
    qs = np.asarray(q.array if isinstance(q, Tensor) else q, dtype=np.float64)
    if qs.ndim > 1 or ((qs < 0) | (qs > 1)).any():
        raise GlassnetValueError(f"{name}: q must be a number or a 1-D tensor of values in [0, 1], got {q}")
    flat, axis = _flat_or_axis(x, dim, name)
    _empty_check(flat, axis, name)
    xp = namespace(flat.array)
    order = _sorted_order(flat, axis)
    n = flat.shape[axis]
    nans = xp.isnan(flat.array).sum(axis=axis, keepdims=True)
    last = (n - nans - 1) if ignore_nan else xp.where(nans > 0, n - 1, n - 1)
    rows = []
    for qi in qs.reshape(-1):
        rank = qi * xp.maximum(last, 0)
        lo, hi = xp.floor(rank).astype(np.int64), xp.ceil(rank).astype(np.int64)
        if interpolation == "nearest":
            lo = hi = xp.round(rank).astype(np.int64)
        elif interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        low = _pick(flat, order, lo, axis, True).values
        high = _pick(flat, order, hi, axis, True).values
        weight = {"midpoint": 0.5}.get(interpolation, None)
        frac = constant(xp.asarray(rank - lo if weight is None else weight, dtype=flat.dtype))
        with _quiet(xp):  # -inf and inf neighbours give NaN, as in PyTorch (silently)
            value = add(low, mul(sub(high, low), frac)) if interpolation in ("linear", "midpoint") else low
        if not ignore_nan:
            value = where(constant(nans > 0), constant(xp.asarray(np.nan, dtype=flat.dtype)), value)
        elif (nans == n).any():
            value = where(constant(nans == n), constant(xp.asarray(np.nan, dtype=flat.dtype)), value)
        rows.append(value if keepdim and dim is not None else _squeeze_for(value, dim, axis, x.ndim, keepdim))
    if qs.ndim == 0:
        return rows[0]
    from glassnet.ops._shape import stack

    return stack(rows, 0)


def _float_only(x, name):
    """``x`` if floating; PyTorch refuses integer and bool inputs here, and so does glassnet."""
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        raise GlassnetValueError(f"{name}: the input must be a floating tensor, got "
                                 f"{getattr(x, 'dtype', type(x).__name__)} (convert it: x.float())")
    return x


def _squeeze_for(value, dim, axis, ndim, keepdim):
    if dim is None:
        return reshape(value, (1,) * ndim if keepdim else ())
    return reshape(value, _dropped(value.shape, axis))


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):  # noqa: A002
    """The ``q``-quantiles (a number or a 1-D tensor, leading the result) along ``dim``
    (default: all elements), between sorted neighbours by ``interpolation``; NaN if any is."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):  # noqa: A002
    """``quantile`` of the values that are not NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)


def nansum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """The sum with NaN counted as 0 (gradient 0 at the NaNs)."""
    if input.dtype.kind != "f":
        return sum(input, dim, keepdim, dtype=dtype)
    return sum(_without_nan(input), dim, keepdim, dtype=dtype)


def _without_nan(x):
    nan = constant(namespace(x.array).isnan(x.array))
    return where(nan, constant(namespace(x.array).zeros((), dtype=x.dtype)), x)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """The mean of the elements that are not NaN (NaN where all are)."""
    x = floating(input, "nanmean")
    count = sum(constant((~namespace(x.array).isnan(x.array)).astype(x.dtype)), dim, keepdim)
    none = constant(count.array == 0)  # all NaN: NaN, and no division by 0 (not even in backward)
    safe = where(none, constant(namespace(x.array).ones((), dtype=x.dtype)), count)
    return where(none, constant(namespace(x.array).asarray(np.nan, dtype=x.dtype)),
                 div(nansum(x, dim, keepdim, dtype=dtype), safe))


def _running(input, dim, better, name):  # noqa: A002
    x, axis = _flat_or_axis(input, dim, name) if input.ndim == 0 else (input, _axis(input, dim, name))
    xp = namespace(x.array)
    data = x.array
    if data.shape[axis] == 0:
        from glassnet.ops._convert import clone

        return ValuesIndices(clone(x), Tensor._wrap(xp.zeros(data.shape, dtype=np.int64), False, None))
    best = better.accumulate(data, axis=axis)
    if data.dtype.kind == "f":  # a NaN, once seen, stays (as PyTorch)
        seen = xp.logical_or.accumulate(xp.isnan(data), axis=axis)
        best = xp.where(seen, np.nan, best)
    shape = [1] * data.ndim
    shape[axis] = -1
    positions = xp.arange(data.shape[axis]).reshape(shape)
    reached = (data == best) | (xp.isnan(data) if data.dtype.kind == "f" else False)
    if data.dtype.kind == "f":  # after a NaN the index stays the NaN's
        first_nan = xp.where(xp.isnan(data), positions, data.shape[axis])
        first_nan = xp.minimum.accumulate(first_nan, axis=axis)
        reached = reached & (positions <= first_nan)
    index = xp.maximum.accumulate(xp.where(reached, positions, 0), axis=axis).astype(np.int64)
    values = Gather.apply(x, index=index, axis=axis)
    indices = Tensor._wrap(index, False, None)
    if input.ndim == 0:
        return ValuesIndices(reshape(values, ()), Tensor._wrap(index.reshape(()), False, None))
    return ValuesIndices(values, indices)


def cummax(input, dim):  # noqa: A002
    """The running maximum along ``dim`` and the index where it was reached (the latest on ties)."""
    return _running(input, dim, np.maximum, "cummax")


def cummin(input, dim):  # noqa: A002
    """The running minimum along ``dim`` and the index where it was reached (the latest on ties)."""
    return _running(input, dim, np.minimum, "cummin")


def logcumsumexp(input, dim):  # noqa: A002
    """``log Σ_{j≤i} exp(x_j)`` along ``dim``, computed as ``m + log cumsum(exp(x − m))`` with
    ``m`` the largest finite value along ``dim`` (a constant: it cancels in the gradient)."""
    x = floating(input, "logcumsumexp")
    if x.ndim == 0 or x.numel() == 0:
        return x * 1
    axis = _axis(x, dim, "logcumsumexp")
    xp = namespace(x.array)
    finite = xp.where(xp.isfinite(x.array), x.array, -np.inf)
    shift = xp.max(finite, axis=axis, keepdims=True)
    shift = constant(xp.where(xp.isfinite(shift), shift, 0).astype(x.dtype))
    with _quiet(xp):
        return add(log(cumsum(exp(sub(x, shift)), axis)), shift)


def aminmax(input, *, dim=None, keepdim=False):  # noqa: A002
    """``(min, max)`` over ``dim`` (default: all elements)."""
    return MinMax(amin(input, dim, keepdim), amax(input, dim, keepdim))


def _correction(correction, unbiased):
    if unbiased is not None:
        return 1 if unbiased else 0
    return 1 if correction is None else correction


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """``(std, mean)`` over ``dim`` (``correction`` 1 by default: Bessel's)."""
    c = _correction(correction, unbiased if isinstance(unbiased, bool) else None)
    return std(input, dim, correction=c, keepdim=keepdim), mean(input, dim, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """``(var, mean)`` over ``dim`` (``correction`` 1 by default: Bessel's)."""
    c = _correction(correction, unbiased if isinstance(unbiased, bool) else None)
    return var(input, dim, correction=c, keepdim=keepdim), mean(input, dim, keepdim)


def cov(input, *, correction=1, fweights=None, aweights=None):  # noqa: A002
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns; a 1-D input is one variable, giving a 0-d result):
    ``C = (X − x̄)·W·(X − x̄)ᵀ / (Σw − correction·Σ(w·a)/Σw)``, ``w = fweights·aweights``."""
    if input.ndim > 2:
        raise GlassnetValueError(f"cov: input must have at most 2 dimensions, got shape {tuple(input.shape)}")
    if input.dtype.kind == "b":
        raise GlassnetValueError("cov: bool inputs are not supported (as in PyTorch); convert first "
                                 "(x.float())")
    if aweights is not None and aweights.dtype.kind != "f":
        raise GlassnetValueError(f"cov: aweights must be floating, got {aweights.dtype} (as in PyTorch)")
    if fweights is not None and fweights.dtype.kind not in "iu":
        raise GlassnetValueError(f"cov: fweights must be integers, got {fweights.dtype} (as in PyTorch)")
    x = floating(input, "cov")
    x = reshape(x, (1, -1)) if x.ndim < 2 else x
    n = x.shape[1]
    weights = None
    for w in (fweights, aweights):
        if w is not None:
            w = floating(w, "cov") if w.dtype.kind == "f" else w.to(x.dtype)
            weights = w if weights is None else mul(weights, w)
    if weights is None:
        total, average = float(n), mean(x, 1, keepdim=True)
        norm = total - correction
    else:
        total = sum(weights)
        average = div(sum(mul(x, weights), 1, keepdim=True), total)
        norm = sub(total, mul(div(sum(mul(weights, aweights)), total), correction)) if aweights is not None \
            else sub(total, correction)
    centred = sub(x, average)
    scaled = centred if weights is None else mul(centred, weights)
    from glassnet.ops._elementwise import _quiet, maximum
    from glassnet.ops._linalg import matmul

    with _quiet(namespace(x.array)):
        result = div(matmul(scaled, centred.mT), maximum(norm, 0.0) if isinstance(norm,
                                                                                  Tensor) else max(norm, 0))
    return reshape(result, ()) if input.ndim < 2 else result


def corrcoef(input):  # noqa: A002
    """Pearson's correlation matrix of the rows of ``input``: ``cov / √(diag ⊗ diag)``,
    clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return div(c, c)
    from glassnet.ops._arrange import diagonal

    d = sqrt(diagonal(c))
    return clip(div(div(c, unsqueeze(d, 1)), unsqueeze(d, 0)), -1.0, 1.0)


def diff(input, n=1, dim=-1, prepend=None, append=None):  # noqa: A002
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i+1] − x[i]`` (bool: ≠),
    after joining ``prepend`` and ``append``."""
    if input.ndim == 0:
        raise GlassnetValueError("diff: expected at least a 1-D tensor, got a 0-d one")
    axis = _axis(input, dim, "diff")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, axis) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[axis]
        if size == 0:
            break
        later, earlier = narrow(x, axis, 1, size - 1), narrow(x, axis, 0, size - 1)
        if x.dtype.kind == "b":
            x = Tensor._wrap(later.array != earlier.array, False, None)
        else:
            x = sub(later, earlier)
    return x


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along ``dim``: ``Σ (y[i] + y[i+1])/2 · Δx_i`` with spacing ``dx``
    (default 1) or sample points ``x``."""
    if y.dtype.kind == "b" or (isinstance(x, Tensor) and x.dtype.kind == "b"):
        raise GlassnetValueError("trapezoid: bool inputs are not supported (as in PyTorch); convert first")
    axis = _axis(y, dim, "trapezoid")
    n = y.shape[axis]
    if n == 0:
        return sum(y, axis)
    mid = mul(add(narrow(y, axis, 1, n - 1), narrow(y, axis, 0, n - 1)), 0.5)
    if x is None:
        return mul(sum(mid, axis), 1.0 if dx is None else dx)
    if isinstance(x, Tensor) and x.ndim == 1:
        shape = [1] * y.ndim
        shape[axis] = -1
        x = reshape(x, shape)
    spacing = diff(x, dim=axis if x.ndim == y.ndim else -1)
    return sum(mul(mid, spacing), axis)


def trapz(y, x=None, *, dx=None, dim=-1):
    """PyTorch's older name of :func:`trapezoid` (``trapz(y, x, dim=)`` or ``trapz(y, dx=, dim=)``)."""
    return trapezoid(y, x, dx=dx, dim=dim)

