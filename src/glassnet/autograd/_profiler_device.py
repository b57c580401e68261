"""The warning given when a profile asks for GPU activity."""

import warnings

from glassnet._errors import GlassnetWarning

__all__ = ["warn_device"]


def warn_device(what, stacklevel=3):
    """Say that device (CUDA) activity is not recorded: glassnet's profiler times the
    host-side work of each op, on a machine without a GPU and with one alike."""
    from glassnet._device import cupy_and_count

    _, count, why = cupy_and_count()
    where = ("glassnet times each op on the host only (GPU work is asynchronous); GPU kernel times are not "
             "measured" if count else f"no GPU here ({why}); only CPU activity is recorded")
    warnings.warn(f"profiler: {what} asked for CUDA activity: {where}", GlassnetWarning,
                  stacklevel=stacklevel)
