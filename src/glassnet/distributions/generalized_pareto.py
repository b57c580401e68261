"""PyTorch's module path ``torch.distributions.generalized_pareto`` (``from
torch.distributions.generalized_pareto import GeneralizedPareto`` works after the import change);
the class lives in ``glassnet.distributions._ratio_tail``."""

from glassnet.distributions._ratio_tail import GeneralizedPareto

__all__ = ["GeneralizedPareto"]
