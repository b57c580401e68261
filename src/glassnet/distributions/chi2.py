"""PyTorch's module path ``torch.distributions.chi2`` (``from torch.distributions.chi2 import
Chi2`` works after the import change); the class lives in ``glassnet.distributions._gamma``."""

from glassnet.distributions._gamma import Chi2

__all__ = ["Chi2"]
