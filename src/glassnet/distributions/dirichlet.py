"""PyTorch's module path ``torch.distributions.dirichlet`` (``from torch.distributions.dirichlet import
Dirichlet`` works after the import change); the class lives in ``glassnet.distributions._gamma``."""

from glassnet.distributions._gamma import Dirichlet

__all__ = ["Dirichlet"]
