"""PyTorch's module path ``torch.distributions.gamma`` (``from torch.distributions.gamma import
Gamma`` works after the import change); the class lives in ``glassnet.distributions._gamma``."""

from glassnet.distributions._gamma import Gamma

__all__ = ["Gamma"]
