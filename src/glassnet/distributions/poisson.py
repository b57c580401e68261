"""PyTorch's module path ``torch.distributions.poisson`` (``from torch.distributions.poisson import
Poisson`` works after the import change); the class lives in ``glassnet.distributions._counts``."""

from glassnet.distributions._counts import Poisson

__all__ = ["Poisson"]
