"""Poisson, Binomial, Geometric, Multinomial and OneHotCategorical: counts and one-hot
draws. Not reparameterisable (``sample`` only); ``log_prob`` is differentiable in the
parameters, as REINFORCE needs. Binomial, Geometric and Multinomial take ``probs`` or
``logits`` (exactly one), as Bernoulli does."""

import numpy as np

from glassnet._creation import arange, eye
from glassnet.autograd._mode import no_grad
from glassnet.distributions import constraints
from glassnet.distributions._continuous import batch_of
from glassnet.distributions._discrete import Categorical, CategoricalParams, _bce_with_logits, _one_of
from glassnet.distributions._distribution import (
    Distribution,
    broadcast_all,
    logits_to_probs,
    probs_to_logits,
)
from glassnet.distributions._draw import host, numpy_draw
from glassnet.ops import clamp, exp, lgamma, log1p, logsigmoid, where, xlogy

__all__ = ["Binomial", "Geometric", "Multinomial", "NegativeBinomial", "OneHotCategorical",
           "OneHotCategoricalStraightThrough", "Poisson"]


def _checked(dist, value):
    if dist._validate_args:
        dist._validate_sample(value)
    return value


class Poisson(Distribution):
    """Poisson(λ) on 0, 1, 2, … (``rate`` λ ≥ 0).

    log p(k) = k·log λ − λ − log k!;  mean = variance = λ;  mode ⌊λ⌋
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(batch_of((rate,), (self.rate,)), validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"rate": self.rate.expand(batch_shape)}

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        rate = host(self.rate)
        return numpy_draw(self.rate, lambda rng, s: rng.poisson(np.broadcast_to(rate, s)),
                          self._extended_shape(sample_shape))

    def log_prob(self, value):
        value = _checked(self, value)
        return xlogy(value, self.rate) - self.rate - lgamma(value + 1)


class _BinaryParams(Distribution):
    """``probs`` or ``logits`` (exactly one) of a success, broadcast with the other parameters."""

    def _set_binary(self, probs, logits, others=()):
        _one_of(probs, logits, type(self).__name__)
        name = "probs" if probs is not None else "logits"
        values = broadcast_all(probs if probs is not None else logits, *others)
        setattr(self, name, values[0])
        return name, values

    def _complete_binary(self, name):
        if name == "probs":
            self.logits = probs_to_logits(self.probs, is_binary=True)
        else:
            self.probs = logits_to_probs(self.logits, is_binary=True)


class _TrialCounts(_BinaryParams):
    """A count over ``total_count`` trials (Binomial, NegativeBinomial): ``total_count`` in the
    success parameter's dtype, broadcast with it."""

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        name, (param, self.total_count) = self._set_binary(probs, logits, (total_count,))
        self.total_count = self.total_count.type_as(param)
        raw = probs if probs is not None else logits
        super().__init__(batch_of((raw, total_count), (param,)), validate_args=validate_args)
        self._complete_binary(name)

    def _expanded_params(self, batch_shape):
        return {"total_count": self.total_count.expand(batch_shape), "probs": self.probs.expand(batch_shape),
                "logits": self.logits.expand(batch_shape)}


class Binomial(_TrialCounts):
    """Successes in ``total_count`` n trials of success probability p (``probs`` or ``logits`` ℓ).

    log p(k) = log n! − log k! − log (n − k)! + k·ℓ − n·log(1 + e^{ℓ})
    mean np;  variance np(1 − p);  mode min(⌊(n + 1)p⌋, n)
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        super().__init__(total_count, probs, logits, validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        m = ((self.total_count + 1) * self.probs).floor()
        return where(m > self.total_count, self.total_count, m)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        n, p = host(self.total_count).astype(np.int64), host(self.probs)
        draw = lambda rng, s: rng.binomial(np.broadcast_to(n, s), np.broadcast_to(p, s))  # noqa: E731
        return numpy_draw(self.probs, draw, self._extended_shape(sample_shape))

    def log_prob(self, value):
        value = _checked(self, value)
        n, logits = self.total_count, self.logits
        log_norm = (n * (clamp(logits, min=0) + logits - clamp(logits, max=0)) / 2
                    + n * log1p(exp(-logits.abs())) - lgamma(n + 1))
        return value * logits - lgamma(value + 1) - lgamma(n - value + 1) - log_norm

    def _homogeneous_count(self, who):
        n = host(self.total_count)
        if n.size and (n != n.flat[0]).any():
            raise NotImplementedError(f"Binomial.{who}: inhomogeneous total count not supported "
                                      f"(as in PyTorch): got total_count with values "
                                      f"{sorted(set(n.ravel().tolist()))[:5]}; give one count for the batch")
        return int(n.flat[0]) if n.size else 0

    def entropy(self):
        self._homogeneous_count("entropy")
        log_p = self.log_prob(self.enumerate_support(False))
        return -(exp(log_p) * log_p).sum(0)

    def enumerate_support(self, expand=True):
        n = self._homogeneous_count("enumerate_support")
        values = arange(1 + n, dtype=self.probs.dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class NegativeBinomial(_TrialCounts):
    """Successes before ``total_count`` r failures, success probability p (``probs`` or ``logits`` ℓ).

    log p(k) = log Γ(r + k) − log Γ(k + 1) − log Γ(r) + r·log σ(−ℓ) + k·log σ(ℓ)
    mean r·e^ℓ;  variance r·e^ℓ/σ(−ℓ);  mode ⌊(r − 1)·e^ℓ⌋⁺;  draws: Poisson(Gamma(r, e^{−ℓ}))
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    @property
    def mean(self):
        return self.total_count * exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * exp(self.logits)).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape=()):
        r, scale = host(self.total_count), np.exp(host(self.logits))
        shape = self._extended_shape(sample_shape)
        return numpy_draw(self.probs, lambda rng, s: rng.poisson(rng.gamma(np.broadcast_to(r, s),
                                                                           np.broadcast_to(scale, s))), shape)

    def log_prob(self, value):
        value = _checked(self, value)
        r, logits = self.total_count, self.logits
        unnormalised = r * logsigmoid(-logits) + value * logsigmoid(logits)
        normaliser = -lgamma(r + value) + lgamma(1.0 + value) + lgamma(r)
        return unnormalised - where(r + value == 0, 0.0, normaliser)


