"""PyTorch's module path ``torch.distributions.mixture_same_family`` (``from
torch.distributions.mixture_same_family import MixtureSameFamily`` works after the import
change); the class lives in ``glassnet.distributions._mixture``."""

from glassnet.distributions._mixture import MixtureSameFamily

__all__ = ["MixtureSameFamily"]
