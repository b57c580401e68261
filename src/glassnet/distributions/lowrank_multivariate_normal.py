"""PyTorch's module path ``torch.distributions.lowrank_multivariate_normal`` (``from
torch.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal`` works after the
import change); the class lives in ``glassnet.distributions._low_rank_normal``."""

from glassnet.distributions._low_rank_normal import LowRankMultivariateNormal

__all__ = ["LowRankMultivariateNormal"]
