"""``glassnet.utils.data`` is :mod:`glassnet.data` under PyTorch's path (``torch.utils.data``):
the same Dataset, DataLoader, samplers and collate functions, the same objects.

PyTorch's submodule paths work too: ``glassnet.utils.data.dataloader`` (DataLoader,
default_collate), ``.dataset`` (Dataset, TensorDataset, Subset, random_split, …),
``.sampler`` (the samplers) and ``.distributed`` (DistributedSampler) re-export the same
classes."""

from glassnet import data as _data

__all__ = list(_data.__all__)


def __getattr__(name):
    """Every public name of :mod:`glassnet.data`, looked up there (one source of truth)."""
    if name in __all__:
        return getattr(_data, name)
    raise AttributeError(f"module 'glassnet.utils.data' has no attribute {name!r} (glassnet.data has: "
                         f"{', '.join(sorted(__all__))})")


def __dir__():
    return sorted(__all__)
