"""PyTorch's module path ``torch.distributions.weibull`` (``from torch.distributions.weibull import
Weibull`` works after the import change); the class lives in ``glassnet.distributions._transformed_more``."""

from glassnet.distributions._transformed_more import Weibull

__all__ = ["Weibull"]
