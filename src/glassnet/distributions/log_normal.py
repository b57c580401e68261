"""PyTorch's module path ``torch.distributions.log_normal`` (``from torch.distributions.log_normal import
LogNormal`` works after the import change); the class lives in ``glassnet.distributions._transformed``."""

from glassnet.distributions._transformed import LogNormal

__all__ = ["LogNormal"]
