"""Collectives: every rank calls the same one, in the same order, and each gets the result.

==========================================  ===================================================
call                                        afterwards, on every rank r
==========================================  ===================================================
``all_reduce(t, ReduceOp.SUM)``             ``t = Σ_q t_q``  (``AVG``: ``Σ_q t_q / N``; ``MAX``)
``broadcast(t, src)``                       ``t = t_src``
``all_gather(out, t)``                      ``out[q] = t_q`` for ``q = 0 … N−1``
``barrier()``                               every rank has reached the barrier
==========================================  ===================================================

Each is started as a non-blocking MPI request (``Iallreduce``, ``Ibcast``, ``Iallgather``,
``Ibarrier``) and completed by polling it against a deadline: a collective that the other
ranks do not join within the group's timeout raises :class:`DistributedTimeoutError`
naming the call, instead of hanging. ``async_op=True`` returns the :class:`Work` handle
without waiting (``work.wait()`` completes it), as PyTorch's does.

Tensors are changed in place (their ``data`` array), outside autograd, like an optimizer
step. Shapes and dtypes must agree across ranks (MPI cannot check them).
"""

import enum
import time

import numpy as np

from glassnet._backend import namespace, to_numpy
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.distributed._world import DistributedTimeoutError, current_group

__all__ = ["ReduceOp", "Work", "all_gather", "all_gather_rows", "all_reduce", "barrier", "broadcast",
           "start_all_reduce"]

_SPINS = 2000  # polls before the waiting rank starts to sleep between polls
_LONGEST_NAP = 5e-4  # seconds


class ReduceOp(enum.Enum):
    """How :func:`all_reduce` combines the ranks' tensors (PyTorch's names)."""

    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"


class _Done:
    """The request of a world of one: complete from the start."""

    def Test(self):
        return True


class Work:
    """A started collective: ``wait()`` completes it (or raises on timeout), then copies
    the result where it belongs; ``is_completed()`` polls without waiting."""

    def __init__(self, request, what, group, finish=None):
        self.request, self.what, self.group, self.finish = request, what, group, finish
        self.deadline = time.monotonic() + group.timeout
        self.done = False

    def is_completed(self):
        return self.done or bool(self.request.Test())

    def wait(self):
        if self.done:
            return True
        spins, nap = 0, 5e-5
        while not self.request.Test():
            if time.monotonic() > self.deadline:
                raise DistributedTimeoutError(
                    f"{self.what}: rank {self.group.rank} of {self.group.size} waited "
                    f"{self.group.timeout:g} s and the collective did not complete; another rank has "
                    "died, hangs, or called a different collective (every rank must call the same "
                    "collectives in the same order). The timeout is init_process_group(timeout=...)")
            spins += 1
            if spins > _SPINS:
                time.sleep(nap)
                nap = min(2 * nap, _LONGEST_NAP)
        self.done = True
        if self.finish is not None:
            self.finish()
        return True


def _mpi():
    from mpi4py import MPI

    return MPI


def _host_buffer(array):
    """A C-contiguous, writeable NumPy array MPI can fill: ``array`` itself when it is one."""
    if (type(array) is np.ndarray and array.flags.c_contiguous and array.flags.writeable):
        return array
    return np.ascontiguousarray(to_numpy(array))


def _copy_back(array, buffer):
    if buffer is not array:
        array[...] = namespace(array).asarray(buffer)


def _complete(work, async_op):
    """PyTorch's convention: the handle when ``async_op``, else wait here and return None."""
    if async_op:
        return work
    work.wait()
    return None


def _check_group(group, who):
    if group is not None:
        raise GlassnetValueError(f"{who}: only the default group (group=None) exists in glassnet")
    return current_group(who)


def _data(tensor, who):
    if not hasattr(tensor, "_ctx"):
        raise GlassnetTypeError(f"{who}: expected a glassnet Tensor, got {type(tensor).__name__}")
    return tensor.array


