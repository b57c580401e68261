"""PyTorch's module path ``torch.optim.optimizer`` (``from torch.optim.optimizer import
Optimizer`` works after the import change); the class lives in ``glassnet.optim._optimizer``."""

from glassnet.optim._optimizer import Optimizer

__all__ = ["Optimizer"]
