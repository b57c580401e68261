"""PyTorch's module path ``torch.distributions.normal`` (``from torch.distributions.normal import
Normal`` works after the import change); the class lives in ``glassnet.distributions._normal``."""

from glassnet.distributions._normal import Normal

__all__ = ["Normal"]
