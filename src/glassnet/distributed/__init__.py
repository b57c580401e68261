"""Data-parallel training across processes and machines over MPI (mpi4py).

>>> import glassnet.distributed as dist
>>> dist.init_process_group()          # under mpiexec -n N: N ranks; plain python: 1
>>> dist.get_rank(), dist.get_world_size()
(0, 1)
>>> dist.destroy_process_group()

Run ``mpiexec -n 4 python train.py``; wrap the model in
:class:`glassnet.nn.parallel.DistributedDataParallel` and shard the data with
:class:`glassnet.data.DistributedSampler`. See docs/distributed.md. Install the MPI
extra with ``pip install "glassnet[mpi]"`` (mpi4py and MPICH from the package index).
"""

from glassnet.distributed._collectives import ReduceOp, Work, all_gather, all_reduce, barrier, broadcast
from glassnet.distributed._world import (
    DistributedTimeoutError,
    destroy_process_group,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = [
    "DistributedTimeoutError",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
]
