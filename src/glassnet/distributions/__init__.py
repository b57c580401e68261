"""Probability distributions as PyTorch's ``torch.distributions``: Normal, Uniform,
Bernoulli, Categorical, Independent, MultivariateNormal, Exponential, Laplace, Cauchy, Gumbel,
LogNormal (a TransformedDistribution), Gamma, Chi2, Beta, Dirichlet, StudentT, Poisson, Binomial,
Geometric, Multinomial, OneHotCategorical, MixtureSameFamily, HalfNormal, HalfCauchy, Pareto,
Weibull, RelaxedBernoulli, RelaxedOneHotCategorical, InverseGamma, Kumaraswamy, LogisticNormal,
FisherSnedecor, GeneralizedPareto, LowRankMultivariateNormal, ContinuousBernoulli, VonMises,
with ``sample`` / ``rsample`` (reparameterised, differentiable) / ``log_prob`` / ``entropy`` /
``mean`` / ``stddev`` / ``variance``,
``batch_shape`` / ``event_shape``, argument validation, ``kl_divergence``, and ``biject_to`` /
``transform_to`` (a constraint → a transform from unconstrained numbers onto it).

Every formula is composed from glassnet's primitives, so ``log_prob`` and ``rsample``
are differentiable and ``gn.explain`` can show them step by step. Draws come from
glassnet's generator (``gn.manual_seed``): the same distribution as PyTorch's, not the
same numbers.
"""

from glassnet.distributions import constraint_registry, constraints, transforms
from glassnet.distributions._continuous import Cauchy, Exponential, Gumbel, Laplace
from glassnet.distributions._continuous_bernoulli import ContinuousBernoulli
from glassnet.distributions._counts import (
    Binomial,
    Geometric,
    Multinomial,
    NegativeBinomial,
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
    Poisson,
)
from glassnet.distributions._discrete import Bernoulli, Categorical
from glassnet.distributions._distribution import Distribution
from glassnet.distributions._gamma import Beta, Chi2, Dirichlet, Gamma, StudentT
from glassnet.distributions._independent import Independent
from glassnet.distributions._kl import kl_divergence, register_kl
from glassnet.distributions._kl_cross import __all__ as _kl_cross  # noqa: F401 (registers the pairs)
from glassnet.distributions._kl_families import __all__ as _kl_families  # noqa: F401 (registers the pairs)
from glassnet.distributions._low_rank_normal import LowRankMultivariateNormal
from glassnet.distributions._mixture import MixtureSameFamily
from glassnet.distributions._multivariate_normal import MultivariateNormal
from glassnet.distributions._normal import Normal, Uniform
from glassnet.distributions._ratio_tail import FisherSnedecor, GeneralizedPareto
from glassnet.distributions._relaxed import (
    ExpRelaxedCategorical,
    LogitRelaxedBernoulli,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from glassnet.distributions._transformed import LogNormal, TransformedDistribution
from glassnet.distributions._transformed_families import InverseGamma, Kumaraswamy, LogisticNormal
from glassnet.distributions._transformed_more import HalfCauchy, HalfNormal, Pareto, Weibull
from glassnet.distributions._von_mises import VonMises
from glassnet.distributions.constraint_registry import biject_to, transform_to
from glassnet.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    CatTransform,
    ComposeTransform,
    CorrCholeskyTransform,
    CumulativeDistributionTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StackTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
)

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "CatTransform",
    "ComposeTransform",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "ExpTransform",
    "IndependentTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "TanhTransform",
    "Transform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Chi2",
    "ContinuousBernoulli",
    "Dirichlet",
    "Distribution",
    "ExpRelaxedCategorical",
    "Exponential",
    "FisherSnedecor",
    "Gamma",
    "GeneralizedPareto",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Independent",
    "InverseGamma",
    "Kumaraswamy",
    "Laplace",
    "LogNormal",
    "LogisticNormal",
    "LowRankMultivariateNormal",
    "LogitRelaxedBernoulli",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Pareto",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "Poisson",
    "StudentT",
    "TransformedDistribution",
    "Uniform",
    "VonMises",
    "Weibull",
    "biject_to",
    "constraint_registry",
    "constraints",
    "transforms",
    "kl_divergence",
    "transform_to",
    "register_kl",
]
