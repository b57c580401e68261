"""PyTorch's module path ``torch.distributions.fishersnedecor`` (``from
torch.distributions.fishersnedecor import FisherSnedecor`` works after the import change); the class lives in
``glassnet.distributions._ratio_tail``."""

from glassnet.distributions._ratio_tail import FisherSnedecor

__all__ = ["FisherSnedecor"]
