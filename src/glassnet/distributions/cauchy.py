"""PyTorch's module path ``torch.distributions.cauchy`` (``from torch.distributions.cauchy import
Cauchy`` works after the import change); the class lives in ``glassnet.distributions._continuous``."""

from glassnet.distributions._continuous import Cauchy

__all__ = ["Cauchy"]
