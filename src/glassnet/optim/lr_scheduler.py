"""Learning-rate schedulers: set each parameter group's lr as training goes on.

Call ``optimizer.step()`` first, then ``scheduler.step()`` (once per epoch; per batch
for :class:`OneCycleLR`; ``step(metric)`` for :class:`ReduceLROnPlateau`). The lr
sequences are those of ``torch.optim.lr_scheduler``, number for number.
"""

from glassnet.optim._cyclic import CosineAnnealingWarmRestarts, CyclicLR
from glassnet.optim._one_cycle import OneCycleLR
from glassnet.optim._plateau import ReduceLROnPlateau
from glassnet.optim._scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    MultiStepLR,
    StepLR,
)
from glassnet.optim._scheduler_compose import ChainedScheduler, SequentialLR
from glassnet.optim._scheduler_more import ConstantLR, LinearLR, MultiplicativeLR, PolynomialLR

_LRScheduler = LRScheduler  # PyTorch's old name, still subclassed by custom schedulers

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
