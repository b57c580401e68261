"""``num_workers > 0`` without worker processes: the DataLoader loads in the calling process.

PyTorch forks ``num_workers`` processes that each read whole batches. glassnet reads the
same batches, in the same order, in the process that iterates the loader — as one worker
(id 0) of one: ``worker_init_fn(0)`` runs when an epoch starts (once, with
``persistent_workers=True``), and while the dataset is read ``get_worker_info()``
describes that worker, so a dataset that shards itself by worker reads everything once.
A :class:`~glassnet.GlassnetWarning` says so, once per process.
"""

import contextlib
import warnings
from dataclasses import dataclass

from glassnet._errors import GlassnetWarning

__all__ = ["WorkerInfo", "get_worker_info", "in_process_worker", "warn_in_process"]

_current = None
_warned = False


@dataclass(frozen=True)
class WorkerInfo:
    """What a dataset sees of the worker reading it (PyTorch's ``WorkerInfo`` fields)."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """The :class:`WorkerInfo` while a loader with ``num_workers > 0`` reads its dataset
    (``id=0, num_workers=1``: the calling process is the one worker); None otherwise."""
    return _current


@contextlib.contextmanager
def in_process_worker(info):
    """Run a dataset read (or ``worker_init_fn``) as the worker ``info`` describes."""
    global _current
    outer, _current = _current, info
    try:
        yield
    finally:
        _current = outer


def warn_in_process(num_workers, stacklevel=3):
    """The one-time warning that ``num_workers`` worker processes are not started."""
    global _warned
    if _warned:
        return
    _warned = True
    warnings.warn(
        f"DataLoader: num_workers={num_workers} starts no worker processes in glassnet; the "
        "batches are loaded in this process, one after another, as by a single worker "
        "(worker_init_fn, if given, runs here with worker id 0). The batches are the same; "
        "use num_workers=0 to silence this warning",
        GlassnetWarning, stacklevel=stacklevel)
