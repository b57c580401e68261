"""``torch.utils.data.dataloader``'s names: the DataLoader and its collate functions
(the objects of :mod:`glassnet.data`)."""

from glassnet.data import DataLoader, default_collate, default_convert, get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
