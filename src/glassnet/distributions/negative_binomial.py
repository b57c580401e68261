"""PyTorch's module path ``torch.distributions.negative_binomial`` (``from
torch.distributions.negative_binomial import NegativeBinomial`` works after the import change);
the class lives in ``glassnet.distributions._counts``."""

from glassnet.distributions._counts import NegativeBinomial

__all__ = ["NegativeBinomial"]
