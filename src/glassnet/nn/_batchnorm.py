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

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Dropout2d"]


class RunningStats:
    """Mixed into the normalisations that keep running statistics (batch and instance norm):
    PyTorch's buffers ``running_mean`` (zeros), ``running_var`` (ones) and
    ``num_batches_tracked``, or the three registered as None without tracking."""

    def _init_running_stats(self, channels, dtype, track):
        if track:
            self.register_buffer("running_mean", Tensor(np.zeros(channels, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(channels, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0


class _BatchNorm(RunningStats, Module):
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
        self._init_running_stats(c, dtype, track_running_stats)

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
    ``running_var`` (unbiased) with ``momentum``; eval mode uses the running statistics.

    ``y = (x − μ) / √(σ² + ε) · weight + bias``, and in training
    ``running ← (1 − momentum)·running + momentum·batch statistic``.

    Args:
        num_features: the number of channels C.
        eps: ε added to the variance for stability (default 1e-5).
        momentum: the running statistics' update factor (default 0.1; None: a cumulative
            average over all batches seen).
        affine: learn a per-channel ``weight`` (starts at 1) and ``bias`` (starts at 0)
            (default True).
        track_running_stats: keep ``running_mean``/``running_var`` buffers; when False,
            eval mode also uses the batch's statistics (default True).
        dtype: the parameters' and buffers' dtype (default: glassnet's default, float32).

    Shape:
        input ``(N, C)`` or ``(N, C, L)`` → output of the same shape.

    Example:
        >>> import glassnet as gn
        >>> bn = gn.nn.BatchNorm1d(2)
        >>> x = gn.tensor([[1.0, 10.0], [3.0, 20.0], [5.0, 30.0]])
        >>> print(bn(x).numpy().round(3))                 # each column: mean 0, variance 1
        [[-1.225 -1.225]
         [ 0.     0.   ]
         [ 1.225  1.225]]
        >>> print(bn.running_mean.numpy().round(3))       # 0.9·0 + 0.1·(3, 20)
        [0.3 2. ]
        >>> print(bn.running_var.numpy().round(3))        # 0.9·1 + 0.1·(4, 100)
        [ 1.3 10.9]
    """

    _ndims = (2, 3)
    _layouts = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): statistics per channel over N, H and W.

    ``y = (x − μ) / √(σ² + ε) · weight + bias``; weight (C,) starts at 1, bias (C,) at 0."""

    _ndims = (4,)
    _layouts = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W): statistics per channel over N, D, H and W."""

    _ndims = (5,)
    _layouts = "(N, C, D, H, W)"


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
