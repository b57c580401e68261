"""Batch normalisation (BatchNorm1d, BatchNorm2d) and channel dropout (Dropout2d).

Batch norm keeps each channel's activations centred and scaled during training, which
steadies deep networks: ``y = (x − μ_B) / √(σ²_B + ε) · γ + β``. Its buffers
(``running_mean``, ``running_var``, ``num_batches_tracked``) have PyTorch's names, so a
PyTorch state dict loads as-is.
"""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import ShapeError
from glassnet.autograd._tensor import Tensor
from glassnet.nn import _functional_conv as FC
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "Dropout2d"]


class _BatchNorm(Module):
    _ndims = ()
    _layouts = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(dtype or get_default_dtype())
        c = self.num_features
        if affine:
            self.weight = Parameter(np.ones(c, dtype=dtype))
            self.bias = Parameter(np.zeros(c, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(c, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def forward(self, x):
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ShapeError(
                f"{type(self).__name__}({self.num_features}): expected input "
                f"{self._layouts.replace('C', str(self.num_features))}, got {tuple(x.shape)}")
        momentum = 0.0 if self.momentum is None else self.momentum
        tracking = self.training and self.track_running_stats
        if tracking:
            self.num_batches_tracked.array += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.array)
        use_batch = self.training or not self.track_running_stats
        return FC.batch_norm(x, self.running_mean if tracking or not use_batch else None,
                             self.running_var if tracking or not use_batch else None,
                             self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): statistics per channel C over N (and L).

    Training uses the batch's mean and (biased) variance and updates ``running_mean`` and
    ``running_var`` (unbiased) with ``momentum``; eval mode uses the running statistics."""

    _ndims = (2, 3)
    _layouts = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): statistics per channel over N, H and W.

    ``y = (x − μ) / √(σ² + ε) · weight + bias``; weight (C,) starts at 1, bias (C,) at 0."""

    _ndims = (4,)
    _layouts = "(N, C, H, W)"


class Dropout2d(Module):
    """Zero whole channels (feature maps) with probability ``p`` in training, scaling the
    kept ones by 1/(1 − p); identity in eval. Input (N, C, H, W) or (N, C, L)."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        return FC.dropout2d(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
