"""Op-registry entries for the rest of PyTorch's ``torch.*`` functions (issue #16): the fused
updates, NaN-aware and special elementwise math, writing by index, order statistics,
sample statistics, more products and matrix builders, grids, splits and the aliases.

Each line names the glassnet call, a NumPy reference and the same call in PyTorch; inputs
that a function wants in a narrower domain are mapped inside the call (``x / 3`` for
``erfinv``), so the gradient flows through the map too. Fixed index tensors are built by
the helpers below for both frameworks.
"""

import math
import warnings

import numpy as np

import glassnet as gn

__all__ = ["more_ops"]

UNARY = (((),), ((2,),), ((3, 2),), ((1, 2),))
ND1 = (((2,),), ((3, 2),), ((1, 2),))
ND2 = (((3, 2),), ((1, 2),))
BINARY = (
    ((), ()), ((2,), (2,)), ((3, 2), (3, 2)), ((1, 2), (1, 2)),
    ((3, 2), (2,)), ((3, 1), (1, 2)), ((), (3, 2)), ((2,), (3, 2)),
)
TERNARY = (((3, 2), (3, 2), (3, 2)), ((3, 2), (2,), (3, 1)), ((), (2,), ()))
TERNARY_LARGE = ((5, 4), (5, 4), (4,))


def _t():
    import torch

    return torch


def _long(lib, values):
    """A fixed int64 index tensor in glassnet or torch (``lib``: the tensor's module)."""
    if lib == "gn":
        return gn.tensor(np.asarray(values, dtype=np.int64))
    return _t().tensor(np.asarray(values, dtype=np.int64))


def _lib(x):
    return "gn" if isinstance(x, gn.Tensor) else "torch"


def _mod(x):
    return gn if isinstance(x, gn.Tensor) else _t()


_SCATTER_INDEX = [[0, 1, 0], [3, 3, 2], [1, 2, 1]]  # (3, 3) into (3, 4) along dim 1: repeats and gaps


def _np_scatter_reduce(x, src, reduce, include_self=True):
    y = x.copy()
    idx = np.asarray(_SCATTER_INDEX)
    rows = np.arange(3)[:, None] * np.ones_like(idx)
    groups = {}
    for r, c, v in zip(rows.ravel(), idx.ravel(), src[:, :3].ravel(), strict=True):
        groups.setdefault((r, c), []).append(v)
    for (r, c), vals in groups.items():
        vals = ([x[r, c]] if include_self else []) + vals
        y[r, c] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
                   "amin": np.min}[reduce](vals)
    return y


def _scatter_reduce(reduce, include_self=True):
    def run(x, s):
        return x.scatter_reduce(1, _long(_lib(x), _SCATTER_INDEX), s, reduce, include_self=include_self)

    return (run, lambda x, s: _np_scatter_reduce(x, s, reduce, include_self))


