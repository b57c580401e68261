"""PyTorch's module path ``torch.distributions.inverse_gamma`` (``from
torch.distributions.inverse_gamma import InverseGamma`` works after the import change); the class lives in
``glassnet.distributions._transformed_families``."""

from glassnet.distributions._transformed_families import InverseGamma

__all__ = ["InverseGamma"]
