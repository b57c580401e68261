"""PyTorch's module path ``torch.distributions.multinomial`` (``from torch.distributions.multinomial import
Multinomial`` works after the import change); the class lives in ``glassnet.distributions._counts``."""

from glassnet.distributions._counts import Multinomial

__all__ = ["Multinomial"]
