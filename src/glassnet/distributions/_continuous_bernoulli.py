"""ContinuousBernoulli(λ): the density C(λ)·λˣ(1 − λ)^{1−x} on [0, 1] (Loaiza-Ganem and
Cunningham, 2019). Near λ = ½ the closed forms divide 0 by 0, so inside ``lims`` (default
(0.499, 0.501)) each quantity is its Taylor polynomial in (λ − ½), as PyTorch's."""

import math

from glassnet._creation import rand
from glassnet.autograd._mode import no_grad
from glassnet.distributions import constraints
from glassnet.distributions._discrete import _one_of
from glassnet.distributions._distribution import (
    Distribution,
    broadcast_all,
    clamp_probs,
    logits_to_probs,
    probs_to_logits,
)
from glassnet.ops import log, log1p, softplus, where

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(Distribution):
    """λ = ``probs`` (clamped to [eps, 1 − eps]) or σ(``logits``); ℓ = log λ − log(1 − λ).

    log p(x) = x·ℓ − softplus(ℓ) + log C(λ),  log C = log|log(1 − λ) − log λ| − log|1 − 2λ|
    mean λ/(2λ − 1) + 1/(log(1 − λ) − log λ);  variance λ(λ − 1)/(1 − 2λ)² + 1/(log(1 − λ) − log λ)²
    F(x) = (λˣ(1 − λ)^{1−x} + λ − 1)/(2λ − 1);  F⁻¹(u) = (log(1 − λ + u(2λ − 1)) − log(1 − λ))/ℓ
    H = mean·(log(1 − λ) − log λ) − log C − log(1 − λ);  rsample x = F⁻¹(u), u ~ U[0, 1)
    Near ½ (t = λ − ½): log C ≈ log 2 + (4/3 + 104/45·t²)t², mean ≈ ½ + (1/3 + 16/45·t²)t,
    variance ≈ 1/12 − (1/15 − 128/945·t²)t², F(x) = x, F⁻¹(u) = u.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        _one_of(probs, logits, "ContinuousBernoulli")
        raw = probs if probs is not None else logits
        (param,) = broadcast_all(raw)
        if probs is not None:
            if validate_args is not None and not bool(constraints.unit_interval.check(param).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(param)
            self.logits = probs_to_logits(self.probs, is_binary=True)
        else:
            self.logits = param
            self.probs = clamp_probs(logits_to_probs(param, is_binary=True))
        self._lims = lims
        super().__init__(() if isinstance(raw, (int, float)) else param.shape, validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        return {"probs": self.probs.expand(batch_shape), "logits": self.logits.expand(batch_shape),
                "_lims": self._lims}

    @property
    def param_shape(self):
        return self.probs.shape

    def _outside(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut(self):
        """λ where the closed forms are used, lims[0] elsewhere (so they stay finite there)."""
        return where(self._outside(), self.probs, self._lims[0])

    def _log_norm(self):
        lam = self._cut()
        below = lam <= 0.5
        log_norm = log((log1p(-lam) - log(lam)).abs()) - where(
            below, log1p(-2.0 * where(below, lam, 0.0)), log(2.0 * where(lam >= 0.5, lam, 1.0) - 1.0))
        t2 = (self.probs - 0.5).pow(2)
        return where(self._outside(), log_norm, math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * t2) * t2)

    @property
    def mean(self):
        lam = self._cut()
        exact = lam / (2.0 * lam - 1.0) + 1.0 / (log1p(-lam) - log(lam))
        t = self.probs - 0.5
        return where(self._outside(), exact, 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * t.pow(2)) * t)

    @property
    def variance(self):
        lam = self._cut()
        exact = lam * (lam - 1.0) / (1.0 - 2.0 * lam).pow(2) + 1.0 / (log1p(-lam) - log(lam)).pow(2)
        t2 = (self.probs - 0.5).pow(2)
        return where(self._outside(), exact, 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * t2) * t2)

    def rsample(self, sample_shape=()):
        u = rand(self._extended_shape(sample_shape), dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return value * self.logits - softplus(self.logits) + self._log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lam = self._cut()
        exact = (lam.pow(value) * (1.0 - lam).pow(1.0 - value) + lam - 1.0) / (2.0 * lam - 1.0)
        inside = where(self._outside(), exact, value)
        return where(value <= 0.0, 0.0, where(value >= 1.0, 1.0, inside))

    def icdf(self, value):
        lam = self._cut()
        exact = (log1p(-lam + value * (2.0 * lam - 1.0)) - log1p(-lam)) / (log(lam) - log1p(-lam))
        return where(self._outside(), exact, value)

    def entropy(self):
        log0, log1 = log1p(-self.probs), log(self.probs)
        return self.mean * (log0 - log1) - self._log_norm() - log0

    def __repr__(self):
        shown = self.probs if self.probs.numel() == 1 else self.probs.size()
        return f"ContinuousBernoulli(probs: {shown})"
