"""PyTorch's module path ``torch.distributions.categorical`` (``from torch.distributions.categorical import
Categorical`` works after the import change); the class lives in ``glassnet.distributions._discrete``."""

from glassnet.distributions._discrete import Categorical

__all__ = ["Categorical"]
