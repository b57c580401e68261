"""PyTorch's module path ``torch.distributions.multivariate_normal`` (``from
torch.distributions.multivariate_normal import MultivariateNormal`` works after the import
change); the class lives in ``glassnet.distributions._multivariate_normal``."""

from glassnet.distributions._multivariate_normal import MultivariateNormal

__all__ = ["MultivariateNormal"]
