"""KL(p ‖ q) between different families, for the pairs PyTorch registers: −H(p) − E_p[log q],
with E_p[log q] from the few moments of p that q's log-density needs (E x, E x², E log x,
E log(1 − x), E e^{−x/β}, E|x − m|), and ∞ where p puts mass outside q's support."""

import math

from glassnet._creation import full_like
from glassnet.distributions._continuous import Cauchy, Exponential, Gumbel, Laplace
from glassnet.distributions._counts import Binomial, Poisson
from glassnet.distributions._discrete import Bernoulli
from glassnet.distributions._gamma import Beta, Gamma
from glassnet.distributions._kl import register_kl
from glassnet.distributions._normal import Normal, Uniform
from glassnet.distributions._transformed_more import Pareto
from glassnet.ops import digamma, erf, exp, lgamma, log, where

__all__ = []

_EULER = 0.57721566490153286061
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _infinite(param):
    return full_like(param, math.inf)


for _p, _qs in ((Normal, (Beta, Exponential, Gamma)), (Laplace, (Beta, Exponential, Gamma, Uniform, Pareto)),
                (Gumbel, (Beta, Exponential, Gamma, Uniform, Pareto)), (Exponential, (Beta, Uniform, Pareto)),
                (Gamma, (Beta, Uniform, Pareto)), (Poisson, (Bernoulli, Binomial)),
                (Normal, (Pareto,)), (Beta, (Pareto,)), (Pareto, (Beta, Uniform))):
    for _q in _qs:
        register_kl(_p, _q)(lambda p, q: _infinite(p.mean if not isinstance(p, Poisson) else p.rate))


# E_p[log q] for each q family, from p's moments
def _log_normal(q, mean, second):
    """E log N(x; μ, σ) = −log σ − ½ log 2π − (E x² − 2μ·E x + μ²)/(2σ²)."""
    return -log(q.scale) - _HALF_LOG_2PI - (second - 2 * q.loc * mean + q.loc.pow(2)) / (2 * q.scale.pow(2))


def _log_exponential(q, mean):
    """E log Exp(x; λ) = log λ − λ·E x."""
    return log(q.rate) - q.rate * mean


def _log_gamma(q, mean, mean_log):
    """E log Gamma(x; α, β) = α log β − log Γ(α) + (α − 1)·E log x − β·E x."""
    a, b = q.concentration, q.rate
    return a * log(b) - lgamma(a) + (a - 1) * mean_log - b * mean


def _log_gumbel(q, mean, mean_exp):
    """E log Gumbel(x; m, β) = −log β + (m − E x)/β − e^{m/β}·E e^{−x/β} (``mean_exp`` the last factor)."""
    return -log(q.scale) + (q.loc - mean) / q.scale - exp(q.loc / q.scale) * mean_exp


def _log_beta(q, mean_log, mean_log1m):
    """E log Beta(x; a, b) = (a − 1)·E log x + (b − 1)·E log(1 − x) − log B(a, b)."""
    a, b = q.concentration1, q.concentration0
    return (a - 1) * mean_log + (b - 1) * mean_log1m - (lgamma(a) + lgamma(b) - lgamma(a + b))


def _second(dist):
    return dist.variance + dist.mean.pow(2)


# p = Beta(a, b): E log x = ψ(a) − ψ(a + b), E log(1 − x) = ψ(b) − ψ(a + b)
def _beta_logs(p):
    total = digamma(p.concentration1 + p.concentration0)
    return digamma(p.concentration1) - total, digamma(p.concentration0) - total


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    return -p.entropy() - _log_normal(q, p.mean, _second(p))


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    return -p.entropy() - _log_exponential(q, p.mean)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    return -p.entropy() - _log_gamma(q, p.mean, _beta_logs(p)[0])


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    """log(b − a) − H(p) when [0, 1] ⊆ [a, b], else ∞."""
    result = log(q.high - q.low) - p.entropy()
    return where((q.low > 0) | (q.high < 1), math.inf, result)


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    return -p.entropy() - _log_normal(q, p.mean, 2 / p.rate.pow(2))


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    """E e^{−x/β} = λ/(λ + 1/β)."""
    return -p.entropy() - _log_gumbel(q, p.mean, p.rate / (p.rate + 1 / q.scale))


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    return -p.entropy() - _log_normal(q, p.mean, _second(p))


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() - _log_exponential(q, p.mean)


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    """E e^{−x/β} = (r/(r + 1/β))^α for x ~ Gamma(α, r)."""
    mean_exp = (p.rate / (p.rate + 1 / q.scale)).pow(p.concentration)
    return -p.entropy() - _log_gumbel(q, p.mean, mean_exp)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    return -p.entropy() - _log_normal(q, p.mean, _second(p))


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    return -p.entropy() - _log_normal(q, p.mean, _second(p))


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    """E e^{−x/β} = e^{−μ/β + σ²/(2β²)}."""
    mean_exp = exp(-p.loc / q.scale + p.scale.pow(2) / (2 * q.scale.pow(2)))
    return -p.entropy() - _log_gumbel(q, p.mean, mean_exp)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    """E|x − m| = σ√(2/π)·e^{−δ²/(2σ²)} + δ·erf(δ/(σ√2)), δ = μ − m."""
    delta = p.loc - q.loc
    mean_abs = (p.scale * math.sqrt(2 / math.pi) * exp(-delta.pow(2) / (2 * p.scale.pow(2)))
                + delta * erf(delta / (p.scale * math.sqrt(2))))
    return -p.entropy() + log(2 * q.scale) + mean_abs / q.scale


