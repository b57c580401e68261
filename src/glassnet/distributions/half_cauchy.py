"""PyTorch's module path ``torch.distributions.half_cauchy`` (``from torch.distributions.half_cauchy import
HalfCauchy`` works after the import change); the class lives in
``glassnet.distributions._transformed_more``."""

from glassnet.distributions._transformed_more import HalfCauchy

__all__ = ["HalfCauchy"]
