"""PyTorch's module path ``torch.distributions.transformed_distribution`` (``from
torch.distributions.transformed_distribution import TransformedDistribution`` works after the
import change); the class lives in ``glassnet.distributions._transformed``."""

from glassnet.distributions._transformed import TransformedDistribution

__all__ = ["TransformedDistribution"]
