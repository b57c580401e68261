"""The Concrete / Gumbel-softmax relaxations: RelaxedBernoulli and RelaxedOneHotCategorical
(and their log-space bases LogitRelaxedBernoulli, ExpRelaxedCategorical), reparameterised
stand-ins for a Bernoulli / one-hot draw at ``temperature`` τ (→ the discrete draw as τ → 0)."""

import math

from glassnet.distributions import constraints
from glassnet.distributions._continuous import batch_of
from glassnet.distributions._discrete import Categorical, CategoricalParams, _one_of
from glassnet.distributions._distribution import (
    Distribution,
    broadcast_all,
    clamp_probs,
    logits_to_probs,
    probs_to_logits,
)
from glassnet.distributions._draw import open_uniform
from glassnet.distributions._transformed import TransformedDistribution
from glassnet.distributions._transforms import ExpTransform, SigmoidTransform
from glassnet.ops import log, log1p, softplus

__all__ = ["ExpRelaxedCategorical", "LogitRelaxedBernoulli", "RelaxedBernoulli", "RelaxedOneHotCategorical"]


def _log(temperature):
    """log τ for a tensor or a number τ."""
    return math.log(temperature) if isinstance(temperature, (int, float)) else log(temperature)


class _RelaxedParams:
    """``temperature``, ``logits`` and ``probs`` read from the relaxed base distribution
    (RelaxedBernoulli, RelaxedOneHotCategorical)."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class LogitRelaxedBernoulli(Distribution):
    """The logit of a RelaxedBernoulli: x = (ℓ + log u − log(1 − u))/τ, u ~ U(0, 1).

    log p(x) = log τ + d − 2·softplus(d),  d = ℓ − τx
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits, type(self).__name__)
        self.temperature = temperature
        name = "probs" if probs is not None else "logits"
        raw = probs if probs is not None else logits
        (param,) = broadcast_all(raw)
        setattr(self, name, param)
        super().__init__(batch_of((raw,), (param,)), validate_args=validate_args)
        if name == "probs":
            self.logits = probs_to_logits(self.probs, is_binary=True)
        else:
            self.probs = logits_to_probs(self.logits, is_binary=True)

    def _expanded_params(self, batch_shape):
        return {"temperature": self.temperature, "probs": self.probs.expand(batch_shape),
                "logits": self.logits.expand(batch_shape)}

    def rsample(self, sample_shape=()):
        u = clamp_probs(open_uniform(self._extended_shape(sample_shape), self.probs))
        p = clamp_probs(self.probs)
        return (log(u) - log1p(-u) + log(p) - log1p(-p)) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return _log(self.temperature) + diff - 2 * softplus(diff)


class RelaxedBernoulli(_RelaxedParams, TransformedDistribution):
    """y = σ(x), x ~ LogitRelaxedBernoulli(τ, p): a reparameterised draw in (0, 1)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)



class ExpRelaxedCategorical(CategoricalParams, Distribution):
    """The log of a RelaxedOneHotCategorical over the last dimension (size K) of probs / logits:
    x = s − logsumexp(s),  s = (ℓ + g)/τ,  g Gumbel(0, 1) noise.

    log p(x) = log Γ(K) + (K − 1)·log τ + Σ_k (ℓ_k − τx_k) − K·logsumexp_k(ℓ_k − τx_k)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        self.temperature = temperature
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"temperature": self.temperature, "_categorical": self._categorical.expand(batch_shape)}

    def rsample(self, sample_shape=()):
        u = clamp_probs(open_uniform(self._extended_shape(sample_shape), self.logits))
        scores = (self.logits - log(-log(u))) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self._event_shape[0]
        logits, value = broadcast_all(self.logits, value)
        temperature = self.temperature
        score = logits - value * temperature
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + math.lgamma(k) + (k - 1) * _log(temperature)

    def __repr__(self):
        return "ExpRelaxed" + repr(self._categorical)


class RelaxedOneHotCategorical(_RelaxedParams, TransformedDistribution):
    """y = exp(x), x ~ ExpRelaxedCategorical(τ, p): the Gumbel-softmax draw, a point of the simplex."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

