"""KL(p ‖ q) = E_p[log p − log q] in closed form, for the pairs PyTorch has among these
distributions; ``register_kl`` adds a pair, and the most specific registered pair (by
class hierarchy) answers."""

import math

import numpy as np

from glassnet import linalg
from glassnet._creation import full_like
from glassnet.distributions._discrete import Bernoulli, Categorical
from glassnet.distributions._independent import Independent, sum_rightmost
from glassnet.distributions._multivariate_normal import MultivariateNormal, mahalanobis_squared
from glassnet.distributions._normal import Normal, Uniform
from glassnet.ops import log, softplus, where

__all__ = ["kl_divergence", "register_kl"]

_KL = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(P, Q) def kl(p, q): ...`` answers KL(p ‖ q) for P, Q and subclasses."""
    def decorate(fn):
        _KL[type_p, type_q] = fn
        return fn
    return decorate


def kl_divergence(p, q):
    """KL(p ‖ q) per batch element (shape ``batch_shape``); NotImplementedError for a pair
    with no closed form registered, as PyTorch."""
    matches = [(type_p, type_q) for type_p, type_q in _KL if isinstance(p, type_p) and isinstance(q, type_q)]
    if not matches:
        raise NotImplementedError(f"No KL(p || q) is implemented for p = {type(p).__name__}, "
                                  f"q = {type(q).__name__}")
    best = min(matches, key=lambda pair: (type(p).__mro__.index(pair[0]), type(q).__mro__.index(pair[1])))
    return _KL[best](p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    """½·(σp²/σq² + (μp − μq)²/σq² − 1 − log(σp²/σq²))."""
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - log(var_ratio))


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    """p·(softplus(−ℓq) − softplus(−ℓp)) + (1 − p)·(softplus(ℓq) − softplus(ℓp)); ∞ where q
    gives zero probability to an outcome p can produce."""
    inf = float("inf")
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = where(p.probs == 0, 0.0, where(q.probs == 0, inf, t1))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = where(p.probs == 1, 0.0, where(q.probs == 1, inf, t2))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    """Σ_k p_k·(log p_k − log q_k); ∞ where q_k = 0 < p_k, 0 where p_k = 0."""
    t = p.probs * (p.logits - q.logits)
    t = where((p.probs == 0).expand_as(t), 0.0, where((q.probs == 0).expand_as(t), float("inf"), t))
    return t.sum(-1)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    """log((bq − aq)/(bp − ap)) when [ap, bp) ⊆ [aq, bq), else ∞."""
    result = log((q.high - q.low) / (p.high - p.low))
    return where((q.low > p.low) | (q.high < p.high), float("inf"), result)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    """log(√(2π)·σ/(b − a)) + ((b − a)²/12 + ((a + b)/2 − μ)²)/(2σ²)."""
    width = p.high - p.low
    t1 = log(math.sqrt(math.pi * 2) * q.scale / width)
    t2 = width.pow(2) / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2).pow(2)
    return t1 + 0.5 * (t2 + t3) / q.scale.pow(2)


@register_kl(Normal, Uniform)
def _kl_normal_uniform(p, q):
    """∞: a normal puts mass outside any interval."""
    return full_like(p.loc, float("inf"))


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    """The base KL summed over the reinterpreted dimensions (equal counts only)."""
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independent distributions with different "
                                  "reinterpreted_batch_ndims is not implemented")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    """Σ log Lq_ii − Σ log Lp_ii + ½·(‖Lq⁻¹·Lp‖²_F + ‖Lq⁻¹(μq − μp)‖² − k)."""
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes "
                         "cannot be computed")
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = (log(Lq.diagonal(dim1=-2, dim2=-1)).sum(-1) - log(Lp.diagonal(dim1=-2, dim2=-1)).sum(-1))
    n = p.event_shape[0]
    batch = tuple(np.broadcast_shapes(tuple(q.batch_shape), tuple(p.batch_shape)))
    X = linalg.solve_triangular(Lq.expand(batch + (n, n)), Lp.expand(batch + (n, n)), upper=False)
    term2 = X.pow(2).reshape(batch + (n * n,)).sum(-1)
    term3 = mahalanobis_squared(Lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)