def start_all_reduce(array, op, group, what="all_reduce", after=None):
    """Start reducing the NumPy array ``array`` (C-contiguous, writeable) in place across
    ranks; the returned :class:`Work` completes it (``AVG`` divides after the sum), then
    calls ``after()``."""
    if op is ReduceOp.AVG and array.dtype.kind not in "fc":
        raise GlassnetTypeError(f"{what}: ReduceOp.AVG needs a floating tensor, got {array.dtype}; "
                                "reduce with SUM and divide yourself")

    def finish():
        if op is ReduceOp.AVG:
            np.divide(array, group.size, out=array)
        if after is not None:
            after()

    if group.size == 1:
        return Work(_Done(), what, group, finish)
    MPI = _mpi()
    mpi_op = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.MAX: MPI.MAX,
              ReduceOp.MIN: MPI.MIN, ReduceOp.PRODUCT: MPI.PROD}[op]
    return Work(group.comm.Iallreduce(MPI.IN_PLACE, array, mpi_op), what, group, finish)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across all ranks in place: ``SUM``, ``AVG`` (mean), ``MAX``,
    ``MIN`` or ``PRODUCT``; every rank ends with the same values."""
    if not isinstance(op, ReduceOp):
        raise GlassnetTypeError(
            f"all_reduce: op must be a ReduceOp (SUM, AVG, MAX, MIN, PRODUCT), got {op!r}")
    world = _check_group(group, "all_reduce")
    data = _data(tensor, "all_reduce")
    buffer = _host_buffer(data)
    work = start_all_reduce(buffer, op, world, f"all_reduce({op.name}) of shape {tuple(data.shape)}",
                            after=lambda: _copy_back(data, buffer))
    return _complete(work, async_op)


def broadcast(tensor, src, group=None, async_op=False):
    """Give every rank rank ``src``'s values of ``tensor`` (in place)."""
    world = _check_group(group, "broadcast")
    data = _data(tensor, "broadcast")
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or not 0 <= src < world.size:
        raise GlassnetValueError(f"broadcast: src must be a rank 0 … {world.size - 1}, got {src!r}")
    what = f"broadcast from rank {src} of shape {tuple(data.shape)}"
    if world.size == 1:
        work = Work(_Done(), what, world)
    else:
        buffer = _host_buffer(data)
        work = Work(world.comm.Ibcast(buffer, root=int(src)), what, world, lambda: _copy_back(data, buffer))
    return _complete(work, async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[q]`` with rank ``q``'s ``tensor`` (a list of ``world_size``
    tensors shaped like ``tensor``)."""
    world = _check_group(group, "all_gather")
    data = _data(tensor, "all_gather")
    if not isinstance(tensor_list, list) or len(tensor_list) != world.size:
        got = len(tensor_list) if isinstance(tensor_list, list) else type(tensor_list).__name__
        raise GlassnetValueError(f"all_gather: tensor_list must be a list of world_size = {world.size} "
                                 f"tensors, got {got}")
    for q, out in enumerate(tensor_list):
        if tuple(_data(out, "all_gather").shape) != tuple(data.shape):
            raise GlassnetValueError(f"all_gather: tensor_list[{q}] has shape {tuple(out.shape)}, but the "
                                     f"tensor to gather has shape {tuple(data.shape)}; they must match")
    send = np.ascontiguousarray(to_numpy(data))
    gathered = np.empty((world.size,) + send.shape, dtype=send.dtype)

    def scatter_into_list():
        for out, value in zip(tensor_list, gathered, strict=True):
            out.array[...] = namespace(out.array).asarray(value, dtype=out.array.dtype)

    what = f"all_gather of shape {tuple(data.shape)}"
    if world.size == 1:
        gathered[0] = send
        work = Work(_Done(), what, world, scatter_into_list)
    else:
        work = Work(world.comm.Iallgather(send, gathered), what, world, scatter_into_list)
    return _complete(work, async_op)


def all_gather_rows(block, counts, what="all_gather_rows"):
    """Every rank's rows stacked in rank order: rank q passes its own NumPy ``block`` of
    ``counts[q]`` rows (all ranks the same trailing shape and dtype, and the same
    ``counts``); each rank gets the (Σ_q counts[q], …) array. The ranks' blocks may differ
    in length (MPI's ``Iallgatherv``), unlike :func:`all_gather`'s equal tensors."""
    world = current_group(what)
    block = np.ascontiguousarray(block)
    counts = [int(c) for c in counts]
    if len(counts) != world.size or block.shape[0] != counts[world.rank]:
        raise GlassnetValueError(f"{what}: rank {world.rank} has {block.shape[0]} rows and counts "
                                 f"{counts}; expected one count per rank ({world.size}), its own "
                                 f"being {block.shape[0]}")
    if world.size == 1:
        return block
    out = np.empty((sum(counts),) + block.shape[1:], dtype=block.dtype)
    row = int(np.prod(block.shape[1:], dtype=np.int64))
    sizes = [c * row for c in counts]
    request = world.comm.Iallgatherv(block, [out, sizes])
    Work(request, f"{what} of {counts} rows of shape {block.shape[1:]}", world).wait()
    return out


def barrier(group=None, async_op=False):
    """Wait until every rank has called ``barrier()``."""
    world = _check_group(group, "barrier")
    request = _Done() if world.size == 1 else world.comm.Ibarrier()
    work = Work(request, "barrier", world)
    return _complete(work, async_op)
