"""``torch.cuda.amp`` (PyTorch's older path for ``torch.amp`` with device ``"cuda"``): the same
:class:`~glassnet.amp.autocast` and :class:`~glassnet.amp.GradScaler`, their device fixed to
``"cuda"`` — on a machine without a GPU both warn and disable themselves, as PyTorch's do."""

import warnings

from glassnet.amp import GradScaler as _GradScaler
from glassnet.amp import autocast as _autocast

__all__ = ["GradScaler", "autocast"]


class autocast(_autocast):  # noqa: N801  (PyTorch's name)
    """``autocast("cuda", dtype, enabled, cache_enabled)``."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        warnings.warn("torch.cuda.amp.autocast(args...) is deprecated (in PyTorch too); write "
                      "autocast('cuda', args...)", FutureWarning, stacklevel=2)
        super().__init__("cuda", dtype, enabled, cache_enabled)


class GradScaler(_GradScaler):
    """``GradScaler("cuda", ...)``."""

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        warnings.warn("torch.cuda.amp.GradScaler(args...) is deprecated (in PyTorch too); write "
                      "amp.GradScaler('cuda', args...)", FutureWarning, stacklevel=2)
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