# p = Uniform(a, b) on [a, b): E x = (a + b)/2, E x² = (a² + ab + b²)/3,
# E log x = (b log b − b − a log a + a)/(b − a) (a ≥ 0)
def _uniform_mean_log(low, high):
    return (_x_log_x(high) - high - _x_log_x(low) + low) / (high - low)


def _x_log_x(x):
    return where(x == 0, 0.0, x * log(where(x == 0, 1.0, x)))


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    mean_log = _uniform_mean_log(p.low, p.high)
    mean_log1m = _uniform_mean_log(1 - p.high, 1 - p.low)
    result = -p.entropy() - _log_beta(q, mean_log, mean_log1m)
    return where((p.low < 0) | (p.high > 1), math.inf, result)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    result = -p.entropy() - _log_exponential(q, p.mean)
    return where(p.low < 0, math.inf, result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    result = -p.entropy() - _log_gamma(q, p.mean, _uniform_mean_log(p.low, p.high))
    return where(p.low < 0, math.inf, result)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    """E e^{−x/β} = β·(e^{−a/β} − e^{−b/β})/(b − a)."""
    mean_exp = q.scale * (exp(-p.low / q.scale) - exp(-p.high / q.scale)) / (p.high - p.low)
    return -p.entropy() - _log_gumbel(q, p.mean, mean_exp)


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    """−H(p) + λ − p·log λ (log q(0) = −λ, log q(1) = log λ − λ)."""
    return -p.entropy() + q.rate - p.probs * log(q.rate)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    """log(((γp + γq)² + (μp − μq)²)/(4γpγq))."""
    return log(((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)) / (4 * p.scale * q.scale))


# p = Pareto(x_m, α): E log x = log x_m + 1/α; E x, E x² finite only for α > 1, α > 2
def _pareto_mean_log(p):
    return log(p.scale) + p.alpha.reciprocal()


def _log_pareto(q, mean_log):
    """E log Pareto(x; x_m, α) = log α + α·log x_m − (α + 1)·E log x."""
    return log(q.alpha) + q.alpha * log(q.scale) - (q.alpha + 1) * mean_log


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    """αq·log(x_mp/x_mq) − log(αq/αp) + αq/αp − 1 for x_mp ≥ x_mq, else ∞."""
    ratio = q.alpha / p.alpha
    result = q.alpha * log(p.scale / q.scale) - log(ratio) + ratio - 1
    return where(p.scale < q.scale, math.inf, result)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    result = -p.entropy() - _log_exponential(q, p.mean)
    return where(p.alpha <= 1, math.inf, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    result = -p.entropy() - _log_gamma(q, p.mean, _pareto_mean_log(p))
    return where(p.alpha <= 1, math.inf, result)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    """E x = α·x_m/(α − 1), E x² = α·x_m²/(α − 2) (α > 2; ∞ otherwise)."""
    a = where(p.alpha > 2, p.alpha, 3.0)
    mean, second = a * p.scale / (a - 1), a * p.scale.pow(2) / (a - 2)
    result = -p.entropy() - _log_normal(q, mean, second)
    return where(p.alpha <= 2, math.inf, result)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    result = -p.entropy() - _log_pareto(q, _uniform_mean_log(p.low, p.high))
    return where(p.low < q.scale, math.inf, result)
