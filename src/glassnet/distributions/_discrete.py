"""Bernoulli(p) and Categorical(p): discrete distributions given by probabilities or by
logits (exactly one of the two). The other form is derived once and kept: probabilities
from logits by σ / softmax, logits from probabilities as logs of the probabilities
clamped to [eps, 1 − eps], as PyTorch. Not reparameterisable: ``sample`` only (REINFORCE
differentiates ``log_prob`` instead)."""

import numpy as np

from glassnet._creation import arange
from glassnet._errors import GlassnetValueError
from glassnet._random import bernoulli, multinomial
from glassnet.autograd._mode import no_grad
from glassnet.distributions import constraints
from glassnet.distributions._distribution import (
    Distribution,
    broadcast_all,
    logits_to_probs,
    probs_to_logits,
)
from glassnet.ops import clamp, gather, softplus, where

__all__ = ["Bernoulli", "Categorical"]


def _one_of(probs, logits, name):
    if (probs is None) == (logits is None):
        raise GlassnetValueError(f"{name}: give exactly one of probs or logits, got "
                                 f"{'both' if probs is not None else 'neither'}")


class Bernoulli(Distribution):
    """1 with probability p, else 0.

    log p(x) = x·ℓ − softplus(ℓ)  (ℓ the logits; −BCE-with-logits)
    H = softplus(ℓ) − p·ℓ
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits, "Bernoulli")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            shape = () if isinstance(probs, (int, float)) else self.probs.shape
        else:
            (self.logits,) = broadcast_all(logits)
            shape = () if isinstance(logits, (int, float)) else self.logits.shape
        super().__init__(shape, validate_args=validate_args)
        if probs is not None:
            self.logits = probs_to_logits(self.probs, is_binary=True)
        else:
            self.probs = logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self.probs.shape

    def _expanded_params(self, batch_shape):
        return {"probs": self.probs.expand(batch_shape), "logits": self.logits.expand(batch_shape)}

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return where(self.probs == 0.5, float("nan"), (self.probs >= 0.5).type_as(self.probs))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        with no_grad():
            return bernoulli(self.probs.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        values = arange(2, dtype=self.probs.dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


def _bce_with_logits(logits, target):
    """max(ℓ, 0) − ℓ·y + log(1 + e^{−|ℓ|}): binary cross-entropy from logits, stable for any ℓ."""
    return clamp(logits, min=0) - logits * target + softplus(-logits.abs())


class Categorical(Distribution):
    """One of K categories (the last dimension of probs/logits), drawn as an int64 index.

    probs are normalised to sum to 1; logits to ℓ − logsumexp(ℓ).
    log p(k) = ℓ_k;   H = −Σ_k p_k·ℓ_k
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits, "Categorical")
        params = probs if probs is not None else logits
        if params.ndim < 1:
            raise ValueError("`probs` parameter must be at least one-dimensional." if probs is not None
                             else "`logits` parameter must be at least one-dimensional.")
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._num_events = params.shape[-1]
        super().__init__(params.shape[:-1], validate_args=validate_args)
        if probs is not None:
            self.logits = probs_to_logits(self.probs)
        else:
            self.probs = logits_to_probs(self.logits)
        self.support = constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self):
        return self.probs.shape

    def _expanded_params(self, batch_shape):
        shape = batch_shape + (self._num_events,)
        return {"probs": self.probs.expand(shape), "logits": self.logits.expand(shape),
                "_num_events": self._num_events, "support": self.support}

    @property
    def mean(self):
        return self.probs.new_full(self._extended_shape(), float("nan"))

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return self.probs.new_full(self._extended_shape(), float("nan"))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        n = 1
        for s in tuple(shape)[: len(shape) - len(self._batch_shape)]:
            n *= s
        with no_grad():
            rows = self.probs.reshape(-1, self._num_events)
            draws = multinomial(rows, n, True).T
            return draws.reshape(shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_all(value, self.logits)
        return gather(log_pmf, -1, value[..., :1]).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits.dtype).min)
        logits = clamp(self.logits, min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = arange(self._num_events, dtype="int64").reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class CategoricalParams:
    """``probs``, ``logits`` and ``param_shape`` read from the inner Categorical
    ``self._categorical`` (OneHotCategorical, Multinomial, ExpRelaxedCategorical)."""

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape
