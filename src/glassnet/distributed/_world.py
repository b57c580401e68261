"""The process group: which process this is (its rank) among how many (the world size).

``init_process_group()`` reads the MPI world that ``mpiexec -n N`` started (through
mpi4py). A program started without a launcher — plain ``python train.py`` — is a world
of one process, and every collective is then the identity, so the same script runs with
and without MPI. mpi4py is imported only when a launcher started the process.

The group keeps its own duplicate of ``MPI.COMM_WORLD`` (glassnet's messages never mix
with the user's own MPI calls) and the timeout after which a collective that has not
completed raises :class:`DistributedTimeoutError` instead of waiting forever.
"""

import datetime
import os
import sys
import traceback

from glassnet._errors import GlassnetError, GlassnetValueError

__all__ = ["DistributedTimeoutError", "current_group", "destroy_process_group", "get_rank",
           "get_world_size", "init_process_group", "is_available", "is_initialized", "is_mpi_available"]

DEFAULT_TIMEOUT = 1800.0  # seconds, PyTorch's default for its CPU backends

# Set by MPI launchers in every process they start (MPICH/Hydra, Open MPI, PMIx, MVAPICH).
_LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                       "MV2_COMM_WORLD_SIZE")


class DistributedTimeoutError(GlassnetError, TimeoutError):
    """A collective did not complete within the process group's timeout (another rank
    died, hangs, or calls a different collective)."""


class _LocalComm:
    """The communicator of a world of one process: every collective is already done."""

    def Get_rank(self):
        return 0

    def Get_size(self):
        return 1

    def Free(self):
        pass


class _Group:
    """The initialised world: ``comm`` (mpi4py communicator or :class:`_LocalComm`),
    ``rank``, ``size``, ``timeout`` in seconds, and ``backend`` (``"mpi"`` or ``"local"``)."""

    def __init__(self, comm, backend, timeout):
        self.comm, self.backend, self.timeout = comm, backend, timeout
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.previous_excepthook = None


_group = None


def is_available():
    """True, as PyTorch's on builds with distributed support: this package is always there.
    Whether a process group can start over MPI is :func:`is_mpi_available`."""
    return True


def is_mpi_available():
    """Whether mpi4py (and so an MPI library) can be imported."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def _launched_by_mpi():
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def _launcher_size():
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return None


def _as_seconds(timeout):
    seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else timeout
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise GlassnetValueError(
            f"init_process_group: timeout must be a positive number of seconds or a timedelta, "
            f"got {timeout!r}")
    return float(seconds)


def _mpi_world():
    """A duplicate of MPI.COMM_WORLD, or a clear error when mpi4py is missing under a launcher."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        size = _launcher_size()
        raise GlassnetError(
            f"init_process_group: this process was started by an MPI launcher (world size "
            f"{size if size is not None else 'unknown'}) but mpi4py cannot be imported ({exc}); "
            "install it with pip install 'glassnet[mpi]' (mpi4py and MPICH)") from exc
    return MPI.COMM_WORLD.Dup()


def init_process_group(backend="mpi", timeout=DEFAULT_TIMEOUT, abort_on_error=True):
    """Join the world of processes that ``mpiexec`` started; a single process without MPI
    forms a world of size 1.

    Args:
        backend: ``"mpi"`` (the only one; PyTorch's name for it).
        timeout: seconds (or a ``datetime.timedelta``) a collective may wait for the other
            ranks before raising :class:`DistributedTimeoutError`.
        abort_on_error: when the world has several ranks, an exception that nobody catches
            on one rank prints its traceback and aborts every rank (``MPI_Abort``), so the
            others stop at once instead of waiting for the timeout. Restored by
            :func:`destroy_process_group`.
    """
    global _group
    if _group is not None:
        raise GlassnetError("init_process_group: the process group is already initialised; call "
                            "destroy_process_group() first to start another")
    if backend != "mpi":
        raise GlassnetValueError(f"init_process_group: backend {backend!r} is not available; glassnet "
                                 "communicates through MPI only (backend='mpi')")
    seconds = _as_seconds(timeout)
    if _launched_by_mpi():
        group = _Group(_mpi_world(), "mpi", seconds)
    else:
        group = _Group(_LocalComm(), "local", seconds)
    if abort_on_error and group.size > 1:
        group.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_world_hook(group)
    _group = group


def _abort_world_hook(group):
    def hook(kind, value, tb):
        traceback.print_exception(kind, value, tb)
        print(f"glassnet.distributed: rank {group.rank} of {group.size} stops on an uncaught "
              f"{kind.__name__}; aborting every rank (MPI_Abort)", file=sys.stderr, flush=True)
        from mpi4py import MPI

        MPI.COMM_WORLD.Abort(1)
    return hook


def destroy_process_group():
    """Leave the process group (MPI itself stays initialised until the interpreter exits)."""
    global _group
    group = current_group("destroy_process_group")
    if group.previous_excepthook is not None:
        sys.excepthook = group.previous_excepthook
    group.comm.Free()
    _group = None


def is_initialized():
    """Whether :func:`init_process_group` has been called (and not destroyed since)."""
    return _group is not None


def current_group(who):
    """The initialised group, or an error naming ``who`` needed it."""
    if _group is None:
        raise GlassnetError(f"{who}: the process group is not initialised; call "
                            "glassnet.distributed.init_process_group() first")
    return _group


def get_rank():
    """This process's rank, ``0 … world_size − 1``."""
    return current_group("get_rank").rank


def get_world_size():
    """The number of processes in the group."""
    return current_group("get_world_size").size
