"""Probability distributions as PyTorch's ``torch.distributions``: Normal, Uniform,
Bernoulli, Categorical, Independent, MultivariateNormal, with ``sample`` / ``rsample``
(reparameterised, differentiable) / ``log_prob`` / ``entropy`` / ``mean`` / ``stddev`` / ``variance``,
``batch_shape`` / ``event_shape``, argument validation, and ``kl_divergence``.

Every formula is composed from glassnet's primitives, so ``log_prob`` and ``rsample``
are differentiable and ``gn.explain`` can show them step by step. Draws come from
glassnet's generator (``gn.manual_seed``): the same distribution as PyTorch's, not the
same numbers.
"""

from glassnet.distributions import constraints
from glassnet.distributions._discrete import Bernoulli, Categorical
from glassnet.distributions._distribution import Distribution
from glassnet.distributions._independent import Independent
from glassnet.distributions._kl import kl_divergence, register_kl
from glassnet.distributions._multivariate_normal import MultivariateNormal
from glassnet.distributions._normal import Normal, Uniform

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Independent",
    "MultivariateNormal",
    "Normal",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
