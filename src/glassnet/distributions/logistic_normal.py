"""PyTorch's module path ``torch.distributions.logistic_normal`` (``from
torch.distributions.logistic_normal import LogisticNormal`` works after the import change); the class lives in
``glassnet.distributions._transformed_families``."""

from glassnet.distributions._transformed_families import LogisticNormal

__all__ = ["LogisticNormal"]
