"""PyTorch's module path ``torch.distributions.independent`` (``from torch.distributions.independent import
Independent`` works after the import change); the class lives in ``glassnet.distributions._independent``."""

from glassnet.distributions._independent import Independent

__all__ = ["Independent"]
