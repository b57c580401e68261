"""PyTorch's module path ``torch.distributions.binomial`` (``from torch.distributions.binomial import
Binomial`` works after the import change); the class lives in ``glassnet.distributions._counts``."""

from glassnet.distributions._counts import Binomial

__all__ = ["Binomial"]
