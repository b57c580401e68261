"""``nn.DataParallel``: PyTorch's wrapper, as PyTorch runs it on a machine without GPUs.

PyTorch's ``DataParallel`` copies the module onto each GPU and splits the batch between
them; with no GPU it simply calls the module. glassnet has no GPUs to split over on the
host, so the wrapper calls the module — programs written for PyTorch run unchanged, and
the state dict carries the ``module.`` prefix they expect. To train across processes and
machines, use distributed data parallelism over MPI.

(glassnet once ran the shards of a batch on CPU threads here. Measured on a 2-core
machine against the same model unwrapped, that paid 0.84–1.18× on the 2-D conv stack and
lost on the MNIST-1D CNN and the LSTM, while it needed an engine that knew about shards;
it was removed.)
"""

from glassnet._errors import GlassnetTypeError
from glassnet.nn._module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Wrap ``module`` as PyTorch's ``nn.DataParallel`` does; forward calls it whole.

    Args:
        module: the model to wrap (kept as ``self.module``).
        device_ids, output_device: accepted for PyTorch programs; only ``None`` or the
            CPU make sense on the host.
        dim: the batch axis (kept for ``repr`` and PyTorch compatibility).

    Shape: whatever ``module`` takes and returns.

    Example::

        >>> import glassnet as gn
        >>> model = gn.nn.DataParallel(gn.nn.Linear(3, 2))
        >>> sorted(model.state_dict())
        ['module.bias', 'module.weight']
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise GlassnetTypeError(
                f"DataParallel: expected an nn.Module to wrap, got {type(module).__name__}")
        for name, value in (("device_ids", device_ids), ("output_device", output_device)):
            values = value if isinstance(value, (list, tuple)) else [value]
            if any(v not in (None, "cpu", -1) for v in values):
                raise GlassnetTypeError(
                    f"DataParallel: {name}={value!r} names a GPU, but glassnet's DataParallel runs on the "
                    "host (CPU) only; leave it out, or train across processes with MPI")
        self.module, self.dim = module, int(dim)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def extra_repr(self):
        return f"dim={self.dim}"
