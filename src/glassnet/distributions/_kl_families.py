"""KL(p ‖ q) in closed form for the families beyond the first six (registered with
``register_kl`` on import): each formula is E_p[log p − log q] worked out for the pair."""

import math

from glassnet.distributions._continuous import Exponential, Gumbel, Laplace
from glassnet.distributions._counts import Binomial, Geometric, OneHotCategorical, Poisson
from glassnet.distributions._gamma import Beta, Dirichlet, Gamma
from glassnet.distributions._independent import sum_rightmost
from glassnet.distributions._kl import _kl_multivariatenormal_multivariatenormal, kl_divergence, register_kl
from glassnet.distributions._low_rank_normal import LowRankMultivariateNormal
from glassnet.distributions._multivariate_normal import MultivariateNormal
from glassnet.distributions._transformed import TransformedDistribution
from glassnet.ops import digamma, exp, lgamma, log, log1p, where

__all__ = []

_EULER = 0.57721566490153286061


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    """r − 1 − log r with r = λq/λp."""
    ratio = q.rate / p.rate
    return ratio - 1 - log(ratio)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    """αq·log(βp/βq) + log Γ(αq) − log Γ(αp) + (αp − αq)·ψ(αp) + (βq − βp)·αp/βp."""
    return (q.concentration * log(p.rate / q.rate) + lgamma(q.concentration) - lgamma(p.concentration)
            + (p.concentration - q.concentration) * digamma(p.concentration)
            + (q.rate - p.rate) * (p.concentration / p.rate))


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    """−αq·log r + r + log Γ(αq) + αq·γ − (1 + γ) with r = βq/λp (γ Euler's constant)."""
    ratio = q.rate / p.rate
    return (-q.concentration * log(ratio) + ratio + lgamma(q.concentration) + q.concentration * _EULER
            - (1 + _EULER))


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    """log B(aq, bq) − log B(ap, bp) + (ap − aq)ψ(ap) + (bp − bq)ψ(bp) + (sq − sp)ψ(sp), s = a + b."""
    sp = p.concentration1 + p.concentration0
    sq = q.concentration1 + q.concentration0
    t1 = lgamma(q.concentration1) + lgamma(q.concentration0) + lgamma(sp)
    t2 = lgamma(p.concentration1) + lgamma(p.concentration0) + lgamma(sq)
    t3 = (p.concentration1 - q.concentration1) * digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * digamma(p.concentration0)
    return t1 - t2 + t3 + t4 + (sq - sp) * digamma(sp)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    """log Γ(αp₀) − log Γ(αq₀) − Σ(log Γ(αp) − log Γ(αq)) + Σ(αp − αq)(ψ(αp) − ψ(αp₀))."""
    sp, sq = p.concentration.sum(-1), q.concentration.sum(-1)
    t2 = (lgamma(p.concentration) - lgamma(q.concentration)).sum(-1)
    t4 = digamma(p.concentration) - digamma(sp).unsqueeze(-1)
    return lgamma(sp) - lgamma(sq) - t2 + ((p.concentration - q.concentration) * t4).sum(-1)


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    """−log(bp/bq) + |μp − μq|/bq + (bp/bq)·e^{−|μp − μq|/bp} − 1."""
    ratio = p.scale / q.scale
    gap = (p.loc - q.loc).abs()
    return -log(ratio) + gap / q.scale + ratio * exp(-gap / p.scale) - 1


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    """−log(βp/βq) + (μp − μq)/βq + (βp/βq)·γ + e^{(μq − μp)/βq + log Γ(1 + βp/βq)} − (1 + γ)."""
    ratio = p.scale / q.scale
    shift = (q.loc - p.loc) / q.scale
    return -log(ratio) - shift + ratio * _EULER + exp(shift + lgamma(1 + ratio)) - (1 + _EULER)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    """λp·(log λp − log λq) − (λp − λq)."""
    return p.rate * (log(p.rate) - log(q.rate)) - (p.rate - q.rate)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    """−H(p) − log(1 − q)/p − ℓq."""
    return -p.entropy() - log1p(-q.probs) / p.probs - q.logits


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    """n·(p·(ℓp − ℓq) + log(1 − p) − log(1 − q)) for equal n; ∞ where np > nq."""
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not "
                                  "implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + log1p(-p.probs) - log1p(-q.probs))
    return where(p.total_count > q.total_count, math.inf, kl)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    """The KL of the underlying Categoricals."""
    return kl_divergence(p._categorical, q._categorical)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    """The base distributions' KL (a bijection leaves KL unchanged), when both use the same transforms."""
    if p.transforms != q.transforms:
        raise NotImplementedError("KL between TransformedDistributions with different transforms is not "
                                  "implemented")
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise NotImplementedError("KL between TransformedDistributions with different event shapes is not "
                                  "implemented")
    extra = len(p.event_shape) - len(p.base_dist.event_shape)
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), extra)


def _kl_low_rank(p, q, which):
    """As MultivariateNormal's pair, through each side's (n×n) Cholesky factor of Σ."""
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError(f"KL-divergence between two {which} Multivariate Normals with different event "
                         "shapes cannot be computed")
    return _kl_multivariatenormal_multivariatenormal(p, q)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p, q):
    return _kl_low_rank(p, q, "Low Rank")


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_multivariatenormal(p, q):
    return _kl_low_rank(p, q, "(Low Rank)")


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_multivariatenormal_lowrank(p, q):
    return _kl_low_rank(p, q, "(Low Rank)")
