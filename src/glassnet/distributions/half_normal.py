"""PyTorch's module path ``torch.distributions.half_normal`` (``from torch.distributions.half_normal import
HalfNormal`` works after the import change); the class lives in
``glassnet.distributions._transformed_more``."""

from glassnet.distributions._transformed_more import HalfNormal

__all__ = ["HalfNormal"]
