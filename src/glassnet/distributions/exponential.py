"""PyTorch's module path ``torch.distributions.exponential`` (``from torch.distributions.exponential import
Exponential`` works after the import change); the class lives in ``glassnet.distributions._continuous``."""

from glassnet.distributions._continuous import Exponential

__all__ = ["Exponential"]