def _np_lower_median(x, axis=None, ignore_nan=False):
    a = np.sort(x.reshape(-1) if axis is None else np.moveaxis(x, axis, -1), axis=-1)
    if ignore_nan:
        k = (~np.isnan(a)).sum(-1)
        return np.take_along_axis(a, np.maximum((k - 1) // 2, 0)[..., None], -1)[..., 0]
    return a[..., (a.shape[-1] - 1) // 2]


def _np_quantile(x, q, axis=None, method="linear", keepdims=False, nan=False):
    f = np.nanquantile if nan else np.quantile
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "All-NaN slice"
        return f(x, q, axis=axis, method=method, keepdims=keepdims)


def _np_masked_scatter(x, s):
    y = x.copy()
    mask = x > 0
    y[mask] = s.reshape(-1)[: mask.sum()]
    return y


def _np_index_put(x, v, idx, accumulate):
    y = x.copy()
    if accumulate:
        np.add.at(y, (np.asarray(idx),), v)
    else:
        y[np.asarray(idx)] = v
    return y


def _np_log(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(x)


def _np_diag_embed(x, offset=0):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    k = np.arange(x.shape[-1])
    out[..., k + max(-offset, 0), k + max(offset, 0)] = x
    return out


def _np_renorm(x, maxnorm):
    norms = np.sqrt((x * x).sum(1, keepdims=True))
    return x * np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


def _np_cdist(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    return (d**p).sum(-1) ** (1 / p)


def _np_block_diag(*blocks):
    blocks = [np.atleast_2d(b) for b in blocks]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def _np_rot90(x, k, dims=(0, 1)):
    return np.rot90(x, k, dims)


def _np_cummax(x, axis, pick):
    return pick.accumulate(x, axis=axis)


def _np_logcumsumexp(x, axis):
    return np.logaddexp.accumulate(x, axis=axis)


_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def _np_erfinv(x):
    from scipy.special import erfinv

    return erfinv(x)


def _np_digamma(x):
    from scipy.special import digamma

    return digamma(x)


def _split_cat(name, sections, dim=None):
    """cat of the pieces in reverse order: one tensor whose gradient reaches every piece."""
    def run(x):
        mod = _mod(x)
        pieces = getattr(mod, name)(x, sections) if dim is None else getattr(mod, name)(x, sections, dim)
        return mod.cat(tuple(pieces)[::-1], 0 if dim is None or name != "tensor_split" else dim)

    return run


def _np_split_cat(axis, bounds):
    def ref(x):
        pieces = np.split(x, bounds, axis=axis)
        return np.concatenate(pieces[::-1], axis)

    return ref


def more_ops(O):  # noqa: E741 - O builds one OpSpec, as in op_registry
    t = _t
    return [
        # -- fused updates and clamps ------------------------------------------------------
        O("addcmul", lambda x, a, b: gn.addcmul(x, a, b, value=0.5), lambda x, a, b: x + 0.5 * a * b,
          lambda x, a, b: t().addcmul(x, a, b, value=0.5), "addcmul", 3, "smooth", shapes=TERNARY,
          large=TERNARY_LARGE),
        O("addcdiv", lambda x, a, b: gn.addcdiv(x, a, b, value=-2), lambda x, a, b: x - 2 * a / b,
          lambda x, a, b: t().addcdiv(x, a, b, value=-2), "addcdiv", 3, ("smooth", "smooth", "nonzero"),
          shapes=TERNARY, large=TERNARY_LARGE),
        O("lerp_tensor_weight", gn.lerp, lambda x, e, w: x + w * (e - x), lambda x, e, w: t().lerp(x, e, w),
          "lerp", 3, "smooth", shapes=TERNARY, large=TERNARY_LARGE),
        O("lerp_scalar_weight", lambda x, e: gn.lerp(x, e, 0.3), lambda x, e: x + 0.3 * (e - x),
          lambda x, e: t().lerp(x, e, 0.3), "lerp", 2, "smooth", shapes=BINARY[:4]),
        O("clamp_min_fn", lambda x: gn.clamp_min(x, 0.25), lambda x: np.maximum(x, 0.25),
          lambda x: t().clamp_min(x, 0.25), "clamp_min"),
        O("clamp_max_fn", lambda x: gn.clamp_max(x, -0.25), lambda x: np.minimum(x, -0.25),
          lambda x: t().clamp_max(x, -0.25), "clamp_max"),
        O("masked_fill_fn", lambda x: gn.masked_fill(x, x > 0, 0.5), lambda x: np.where(x > 0, 0.5, x),
          lambda x: t().masked_fill(x, x > 0, 0.5), "masked_fill"),
        O("masked_fill_tensor_value", lambda x, v: gn.masked_fill(x, x < 0, v), lambda x, v: np.where(x < 0,
                                                                                                      v, x),
          lambda x, v: t().masked_fill(x, x < 0, v), "masked_fill", 2, shapes=(((3, 2), ()), ((2,), ()))),
        # -- logs, exponentials, signs ------------------------------------------------------
        O("nan_to_num", lambda x: gn.nan_to_num(gn.log(x), nan=0.5), lambda x: np.nan_to_num(_np_log(x),
                                                                                             nan=0.5),
          lambda x: t().nan_to_num(t().log(x), nan=0.5), "nan_to_num"),
        O("xlogy", gn.xlogy, lambda x, y: x * np.log(y), lambda x, y: t().xlogy(x, y), "xlogy", 2,
          ("smooth", "positive"), shapes=BINARY),
        O("xlogy_zero", lambda x, y: gn.xlogy(x * (x > 0), y), lambda x, y: np.where(x > 0, x * np.log(y),
                                                                                     0.0),
          lambda x, y: t().xlogy(x * (x > 0), y), "xlogy", 2, ("nonzero", "positive"), shapes=BINARY[:4]),
        O("hypot", gn.hypot, np.hypot, lambda x, y: t().hypot(x, y), "hypot", 2, shapes=BINARY),
        O("logaddexp", gn.logaddexp, np.logaddexp, lambda x, y: t().logaddexp(x, y), "logaddexp", 2, "smooth",
          shapes=BINARY),
        O("logaddexp2", gn.logaddexp2, np.logaddexp2, lambda x, y: t().logaddexp2(x, y), "logaddexp2", 2,
          "smooth", shapes=BINARY),
        O("exp2", gn.exp2, np.exp2, lambda x: t().exp2(x), "exp2", domain="smooth"),
        O("logit", lambda x: gn.logit(x / 4), lambda x: np.log(x / 4 / (1 - x / 4)),
          lambda x: t().logit(x / 4),
          "logit", domain="positive"),
        O("logit_eps", lambda x: gn.logit(x / 2, eps=0.3), lambda x: _np_logit_eps(x / 2, 0.3),
          lambda x: t().logit(x / 2, eps=0.3), "logit", domain="positive"),
        O("ldexp", lambda x: gn.ldexp(x, _long("gn", 3)), lambda x: x * 8.0,
          lambda x: t().ldexp(x, _long("torch", 3)), "ldexp"),
        O("float_power", gn.float_power, np.power, lambda x, y: t().float_power(x, y), "float_power", 2,
          ("positive", "smooth"), shapes=BINARY, out_dtype=np.dtype(np.float64)),
        O("copysign", lambda x: x.copysign(-x.detach()), lambda x: np.copysign(x, -x), SAME_, "copysign"),
        O("copysign_other", lambda x, y: gn.copysign(x, y.detach()) + y, lambda x, y: np.copysign(x, y) + y,
          lambda x, y: t().copysign(x, y.detach()) + y, "copysign", 2, shapes=BINARY),
        O("deg2rad", gn.deg2rad, np.deg2rad, lambda x: t().deg2rad(x), "deg2rad", domain="smooth"),
        O("rad2deg", gn.rad2deg, np.rad2deg, lambda x: t().rad2deg(x), "rad2deg", domain="smooth"),
        O("sinc", gn.sinc, np.sinc, lambda x: t().sinc(x), "sinc", domain="smooth"),
        O("fmax", gn.fmax, np.fmax, lambda x, y: t().fmax(x, y), "fmax", 2, shapes=BINARY),
        O("fmin", gn.fmin, np.fmin, lambda x, y: t().fmin(x, y), "fmin", 2, shapes=BINARY),
        O("erfc", gn.erfc, _erfc, lambda x: t().erfc(x), "erfc", domain="smooth"),
        O("erfinv", lambda x: gn.erfinv(x / 3), lambda x: _np_erfinv(x / 3), lambda x: t().erfinv(x / 3),
          "erfinv"),
        O("lgamma", gn.lgamma, _lgamma, lambda x: t().lgamma(x), "lgamma", domain="positive"),
        O("digamma", lambda x: gn.digamma(x + 2), lambda x: _np_digamma(x + 2),
          lambda x: _torch_digamma(x + 2),
          "digamma", domain="positive"),  # away from ψ's root at 1.46, where relative errors of 1e-16 grow
        O("sgn", lambda x: gn.sgn(x) + x, lambda x: np.sign(x) + x, lambda x: t().sgn(x) + x, "sgn"),
        O("positive", lambda x: gn.positive(x) * 2, lambda x: x * 2, lambda x: t().positive(x) * 2,
          "positive"),
        # -- the aliases (one line each, the function of the other name) --------------------
        *[_alias(O, a, ref, 2, ("smooth", "nonzero"), shapes=BINARY)
          for a, ref in (("multiply", np.multiply), ("subtract", np.subtract), ("divide", np.divide),
                         ("true_divide", np.divide), ("arctan2", np.arctan2))],
        *[_alias(O, a, ref, 1, "smooth", into=m)
          for a, ref, m in (("negative", np.negative, None), ("absolute", np.abs, None),
                            ("arccos", np.arccos, _third), ("arcsin", np.arcsin, _third),
                            ("arctan", np.arctan, None), ("arcsinh", np.arcsinh, None),
                            ("arctanh", np.arctanh, _third), ("fix", np.trunc, None),
                            ("arccosh", np.arccosh, _above_one))],
        O("concat", lambda a, b: gn.concat([a, b], 1), lambda a, b: np.concatenate([a, b], 1),
          lambda a, b: t().concat([a, b], 1), "concat", 2, shapes=(((3, 2), (3, 1)),), large=((4, 5), (4,
                                                                                                       3))),
        O("swapdims", lambda x: gn.swapdims(x, 0, -1), lambda x: np.swapaxes(x, 0, -1),
          lambda x: t().swapdims(x, 0, -1), "swapdims", shapes=ND2),
        O("moveaxis", lambda x: gn.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1),
          lambda x: t().moveaxis(x, 0, -1), "moveaxis", shapes=(((2, 3, 1),), ((3, 2),))),
        O("ravel", gn.ravel, np.ravel, lambda x: t().ravel(x), "ravel"),
        # -- writing by index ----------------------------------------------------------------
        O("index_add", lambda x, s: gn.index_add(x, 0, _long("gn", [2, 0, 2]), s, alpha=2.0),
          lambda x, s: _np_index_put(x, 2.0 * s, [2, 0, 2], True),
          lambda x, s: t().index_add(x, 0, _long("torch", [2, 0, 2]), s, alpha=2.0), "index_add", 2,
          shapes=(((3, 2), (3, 2)), ((4,), (3,))), large=((5, 4), (3, 4))),
        O("index_add_dim1", lambda x, s: x.index_add(1, _long(_lib(x), [1, 0, 1]), s),
          lambda x, s: np.moveaxis(_np_index_put(np.moveaxis(x, 1, 0), np.moveaxis(s, 1, 0), [1, 0, 1],
                                                 True), 0, 1),
          SAME_, "index_add", 2, shapes=(((3, 2), (3, 3)),), large=((5, 4), (5, 3))),
        O("index_copy", lambda x, s: gn.index_copy(x, 0, _long("gn", [2, 0]), s),
          lambda x, s: _np_index_put(x, s, [2, 0], False),
          lambda x, s: t().index_copy(x, 0, _long("torch", [2, 0]), s), "index_copy", 2,
          shapes=(((3, 2), (2, 2)), ((3,), (2,))), large=((5, 4), (2, 4))),
        O("index_fill", lambda x: gn.index_fill(x, 1, _long("gn", [0]), -1.5),
          lambda x: np.concatenate([np.full_like(x[:, :1], -1.5), x[:, 1:]], 1),
          lambda x: t().index_fill(x, 1, _long("torch", [0]), -1.5), "index_fill", shapes=ND2),
        O("index_put", lambda x, v: gn.index_put(x, (_long("gn", [0, 2]),), v),
          lambda x, v: _np_index_put(x, v, [0, 2], False),
          lambda x, v: t().index_put(x, (_long("torch", [0, 2]),), v), "index_put", 2,
          shapes=(((3, 2), (2, 2)), ((3, 2), (2,)), ((3,), ())), large=((5, 4), (2, 4))),
        O("index_put_accumulate", lambda x, v: gn.index_put(x, (_long("gn", [0, 2, 0]),), v, accumulate=True),
          lambda x, v: _np_index_put(x, v, [0, 2, 0], True),
          lambda x, v: t().index_put(x, (_long("torch", [0, 2, 0]),), v, accumulate=True), "index_put", 2,
          shapes=(((3, 2), (3, 2)), ((3,), (3,))), large=((5, 4), (3, 4))),
        O("select_scatter", lambda x, s: gn.select_scatter(x, s, 0, 1),
          lambda x, s: _np_setrow(x, s, 1), lambda x, s: t().select_scatter(x, s, 0, 1), "select_scatter", 2,
          shapes=(((3, 2), (2,)),), large=((5, 4), (4,))),
        O("slice_scatter", lambda x, s: gn.slice_scatter(x, s, 1, 0, 3, 2),
          lambda x, s: _np_setcols(x, s), lambda x, s: t().slice_scatter(x, s, 1, 0, 3,
                                                                         2), "slice_scatter", 2,
          shapes=(((3, 4), (3, 2)),), large=((5, 4), (5, 2))),
        O("masked_scatter", lambda x, s: gn.masked_scatter(x, x > 0, s), _np_masked_scatter,
          lambda x, s: t().masked_scatter(x, x > 0, s), "masked_scatter", 2,
          shapes=(((3, 2), (3, 2)), ((2,), (2,))), large=((5, 4), (5, 4))),
        O("take", lambda x: gn.take(x, _long("gn", [[0, 3], [1, 1]])), lambda x: x.reshape(-1)[[[0, 3], [1,
                                                                                                         1]]],
          lambda x: t().take(x, _long("torch", [[0, 3], [1, 1]])), "take", shapes=(((3, 2),), ((2, 2),))),
        O("put", lambda x, s: x.put(_long(_lib(x), [4, 0, 5]), s), lambda x, s: _np_put(x, s, [4, 0, 5]),
          SAME_, "put", 2, shapes=(((3, 2), (3,)),), large=((5, 4), (3,))),
        O("put_accumulate", lambda x, s: gn.put(x, _long("gn", [0, 0, 5]), s, accumulate=True),
          lambda x, s: _np_put(x, s, [0, 0, 5], True),
          lambda x, s: x.put(_long("torch", [0, 0, 5]), s, accumulate=True), "put", 2,
          shapes=(((3, 2), (3,)),), large=((5, 4), (3,))),
        *[O(f"scatter_reduce_{r}{'' if inc else '_exclude_self'}", *_scatter_reduce(r, inc), SAME_,
            "scatter_reduce", 2, shapes=(((3, 4), (3, 3)),), large=((3, 4), (3, 3)))
          for r, inc in (("sum", True), ("sum", False), ("prod", True), ("mean", True), ("mean", False),
                         ("amax", True), ("amin", False))],
        # -- order statistics ----------------------------------------------------------------
        O("median", gn.median, _np_lower_median, lambda x: t().median(x), "median", shapes=UNARY[1:]),
        O("median_dim", lambda x: gn.median(x, 0).values, lambda x: _np_lower_median(x, 0),
          lambda x: t().median(x, 0).values, "median", shapes=ND1),
        O("median_method_keepdim", lambda x: x.median(-1, keepdim=True)[0],
          lambda x: _np_lower_median(x, -1)[..., None], SAME_, "median", shapes=ND1),
        O("nanmedian", lambda x: gn.nanmedian(_some_nan(x), 0).values,
          lambda x: _np_lower_median(_some_nan(x), 0, ignore_nan=True),
          lambda x: t().nanmedian(_some_nan(x), 0).values, "nanmedian", shapes=(((3, 2),), ((4,),))),
        O("kthvalue", lambda x: gn.kthvalue(x, 2, 0).values, lambda x: np.sort(x, 0)[1],
          lambda x: t().kthvalue(x, 2, 0).values, "kthvalue", shapes=(((3, 2),), ((2,),))),
        O("mode", lambda x: gn.mode(x).values, lambda x: np.sort(x, -1)[..., 0],
          lambda x: t().mode(x).values, "mode", shapes=ND1),
        O("msort", gn.msort, lambda x: np.sort(x, 0), lambda x: t().msort(x), "msort", shapes=ND1),
        O("quantile", lambda x: gn.quantile(x, 0.3), lambda x: _np_quantile(x, 0.3),
          lambda x: t().quantile(x, 0.3), "quantile", shapes=UNARY[1:]),
        O("quantile_q_tensor_dim", lambda x: gn.quantile(x, gn.tensor([0.25, 0.8], dtype=x.dtype), 0, True),
          lambda x: _np_quantile(x, [0.25, 0.8], 0, keepdims=True),
          lambda x: t().quantile(x, t().tensor([0.25, 0.8], dtype=x.dtype), 0, True), "quantile",
          shapes=(((3, 2),), ((4,),))),
        *[O(f"quantile_{m}", lambda x, m=m: gn.quantile(x, 0.4, -1, interpolation=m),
            lambda x, m=m: _np_quantile(x, 0.4, -1, m), lambda x, m=m: t().quantile(x, 0.4, -1,
                                                                                    interpolation=m),
            "quantile", shapes=(((3, 4),), ((2,),))) for m in ("lower", "higher", "nearest", "midpoint")],
        O("nanquantile", lambda x: gn.nanquantile(_some_nan(x), 0.5, 0),
          lambda x: _np_quantile(_some_nan(x), 0.5, 0, nan=True), lambda x: t().nanquantile(_some_nan(x),
                                                                                            0.5, 0),
          "nanquantile", shapes=(((4, 2),), ((3,),))),
        O("nansum", lambda x: gn.nansum(gn.log(x), 0), lambda x: np.nansum(_np_log(x), 0),
          lambda x: t().nansum(t().log(x), 0), "nansum", shapes=ND1),
        O("nanmean", lambda x: gn.nanmean(_some_nan(x), 0), lambda x: np.nanmean(_some_nan(x), 0),
          lambda x: t().nanmean(_some_nan(x), 0), "nanmean", shapes=ND1),
        O("cummax", lambda x: gn.cummax(x, 0).values, lambda x: _np_cummax(x, 0, np.maximum),
          lambda x: t().cummax(x, 0).values, "cummax", shapes=ND1),
        O("cummin_last", lambda x: x.cummin(-1)[0], lambda x: _np_cummax(x, -1, np.minimum), SAME_, "cummin",
          shapes=ND1),
        O("logcumsumexp", lambda x: gn.logcumsumexp(x, 0), lambda x: _np_logcumsumexp(x, 0),
          lambda x: t().logcumsumexp(x, 0), "logcumsumexp", domain="smooth", shapes=ND1),
        O("aminmax", lambda x: _stack_pair(gn.aminmax(x, dim=0)), lambda x: np.stack([x.min(0), x.max(0)]),
          lambda x: _stack_pair(t().aminmax(x, dim=0)), "aminmax", shapes=ND1),
        O("std_mean", lambda x: _stack_pair(gn.std_mean(x, 0)), lambda x: np.stack([x.std(0, ddof=1),
                                                                                    x.mean(0)]),
          lambda x: _stack_pair(t().std_mean(x, 0)), "std_mean", domain="smooth", shapes=(((3, 2),),
                                                                                          ((4,),))),
        O("var_mean", lambda x: _stack_pair(gn.var_mean(x, 1, correction=0)),
          lambda x: np.stack([x.var(1), x.mean(1)]), lambda x: _stack_pair(t().var_mean(x, 1, correction=0)),
          "var_mean", domain="smooth", shapes=ND2),
        # -- samples -------------------------------------------------------------------------
        O("cov", gn.cov, np.cov, lambda x: t().cov(x), "cov", domain="smooth", shapes=(((3, 4),), ((5,),))),
        O("cov_weights", lambda x: gn.cov(x, correction=0, fweights=_long("gn", [1, 2, 1, 3]),
                                          aweights=gn.tensor([0.5, 1.0, 2.0, 1.0], dtype=x.dtype)),
          lambda x: np.cov(x, ddof=0, fweights=[1, 2, 1, 3], aweights=[0.5, 1.0, 2.0, 1.0]),
          lambda x: t().cov(x, correction=0, fweights=_long("torch", [1, 2, 1, 3]),
                            aweights=t().tensor([0.5, 1.0, 2.0, 1.0], dtype=x.dtype)), "cov", domain="smooth",
          shapes=(((3, 4),), ((2, 4),)), large=((5, 4),)),
        O("corrcoef", gn.corrcoef, np.corrcoef, lambda x: t().corrcoef(x), "corrcoef", domain="smooth",
          shapes=(((3, 4),), ((2, 5),))),
        O("diff", gn.diff, lambda x: np.diff(x), lambda x: t().diff(x), "diff", shapes=ND1),
        O("diff_n2_prepend", lambda x, p: gn.diff(x, n=2, dim=0, prepend=p),
          lambda x, p: np.diff(x, 2, 0, prepend=p), lambda x, p: t().diff(x, n=2, dim=0,
                                                                          prepend=p), "diff", 2,
          shapes=(((3, 2), (1, 2)), ((2,), (2,))), large=((5, 4), (2, 4))),
        O("trapezoid", gn.trapezoid, lambda y: np.trapezoid(y), lambda y: t().trapezoid(y), "trapezoid",
          shapes=ND1),
        O("trapezoid_x", gn.trapezoid, lambda y, x: np.trapezoid(y, x), lambda y, x: t().trapezoid(y, x),
          "trapezoid", 2, "smooth", shapes=(((3, 4), (4,)), ((3,), (3,))), large=((5, 4), (4,))),
        O("trapz_dx", lambda y: gn.trapz(y, dx=0.5, dim=0), lambda y: np.trapezoid(y, dx=0.5, axis=0),
          lambda y: t().trapz(y, dx=0.5, dim=0), "trapz", shapes=ND1),
        # -- products ------------------------------------------------------------------------
        O("tensordot", lambda a, b: gn.tensordot(a, b, 2), lambda a, b: np.tensordot(a, b, 2),
          lambda a, b: t().tensordot(a, b, 2), "tensordot", 2, "smooth", shapes=(((2, 3, 4), (3, 4, 2)),),
          large=((3, 4, 5), (4, 5, 2))),
        O("tensordot_axes", lambda a, b: gn.tensordot(a, b, ([1, 0], [0, 1])),
          lambda a, b: np.tensordot(a, b, ([1, 0], [0, 1])), lambda a, b: t().tensordot(a, b, ([1, 0], [0,
                                                                                                        1])),
          "tensordot", 2, "smooth", shapes=(((3, 2, 4), (2, 3)),), large=((4, 3, 5), (3, 4))),
        O("inner", gn.inner, np.inner, lambda a, b: t().inner(a, b), "inner", 2, "smooth",
          shapes=(((3, 2), (4, 2)), ((2,), (2,)), ((), (3,))), large=((5, 4), (3, 4))),
        O("vdot", gn.vdot, np.vdot, lambda a, b: t().vdot(a, b), "vdot", 2, "smooth", shapes=(((3,), (3,)),),
          large=((6,), (6,))),
        O("ger", gn.ger, np.outer, lambda a, b: t().ger(a, b), "ger", 2, "smooth", shapes=(((2,), (3,)),),
          large=((5,), (4,))),
        O("kron", gn.kron, np.kron, lambda a, b: t().kron(a, b), "kron", 2, "smooth",
          shapes=(((2, 3), (2, 2)), ((2,), (3, 2))), large=((3, 4), (2, 3))),
        O("chain_matmul", lambda a, b, c: gn.chain_matmul(a, b, c), lambda a, b, c: a @ b @ c,
          lambda a, b, c: t().linalg.multi_dot([a, b, c]), "chain_matmul", 3, "smooth",
          shapes=(((2, 3), (3, 4), (4, 2)),), large=((5, 4), (4, 3), (3, 2))),
        O("cdist", gn.cdist, lambda a, b: _np_cdist(a, b, 2), lambda a, b: t().cdist(a, b), "cdist", 2,
          "smooth",
          shapes=(((3, 2), (4, 2)), ((2, 3, 2), (2, 1, 2))), large=((5, 4), (3, 4))),
        O("cdist_p1", lambda a, b: gn.cdist(a, b, p=1.0), lambda a, b: _np_cdist(a, b, 1),
          lambda a, b: t().cdist(a, b, p=1.0), "cdist", 2, "smooth", shapes=(((3, 2), (4, 2)),),
          large=((5, 4), (3, 4))),
        O("addmv", lambda c, a, v: gn.addmv(c, a, v, beta=0.5, alpha=2.0), lambda c, a,
          v: 0.5 * c + 2 * a @ v,
          lambda c, a, v: t().addmv(c, a, v, beta=0.5, alpha=2.0), "addmv", 3, "smooth",
          shapes=(((2,), (2, 3), (3,)), ((), (2, 3), (3,))), large=((5,), (5, 4), (4,))),
        O("addr", lambda c, a, b: gn.addr(c, a, b, alpha=-1), lambda c, a, b: c - np.outer(a, b),
          lambda c, a, b: t().addr(c, a, b, alpha=-1), "addr", 3, "smooth", shapes=(((2, 3), (2,), (3,)),),
          large=((5, 4), (5,), (4,))),
        O("baddbmm", lambda c, a, b: gn.baddbmm(c, a, b, beta=2.0), lambda c, a, b: 2 * c + a @ b,
          lambda c, a, b: t().baddbmm(c, a, b, beta=2.0), "baddbmm", 3, "smooth",
          shapes=(((2, 2, 4), (2, 2, 3), (2, 3, 4)), ((4,), (2, 2, 3), (2, 3, 4))),
          large=((3, 4, 2), (3, 4, 5), (3, 5, 2))),
        O("addbmm", lambda c, a, b: gn.addbmm(c, a, b, beta=0), lambda c, a, b: (a @ b).sum(0) + 0 * c,
          lambda c, a, b: t().addbmm(c, a, b, beta=0), "addbmm", 3, "smooth",
          shapes=(((2, 4), (3, 2, 3), (3, 3, 4)),), large=((4, 2), (3, 4, 5), (3, 5, 2))),
        # -- matrix builders -----------------------------------------------------------------
        O("block_diag", lambda a, b, c: gn.block_diag(a, b, c), _np_block_diag,
          lambda a, b, c: t().block_diag(a, b, c), "block_diag", 3, "smooth",
          shapes=(((2, 2), (3,), ()), ((1, 3), (2, 1), (2, 2))), large=((3, 4), (5,), (2, 2))),
        O("diag_embed_fn", gn.diag_embed, _np_diag_embed, lambda x: t().diag_embed(x), "diag_embed",
          shapes=ND1),
        O("diag_embed_offset_dims", lambda x: gn.diag_embed(x, 1, 0, 2),
          lambda x: np.moveaxis(_np_diag_embed(x, 1), (-2, -1), (0, 2)),
          lambda x: t().diag_embed(x, 1, 0, 2), "diag_embed", shapes=ND2),
        O("diagflat", lambda x: gn.diagflat(x, -1), lambda x: np.diagflat(x, -1), lambda x: t().diagflat(x,
                                                                                                         -1),
          "diagflat"),
        O("vander", lambda x: gn.vander(x, 4), lambda x: np.vander(x, 4), _torch_vander(4), "vander",
          shapes=(((3,),), ((1,),)), large=((6,),)),
        O("vander_increasing", lambda x: gn.vander(x, increasing=True), lambda x: np.vander(x,
                                                                                            increasing=True),
          _torch_vander(None, True), "vander", shapes=(((3,),),), large=((5,),)),
        O("renorm", lambda x: gn.renorm(x, 2, 0, 2.0), lambda x: _np_renorm(x, 2.0),
          lambda x: t().renorm(x, 2, 0, 2.0), "renorm", shapes=(((3, 4),), ((2, 2),))),
        # -- grids -----------------------------------------------------------------------------
        O("meshgrid_xy", lambda a, b: _stack_pair(gn.meshgrid(a, b, indexing="xy")),
          lambda a, b: np.stack(np.meshgrid(a, b, indexing="xy")),
          lambda a, b: _stack_pair(t().meshgrid(a, b, indexing="xy")), "meshgrid", 2,
          shapes=(((2,), (3,)), ((1,), (2,))), large=((5,), (4,))),
        O("meshgrid_ij", lambda a, b, c: _mod(a).stack([g.sum(-1) for g in _mod(a).meshgrid([a, b, c],
                                                                                            indexing="ij")]),
          lambda a, b, c: np.stack([g.sum(-1) for g in np.meshgrid(a, b, c,
                                                                   indexing="ij")]), SAME_, "meshgrid", 3,
          shapes=(((2,), (3,), (2,)),), large=((5,), (4,), (3,))),
        O("broadcast_tensors", lambda a, b: _stack_pair(gn.broadcast_tensors(a, b)),
          lambda a, b: np.stack(np.broadcast_arrays(a, b)), lambda a, b: _stack_pair(t().broadcast_tensors(a,
                                                                                                           b)),
          "broadcast_tensors", 2, shapes=(((3, 1), (2,)), ((), (2,))), large=((5, 1), (4,))),
        O("cartesian_prod", gn.cartesian_prod, _np_cartesian_prod, lambda a, b: t().cartesian_prod(a, b),
          "cartesian_prod", 2, shapes=(((2,), (3,)),), large=((5,), (4,))),
        O("combinations", gn.combinations, lambda x: x[np.array([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2,
                                                                                                          3]])],
          lambda x: t().combinations(x), "combinations", shapes=(((4,),),), large=((4,),)),
        O("combinations_replacement", lambda x: gn.combinations(x, 2, with_replacement=True),
          lambda x: x[np.array([[0, 0], [0, 1], [0, 2], [1, 1], [1, 2], [2, 2]])],
          lambda x: t().combinations(x, 2, with_replacement=True), "combinations", shapes=(((3,),),),
          large=((3,),)),
        # -- shapes ----------------------------------------------------------------------------
        O("atleast_1d", gn.atleast_1d, np.atleast_1d, lambda x: t().atleast_1d(x), "atleast_1d"),
        O("atleast_2d", gn.atleast_2d, np.atleast_2d, lambda x: t().atleast_2d(x), "atleast_2d"),
        O("atleast_3d", gn.atleast_3d, np.atleast_3d, lambda x: t().atleast_3d(x), "atleast_3d"),
        O("atleast_2d_many", lambda a, b: _stack_pair(gn.atleast_2d(a, b)),
          lambda a, b: np.stack(np.atleast_2d(a, b)), lambda a, b: _stack_pair(t().atleast_2d(a, b)),
          "atleast_2d", 2, shapes=(((), ()), ((2,), (1, 2))), large=((1, 4), (4,))),
        O("tensor_split_sections", _split_cat("tensor_split", 3, 0), lambda x: _np_tensor_split3(x),
          SAME_, "tensor_split", shapes=(((4, 2),), ((5,),)), large=((7, 3),)),
        O("tensor_split_indices", _split_cat("tensor_split", [1, 5], 0), _np_split_cat(0, [1, 5]), SAME_,
          "tensor_split", shapes=(((4, 2),), ((3,),)), large=((7, 3),)),
        O("hsplit", lambda x: _mod(x).cat(_mod(x).hsplit(x, 2)[::-1], 1), _np_split_cat(1, 2), SAME_,
          "hsplit",
          shapes=(((3, 4),), ((1, 2),)), large=((5, 4),)),
        O("vsplit", _split_cat("vsplit", [1, 3]), _np_split_cat(0, [1, 3]), SAME_, "vsplit",
          shapes=(((4, 2),),), large=((6, 3),)),
        O("dsplit", lambda x: _mod(x).cat(_mod(x).dsplit(x, 2)[::-1], 2), _np_split_cat(2, 2), SAME_,
          "dsplit",
          shapes=(((2, 2, 4),),), large=((3, 2, 6),)),
        O("rot90", lambda x: gn.rot90(x), lambda x: np.rot90(x), lambda x: t().rot90(x), "rot90", shapes=ND2),
        O("rot90_k3_dims", lambda x: gn.rot90(x, -1, (1, 2)), lambda x: _np_rot90(x, -1, (1, 2)),
          lambda x: t().rot90(x, -1, (1, 2)), "rot90", shapes=(((2, 3, 2),),), large=((3, 4, 5),)),
        O("rot90_k2", lambda x: x.rot90(2), lambda x: np.rot90(x, 2), SAME_, "rot90", shapes=ND2),
        # -- more: rsub, row_stack, running trapezoids, diagonal and index reductions, polygamma ----
        O("rsub", lambda x, y: gn.rsub(x, y, alpha=2), lambda x, y: y - 2 * x, lambda x, y: t().rsub(x, y,
                                                                                                     alpha=2),
          "rsub", 2, shapes=BINARY),
        O("row_stack", lambda a, b: gn.row_stack((a, b)), lambda a, b: np.vstack((a, b)),
          lambda a, b: t().row_stack((a, b)), "row_stack", 2, shapes=(((2,), (2,)), ((3, 2), (1, 2))),
          large=((4, 5), (3, 5))),
        O("cumulative_trapezoid", gn.cumulative_trapezoid, _np_cumulative_trapezoid,
          lambda y: t().cumulative_trapezoid(y), "cumulative_trapezoid", shapes=ND1),
        O("cumulative_trapezoid_x", lambda y, x: gn.cumulative_trapezoid(y, x, dim=0),
          lambda y, x: _np_cumulative_trapezoid(y, x, 0), lambda y, x: t().cumulative_trapezoid(y, x, dim=0),
          "cumulative_trapezoid", 2, "smooth", shapes=(((3, 2), (3,)), ((4,), (4,))), large=((5, 4), (5,))),
        O("diagonal_scatter", lambda x, s: gn.diagonal_scatter(x, s, 1), lambda x, s: _np_diagonal_set(x, s,
                                                                                                       1),
          lambda x, s: t().diagonal_scatter(x, s, 1), "diagonal_scatter", 2, shapes=(((3, 4), (3,)), ((3, 2),
                                                                                                      (1,))),
          large=((5, 6), (5,))),
        O("diagonal_scatter_dims", lambda x, s: x.diagonal_scatter(s, 0, 0, 2), _np_diagonal_set_0_2, SAME_,
          "diagonal_scatter", 2, shapes=(((2, 3, 2), (3, 2)),), large=((4, 3, 4), (3, 4))),
        O("index_reduce_amax", lambda x, s: x.index_reduce(0, _long(_lib(x), [2, 0, 2]), s, "amax"),
          lambda x, s: _np_index_reduce(x, s, [2, 0, 2],
                                        np.maximum), _beta(_index_reduce_amax), "index_reduce", 2,
          shapes=(((3, 2), (3, 2)),), large=((4, 5), (3, 5))),
        O("index_reduce_mean", lambda x, s: gn.index_reduce(x, 0, _long("gn", [1, 1]), s, "mean",
                                                            include_self=False),
          lambda x, s: _np_index_mean(x, s), _beta(lambda x, s: t().index_reduce(x, 0, _long("torch", [1,
                                                                                                       1]), s,
                                                                                  "mean",
                                                                                  include_self=False)),
          "index_reduce", 2, shapes=(((3, 2), (2, 2)),), large=((4, 5), (2, 5))),
        O("polygamma_2", lambda x: gn.polygamma(2, x + 2), lambda x: _np_polygamma(2, x + 2),
          lambda x: _torch_polygamma(2, x + 2), "polygamma", domain="positive"),  # torch's ψ⁽¹⁾ is 3e-10 off
        O("tensor_unfold", lambda x: x.unfold(0, 2, 1), lambda x: _np_unfold(x, 0, 2, 1), SAME_, "unfold",
          shapes=(((3, 2),), ((4,),)), large=((6, 3),)),
        O("tensor_unfold_step_last", lambda x: x.unfold(-1, 2, 2), lambda x: _np_unfold(x, -1, 2, 2), SAME_,
          "unfold",
          shapes=(((2, 5),), ((4,),)), large=((3, 7),)),
    ]


SAME_ = "same"


def _alias(O, name, ref, nargs, domain, shapes=None, into=None):  # noqa: N803 - O as in more_ops
    """One line for PyTorch's second name ``name``: glassnet's and torch's function of that name,
    on the inputs mapped by ``into`` (into a function's domain) when given."""
    def mapped(f):
        return f if into is None else (lambda x: f(into(x)))

    return O(f"alias_{name}", mapped(getattr(gn, name)), mapped(ref),
             mapped(lambda *ts: getattr(_t(), name)(*ts)), name, nargs, domain,
             **({} if shapes is None else {"shapes": shapes}))


def _same(x):
    return x


def _third(x):
    return x / 3


def _above_one(x):
    return x * x + 1.5


def _stack_pair(pair):
    a, b = pair
    return _mod(a).stack([a, b])


def _np_logit_eps(p, eps):
    q = np.clip(p, eps, 1 - eps)
    return np.log(q / (1 - q))


def _np_nanmean(x):
    with np.errstate(invalid="ignore"):
        return np.nanmean(x) if (~np.isnan(x)).any() else np.float64(np.nan)


def _np_setrow(x, s, i):
    y = x.copy()
    y[i] = s
    return y


def _np_setcols(x, s):
    y = x.copy()
    y[:, 0:3:2] = s
    return y


def _np_put(x, s, idx, accumulate=False):
    y = x.copy().reshape(-1)
    if accumulate:
        np.add.at(y, idx, s)
    else:
        y[idx] = s
    return y.reshape(x.shape)


def _np_tensor_split3(x):
    return np.concatenate(np.array_split(x, 3, 0)[::-1], 0)


def _torch_vander(n, increasing=False):
    """torch.vander's backward raises in torch 2.13 ("modified by an inplace operation"), so the
    torch reference is the same columns written as powers."""
    def run(x):
        powers = [x ** k if k else x * 0 + 1 for k in range(x.shape[0] if n is None else n)]
        return _t().stack(powers if increasing else powers[::-1], 1)

    return run


def _some_nan(x):
    """log(x) (NaN where x < 0) above |x| (never NaN), joined along dim 0: some NaNs, never a slice of
    only NaNs (there PyTorch's choice of the element that gets the gradient is its own)."""
    if isinstance(x, np.ndarray):
        return np.concatenate([_np_log(x), np.abs(x)])
    return _mod(x).cat([x.log(), x.abs()])


def _torch_digamma(x):
    """torch.digamma with the derivative ψ' from SciPy: torch 2.13's trigamma is 3e-10 off in
    float64 (mpmath agrees with SciPy to the last bit), above the reference's 1e-10."""
    torch = _t()

    class Digamma(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return torch.digamma(v)

        @staticmethod
        def backward(ctx, g):
            from scipy.special import polygamma

            (v,) = ctx.saved_tensors
            return g * torch.from_numpy(polygamma(1, v.detach().double().numpy())).to(g.dtype)

    return Digamma.apply(x)


def _np_unfold(x, axis, size, step):
    axis %= x.ndim
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=axis)
    return np.take(windows, np.arange(0, windows.shape[axis], step), axis=axis)


def _np_cartesian_prod(a, b):
    return np.stack([g.ravel() for g in np.meshgrid(a, b, indexing="ij")], 1)


def _np_cumulative_trapezoid(y, x=None, axis=-1):
    from scipy.integrate import cumulative_trapezoid

    if x is not None and x.ndim == 1 and y.ndim > 1:
        x = np.expand_dims(x, tuple(range(1, y.ndim)) if axis == 0 else 0)
        x = np.broadcast_to(x, y.shape)
    return cumulative_trapezoid(y, x, axis=axis)


def _np_diagonal_set(x, s, offset):
    y = x.copy()
    k = np.arange(s.shape[-1])
    y[k + max(-offset, 0), k + max(offset, 0)] = s
    return y


def _np_index_reduce(x, s, idx, pick):
    y = x.copy()
    for j, i in enumerate(idx):
        y[i] = pick(y[i], s[j])
    return y


def _np_index_mean(x, s):
    y = x.copy()
    y[1] = s.mean(0)
    return y


def _np_polygamma(n, x):
    from scipy.special import polygamma

    return polygamma(n, x)


def _torch_polygamma(n, x):
    """torch.polygamma with the derivative ψ⁽ⁿ⁺¹⁾ from SciPy (torch 2.13's is ~1e-10 off in float64,
    as for digamma's)."""
    torch = _t()

    class Polygamma(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return torch.polygamma(n, v)

        @staticmethod
        def backward(ctx, g):
            (v,) = ctx.saved_tensors
            return g * torch.from_numpy(_np_polygamma(n + 1, v.detach().double().numpy())).to(g.dtype)

    return Polygamma.apply(x)


def _np_diagonal_set_0_2(x, s):
    y = x.copy()
    k = np.arange(min(x.shape[0], x.shape[2]))
    y[k, :, k] = s.T
    return y


def _index_reduce_amax(x, s):
    return x.index_reduce(0, _long("torch", [2, 0, 2]), s, "amax")


def _beta(run):
    """PyTorch's index_reduce warns that it is in beta (a UserWarning, an error under pytest here)."""
    def quiet(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return run(*args)

    return quiet