class Geometric(_BinaryParams):
    """Failures before the first success, success probability p: 0, 1, 2, …

    log p(k) = k·log(1 − p) + log p;  mean 1/p − 1;  variance (1 − p)/p²;  mode 0
    H = BCE(ℓ, p)/p
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        name, (param,) = self._set_binary(probs, logits)
        raw = probs if probs is not None else logits
        super().__init__(batch_of((raw,), (param,)), validate_args=validate_args)
        if name == "probs" and self._validate_args and not bool((self.probs > 0).all()):
            raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of shape "
                             f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but found "
                             f"invalid values:\n{self.probs}")
        self._complete_binary(name)

    def _expanded_params(self, batch_shape):
        return {"probs": self.probs.expand(batch_shape), "logits": self.logits.expand(batch_shape)}

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return self.probs * 0

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        p = host(self.probs)
        return numpy_draw(self.probs, lambda rng, s: rng.geometric(np.broadcast_to(p, s)) - 1,
                          self._extended_shape(sample_shape))

    def log_prob(self, value):
        value = _checked(self, value)
        value, probs = broadcast_all(value, self.probs)
        probs = where((probs == 1) & (value == 0), 0.0, probs)
        return value * log1p(-probs) + self.probs.log()

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs) / self.probs


class OneHotCategorical(CategoricalParams, Distribution):
    """A Categorical draw as a one-hot vector over the last dimension of ``probs`` / ``logits`` (size K).

    log p(x) = ℓ_k for x = e_k;  mean p;  variance p(1 − p);  H as Categorical's
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"_categorical": self._categorical.expand(batch_shape)}

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return _one_hot(self.probs.argmax(-1), self._event_shape[0], self.probs)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        with no_grad():
            return _one_hot(self._categorical.sample(sample_shape), self._event_shape[0], self.probs)

    def log_prob(self, value):
        value = _checked(self, value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        k = self._event_shape[0]
        values = eye(k, dtype=self.probs.dtype).reshape((k,) + (1,) * len(self._batch_shape) + (k,))
        return values.expand((k,) + tuple(self._batch_shape) + (k,)) if expand else values

    def __repr__(self):
        return "OneHot" + repr(self._categorical)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A one-hot draw whose gradient is the probabilities' (straight-through estimator):
    rsample = x + (p − p.detach()), the value x, the gradient ∂p."""

    has_rsample = True

    def rsample(self, sample_shape=()):
        draws = self.sample(sample_shape)
        probs = self._categorical.probs
        return draws + (probs - probs.detach())


def _one_hot(index, k, like):
    return (index.unsqueeze(-1) == arange(k, device=like.device)).type_as(like)


class Multinomial(CategoricalParams, Distribution):
    """Counts of K categories in ``total_count`` n draws of a Categorical(``probs`` / ``logits``).

    log p(x) = log n! − Σ log xᵢ! + Σ xᵢ·log pᵢ;  mean np;  variance np(1 − p)
    H = n·H(Categorical) − log n! + Σᵢ Σ_{x=1..n} Binomial(x; n, pᵢ)·log x!
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError(f"Multinomial: inhomogeneous total_count is not supported (as in "
                                      f"PyTorch): got {type(total_count).__name__}; give one int for the "
                                      "whole batch")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self._categorical.probs)
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        categorical = self._categorical.expand(batch_shape)
        return {"total_count": self.total_count, "_categorical": categorical,
                "_binomial": self._binomial.expand(batch_shape + tuple(self._event_shape))}

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = host(self.probs)
        p = p / p.sum(-1, keepdims=True)
        return numpy_draw(self.probs, lambda rng, s: rng.multinomial(self.total_count, p, size=s[:-1]), shape)

    def log_prob(self, value):
        value = _checked(self, value)
        logits = self.logits
        logits = where((value == 0) & (logits == -float("inf")), 0.0, logits)
        return lgamma(value.sum(-1) + 1) - lgamma(value + 1).sum(-1) + (logits * value).sum(-1)

    def entropy(self):
        n = self.total_count
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = exp(self._binomial.log_prob(support))
        weights = lgamma(support + 1)
        return (n * self._categorical.entropy() - float(np.log(np.arange(1, n + 1)).sum())
                + (binomial_probs * weights).sum(0).sum(-1))
