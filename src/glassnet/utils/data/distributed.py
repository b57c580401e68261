"""``torch.utils.data.distributed``'s name: DistributedSampler (the object of :mod:`glassnet.data`)."""

from glassnet.data import DistributedSampler

__all__ = ["DistributedSampler"]
