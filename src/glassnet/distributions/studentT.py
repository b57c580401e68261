"""PyTorch's module path ``torch.distributions.studentT`` (``from torch.distributions.studentT import
StudentT`` works after the import change); the class lives in ``glassnet.distributions._gamma``."""

from glassnet.distributions._gamma import StudentT

__all__ = ["StudentT"]
