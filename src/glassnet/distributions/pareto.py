"""PyTorch's module path ``torch.distributions.pareto`` (``from torch.distributions.pareto import
Pareto`` works after the import change); the class lives in ``glassnet.distributions._transformed_more``."""

from glassnet.distributions._transformed_more import Pareto

__all__ = ["Pareto"]
