"""PyTorch's module path ``torch.distributions.laplace`` (``from torch.distributions.laplace import
Laplace`` works after the import change); the class lives in ``glassnet.distributions._continuous``."""

from glassnet.distributions._continuous import Laplace

__all__ = ["Laplace"]
