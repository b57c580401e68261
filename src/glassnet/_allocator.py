"""Host memory: keep freed activation buffers in the heap instead of returning them to the OS.

A training step allocates the same large arrays every time (an LSTM step on batch 100
allocates ~16 MB of gates, states and gradients). glibc's malloc hands blocks above
its mmap threshold (128 KiB, adapted upwards only in some patterns) straight back to the
kernel on ``free``, so the next step touches fresh pages: one page fault per 4 KiB. On
the LSTM benchmark that was ~3,650–4,200 faults and ~5 ms of a ~34 ms step; PyTorch's
step took ~460.

:func:`tune_host_allocator` therefore sets, on Linux with glibc only, the two ``mallopt``
knobs that glibc's own adaptive logic tops out at: blocks up to ``M_MMAP_THRESHOLD`` = 32 MiB
come from the heap, and the heap is trimmed only when more than ``M_TRIM_THRESHOLD`` =
64 MiB lies free at its top. The cost: freed memory tends to stay with the process. A
freed block below a live one is kept for reuse, not returned to the OS, so the resident
size of a process stays near its high-water mark of large temporaries (a contrived
pattern — twenty 16 MiB arrays freed around one kept — left 355 MiB resident against 51
MiB with the defaults). For training that is the steady state anyway; a long-running
process that allocates large arrays once and then idles may prefer the defaults.

It changes the whole process (every library in it allocates through the same malloc), so
importing glassnet never does it: call ``gn.backend.tune_host_allocator()`` or set
``GLASSNET_HOST_ALLOCATOR=tuned`` before importing glassnet. The benchmarks report its
effect (docs/benchmarks.md).
"""

import ctypes
import os
import platform
import sys

__all__ = ["tune_host_allocator", "host_allocator", "tune_if_requested"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h> parameter numbers
MMAP_THRESHOLD = 32 << 20  # glibc's maximum on 64-bit systems
TRIM_THRESHOLD = 64 << 20

_state = {"tuned": False, "reason": "not requested (C library defaults)"}


def tune_if_requested(environ=None):
    """At import: tune only when ``GLASSNET_HOST_ALLOCATOR=tuned`` asks for it."""
    environ = os.environ if environ is None else environ
    if environ.get("GLASSNET_HOST_ALLOCATOR", "").strip().lower() == "tuned":
        return tune_host_allocator(environ)
    return False


def tune_host_allocator(environ=None):
    """Apply the thresholds above (an explicit opt-in); return True if glibc accepted them.

    Does nothing (and records why) off Linux/glibc or when ``GLASSNET_HOST_ALLOCATOR``
    is ``system``."""
    environ = os.environ if environ is None else environ
    choice = environ.get("GLASSNET_HOST_ALLOCATOR", "tuned").strip().lower() or "tuned"
    if choice == "system":
        return _record(False, "GLASSNET_HOST_ALLOCATOR=system")
    if choice != "tuned":
        return _record(False, f"unknown GLASSNET_HOST_ALLOCATOR={choice!r} (use 'tuned' or 'system')")
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return _record(False, "not Linux with glibc")
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError) as exc:
        return _record(False, f"mallopt unavailable: {exc}")
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    refused = [name for name, param, value in (("M_MMAP_THRESHOLD", _M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                                               ("M_TRIM_THRESHOLD", _M_TRIM_THRESHOLD, TRIM_THRESHOLD))
               if mallopt(param, value) != 1]
    if refused:
        return _record(False, f"mallopt refused {' and '.join(refused)}")
    return _record(True, "mallopt set")


def _record(tuned, reason):
    _state.update(tuned=tuned, reason=reason)
    return tuned


def host_allocator():
    """How host memory is managed: ``{"tuned": bool, "reason": str}`` (for reports)."""
    return dict(_state)
