"""PyTorch's ``torch.utils`` paths, so that ``from torch.utils.data import DataLoader`` becomes
``from glassnet.utils.data import DataLoader`` with nothing else changed."""

from glassnet.utils import checkpoint, data

__all__ = ["checkpoint", "data"]
