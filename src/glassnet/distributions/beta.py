"""PyTorch's module path ``torch.distributions.beta`` (``from torch.distributions.beta import
Beta`` works after the import change); the class lives in ``glassnet.distributions._gamma``."""

from glassnet.distributions._gamma import Beta

__all__ = ["Beta"]
