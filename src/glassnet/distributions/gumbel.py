"""PyTorch's module path ``torch.distributions.gumbel`` (``from torch.distributions.gumbel import
Gumbel`` works after the import change); the class lives in ``glassnet.distributions._continuous``."""

from glassnet.distributions._continuous import Gumbel

__all__ = ["Gumbel"]
