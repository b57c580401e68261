"""PyTorch's module path ``torch.distributions.kumaraswamy`` (``from torch.distributions.kumaraswamy import
Kumaraswamy`` works after the import change); the class lives in
``glassnet.distributions._transformed_families``."""

from glassnet.distributions._transformed_families import Kumaraswamy

__all__ = ["Kumaraswamy"]
