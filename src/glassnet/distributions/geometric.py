"""PyTorch's module path ``torch.distributions.geometric`` (``from torch.distributions.geometric import
Geometric`` works after the import change); the class lives in ``glassnet.distributions._counts``."""

from glassnet.distributions._counts import Geometric

__all__ = ["Geometric"]
