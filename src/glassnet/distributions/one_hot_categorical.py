"""PyTorch's module path ``torch.distributions.one_hot_categorical`` (``from
torch.distributions.one_hot_categorical import OneHotCategorical`` works after the import change); the
class lives in ``glassnet.distributions._counts``."""

from glassnet.distributions._counts import OneHotCategorical, OneHotCategoricalStraightThrough

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]
