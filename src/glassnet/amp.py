"""``torch.amp`` for PyTorch programs: ``autocast`` and ``GradScaler``, with PyTorch's
behaviour where glassnet can give it and an error where it cannot.

- ``autocast("cuda")`` on a machine without a GPU does what PyTorch does there: warns once
  and computes as if it were not there. ``enabled=False`` is a no-op anywhere (the common
  ``autocast(device_type=..., enabled=use_amp)``). Enabled on the CPU — or on a GPU —
  it raises: PyTorch would run matmuls and convolutions in bfloat16/float16 and glassnet
  has no autocasting, so computing on in float32 would be a silent difference.
- ``GradScaler`` is PyTorch's dynamic loss scaling, step for step: ``scale(loss)``
  multiplies by ``S`` (65536 to start), ``unscale_(optimizer)`` divides the gradients by
  ``S`` and notes whether any is inf/NaN, ``step`` skips the optimiser's step if one was,
  and ``update`` halves ``S`` after a skipped step and doubles it after ``growth_interval``
  clean ones. For ``"cuda"`` without a GPU it warns and disables itself, as PyTorch does.
"""

import functools
import math
import warnings

import numpy as np

from glassnet._backend import namespace
from glassnet._device import cupy_and_count
from glassnet._errors import GlassnetValueError, GlassnetWarning
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor

__all__ = ["GradScaler", "autocast"]


def _gpu():
    return cupy_and_count()[1] > 0


def _device_type(device):
    return str(getattr(device, "type", device)).split(":")[0]


class autocast:  # noqa: N801  (PyTorch's name)
    """A context manager (and decorator) standing for PyTorch's mixed precision region.

    Args:
        device_type: ``"cuda"`` or ``"cpu"``.
        dtype: the lower precision PyTorch would use (bfloat16 on the CPU by default).
        enabled: False makes it a no-op.
        cache_enabled: accepted (PyTorch's weight-cast cache).

    Example:
        >>> with gn.autocast(device_type="cpu", enabled=False):
        ...     y = gn.ones(2, 2) @ gn.ones(2, 2)
        >>> y.dtype
        dtype('float32')
    """

    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
        self.device_type, self.dtype, self.enabled = _device_type(device_type), dtype, bool(enabled)
        if not self.enabled:
            return
        if self.device_type == "cuda" and not _gpu():
            warnings.warn("autocast: device_type 'cuda' but CUDA is not available (no GPU); disabling "
                          "autocast, as PyTorch does", GlassnetWarning, stacklevel=2)
            self.enabled = False
            return
        raise GlassnetValueError(
            f"autocast(device_type={self.device_type!r}, enabled=True): glassnet has no automatic mixed "
            "precision (PyTorch would run matmuls and convolutions in bfloat16/float16 here, glassnet in "
            "float32 — a silent difference); pass enabled=False, or convert the model and inputs "
            "explicitly (model.half(), x.half())")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return run


class GradScaler:
    """PyTorch's dynamic loss scaling (see the module doc for the algorithm).

    Args:
        device: ``"cuda"`` (disabled with a warning when there is no GPU) or ``"cpu"``.
        init_scale: the first scale ``S``.
        growth_factor: ``S`` is multiplied by this after ``growth_interval`` steps without inf/NaN.
        backoff_factor: ``S`` is multiplied by this after a step with inf/NaN gradients.
        growth_interval: clean steps between growths.
        enabled: False makes every method a pass-through.

    Example:
        >>> w = gn.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = gn.optim.SGD([w], lr=0.1)
        >>> scaler = gn.amp.GradScaler("cpu")
        >>> scaler.scale((w * w).sum()).backward()    # gradients are 65536 × 2w
        >>> scaler.step(opt)                           # unscaled, then the step
        >>> scaler.update()
        >>> w.tolist()
        [0.800000011920929, -1.600000023841858]
    """

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self.device = _device_type(device)
        self._enabled = bool(enabled)
        if self._enabled and self.device == "cuda" and not _gpu():
            warnings.warn("GradScaler: device 'cuda' but CUDA is not available (no GPU); disabling, as "
                          "PyTorch does", GlassnetWarning, stacklevel=2)
            self._enabled = False
        if not growth_factor > 1.0 or not 0.0 < backoff_factor < 1.0:
            raise GlassnetValueError(f"GradScaler: growth_factor must be > 1 and backoff_factor in (0, 1), "
                                     f"got {growth_factor} and {backoff_factor}")
        self._scale = float(np.float32(init_scale))
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._per_optimizer = {}  # id(optimizer) → {"unscaled": bool, "found_inf": bool}

    def is_enabled(self):
        return self._enabled

    def get_scale(self):
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def get_growth_interval(self):
        return self._growth_interval

    def scale(self, outputs):
        """``outputs · S`` (a tensor, or each tensor of a list/tuple)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        return type(outputs)(self.scale(o) for o in outputs)

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"unscaled": False, "found_inf": False})

    def unscale_(self, optimizer):
        """Divide the gradients of ``optimizer``'s parameters by ``S`` in place; note inf/NaN."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["unscaled"]:
            raise GlassnetValueError("GradScaler.unscale_: already called on this optimizer since the last "
                                     "update() (call it once per step, before step())")
        inverse = 1.0 / self._scale
        found = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad.array
                    grad *= np.asarray(inverse, dtype=np.float32).astype(grad.dtype)
                    found = found or not bool(namespace(grad).isfinite(grad).all())
        state["unscaled"], state["found_inf"] = True, found

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if not done yet) and run ``optimizer.step`` — unless a gradient was inf/NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        state = self._state(optimizer)
        if not state["unscaled"]:
            self.unscale_(optimizer)
        if state["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Back off after a skipped step, grow after ``growth_interval`` clean ones (or set
        ``new_scale``); forget this step's per-optimizer state."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        elif any(s["found_inf"] for s in self._per_optimizer.values()):
            self._scale = float(np.float32(self._scale * self._backoff_factor))
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                grown = float(np.float32(self._scale * self._growth_factor))
                self._scale = grown if math.isfinite(grown) else self._scale
                self._growth_tracker = 0
        self._per_optimizer = {}

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if not state_dict:
            raise GlassnetValueError("GradScaler.load_state_dict: the state dict is empty (it came from a "
                                     "disabled scaler)")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
