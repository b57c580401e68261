"""PyTorch's module path ``torch.distributions.distribution`` (``from torch.distributions.distribution import
Distribution`` works after the import change); the class lives in ``glassnet.distributions._distribution``."""

from glassnet.distributions._distribution import Distribution

__all__ = ["Distribution"]
