"""PyTorch's module path ``torch.distributions.continuous_bernoulli`` (``from
torch.distributions.continuous_bernoulli import ContinuousBernoulli`` works after the import
change); the class lives in ``glassnet.distributions._continuous_bernoulli``."""

from glassnet.distributions._continuous_bernoulli import ContinuousBernoulli

__all__ = ["ContinuousBernoulli"]
