"""``glassnet.nn.parallel``: PyTorch's module of data-parallel wrappers.

``DataParallel`` calls the module whole (one process, on the host);
``DistributedDataParallel`` trains one copy per MPI rank and averages the gradients
(see :mod:`glassnet.distributed` and docs/distributed.md).
"""

from glassnet.nn._distributed import DistributedDataParallel
from glassnet.nn._parallel import DataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
