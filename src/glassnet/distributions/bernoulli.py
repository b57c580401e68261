"""PyTorch's module path ``torch.distributions.bernoulli`` (``from torch.distributions.bernoulli import
Bernoulli`` works after the import change); the class lives in ``glassnet.distributions._discrete``."""

from glassnet.distributions._discrete import Bernoulli

__all__ = ["Bernoulli"]
