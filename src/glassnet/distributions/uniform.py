"""PyTorch's module path ``torch.distributions.uniform`` (``from torch.distributions.uniform import
Uniform`` works after the import change); the class lives in ``glassnet.distributions._normal``."""

from glassnet.distributions._normal import Uniform

__all__ = ["Uniform"]
