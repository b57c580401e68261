"""Learning-rate schedulers: set each parameter group's lr as training goes on.

Call ``optimizer.step()`` first, then ``scheduler.step()`` (once per epoch; per batch
for :class:`OneCycleLR`; ``step(metric)`` for :class:`ReduceLROnPlateau`). The lr
sequences are those of ``torch.optim.lr_scheduler``, number for number.
"""

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

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "StepLR",
]
