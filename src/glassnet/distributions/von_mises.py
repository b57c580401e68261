"""PyTorch's module path ``torch.distributions.von_mises`` (``from torch.distributions.von_mises
import VonMises`` works after the import change); the class lives in
``glassnet.distributions._von_mises``."""

from glassnet.distributions._von_mises import VonMises

__all__ = ["VonMises"]
