"""Ready-made convolutional classifiers: a 1-D CNN for signals (MNIST-1D) and a 2-D CNN
for small images (the 8×8 digits). Both are Sequentials, so their state-dict keys are
PyTorch's (``0.weight``, ``1.running_mean``, …)."""

import math

from glassnet._errors import GlassnetValueError
from glassnet.nn._activation import ReLU
from glassnet.nn._batchnorm import BatchNorm1d, BatchNorm2d
from glassnet.nn._containers import Sequential
from glassnet.nn._conv import Conv1d, Conv2d
from glassnet.nn._linear import Flatten, Linear
from glassnet.nn._pool import MaxPool1d, MaxPool2d

__all__ = ["CNN1d", "CNN2d", "build_cnn"]


class CNN1d(Sequential):
    """``[Conv1d(k=5, same) → BatchNorm1d → ReLU → MaxPool1d(2)] × 2 → Conv1d(k=3) → BN →
    ReLU → Flatten → Linear``. Input (N, L) signals (a channel axis is added) or (N, C, L).

    For MNIST-1D (L = 40): (N, 1, 40) → (N, 32, 20) → (N, 64, 10) → (N, 64, 10) → 10 logits.
    """

    def __init__(self, length=40, num_classes=10, in_channels=1, channels=(32, 64, 64)):
        c1, c2, c3 = channels
        pooled = length // 4
        if pooled < 1:
            raise GlassnetValueError(f"CNN1d: signals of length {length} are too short (need >= 4)")
        super().__init__(
            Conv1d(in_channels, c1, 5, padding=2), BatchNorm1d(c1), ReLU(), MaxPool1d(2),
            Conv1d(c1, c2, 5, padding=2), BatchNorm1d(c2), ReLU(), MaxPool1d(2),
            Conv1d(c2, c3, 3, padding=1), BatchNorm1d(c3), ReLU(),
            Flatten(), Linear(c3 * pooled, num_classes),
        )
        self.in_channels = in_channels
        self.config = {"kind": "cnn1d", "length": length, "num_classes": num_classes,
                       "in_channels": in_channels, "channels": list(channels)}

    def forward(self, x):
        if x.ndim == 2 and self.in_channels == 1:
            x = x.reshape(x.shape[0], 1, x.shape[1])  # (N, L) → (N, 1, L)
        return super().forward(x)


class CNN2d(Sequential):
    """``[Conv2d(3×3, same) → BatchNorm2d → ReLU] → [Conv2d → BN → ReLU → MaxPool2d(2)] ×
    2 → Flatten → Linear``. Input (N, C, H, W) (or (N, H, W): a channel axis is added).

    For the 8×8 digits: (N, 1, 8, 8) → (N, 32, 8, 8) → (N, 32, 4, 4) → (N, 64, 2, 2) → 10.
    """

    def __init__(self, height=8, width=8, num_classes=10, in_channels=1, channels=(32, 32, 64)):
        c1, c2, c3 = channels
        if height < 4 or width < 4:
            raise GlassnetValueError(f"CNN2d: images of {height}×{width} are too small (need >= 4×4)")
        super().__init__(
            Conv2d(in_channels, c1, 3, padding=1), BatchNorm2d(c1), ReLU(),
            Conv2d(c1, c2, 3, padding=1), BatchNorm2d(c2), ReLU(), MaxPool2d(2),
            Conv2d(c2, c3, 3, padding=1), BatchNorm2d(c3), ReLU(), MaxPool2d(2),
            Flatten(), Linear(c3 * (height // 4) * (width // 4), num_classes),
        )
        self.in_channels = in_channels
        self.config = {"kind": "cnn2d", "height": height, "width": width,
                       "num_classes": num_classes, "in_channels": in_channels,
                       "channels": list(channels)}

    def forward(self, x):
        if x.ndim == 3 and self.in_channels == 1:
            x = x.reshape(x.shape[0], 1, *x.shape[1:])  # (N, H, W) → (N, 1, H, W)
        return super().forward(x)


def build_cnn(input_shape, num_classes):
    """A CNN for samples of ``input_shape`` (no batch axis): a signal (L,) → CNN1d; an
    image (H, W) or (C, H, W) → CNN2d."""
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 1:
        return CNN1d(shape[0], num_classes)
    if len(shape) == 2:
        return CNN2d(*shape, num_classes)
    if len(shape) == 3:
        return CNN2d(shape[1], shape[2], num_classes, in_channels=shape[0])
    raise GlassnetValueError(
        f"cnn: samples of shape {shape} fit neither a 1-D CNN ((L,)) nor a 2-D CNN "
        f"((H, W) or (C, H, W)); {math.prod(shape)} values per sample")
