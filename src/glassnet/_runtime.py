"""PyTorch's process-level switches, answered for glassnet: thread counts and determinism.

glassnet never changes the host process on its own (no thread pools are resized, no
environment variables set): ``set_num_threads`` records the number that PyTorch programs
ask for and ``get_num_threads`` returns it, while the BLAS library's threads stay as the
process started them (set ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` before starting
Python, or use threadpoolctl, to change those).
"""

import os

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._mode import state

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads", "get_num_interop_threads",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled", "set_warn_always",
           "is_warn_always_enabled", "set_anomaly_enabled", "is_anomaly_enabled"]


class _Settings:
    threads = None  # None: not set; the CPU count is reported
    interop_threads = None
    deterministic = False
    warn_always = False


_settings = _Settings()


def _count(n, name):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise GlassnetValueError(f"{name}: the number of threads must be a positive int, got {n!r}")
    return n


def set_num_threads(n):
    """Record ``n`` as the number of threads (what :func:`get_num_threads` then returns).

    This does NOT resize any thread pool of the host process: glassnet's arithmetic runs in
    NumPy, whose BLAS threads are fixed when the process starts (``OMP_NUM_THREADS``) or
    changed with threadpoolctl; a program's ``torch.set_num_threads(1)`` is accepted and
    changes nothing else.

    Args:
        n: a positive int.

    Example:
        >>> import glassnet as gn
        >>> gn.set_num_threads(2)
        >>> gn.get_num_threads()
        2
    """
    _settings.threads = _count(n, "set_num_threads")


def get_num_threads():
    """The number given to :func:`set_num_threads`, else this machine's CPU count."""
    return _settings.threads or os.cpu_count() or 1


def set_num_interop_threads(n):
    """Record ``n`` (PyTorch's inter-op pool; glassnet has none, so nothing else changes)."""
    _settings.interop_threads = _count(n, "set_num_interop_threads")


def get_num_interop_threads():
    """The number given to :func:`set_num_interop_threads`, else this machine's CPU count."""
    return _settings.interop_threads or os.cpu_count() or 1


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Accepted and recorded: glassnet's CPU arithmetic is deterministic already (the same
    inputs give the same bits on every run), so there is nothing to switch."""
    if not isinstance(mode, bool):
        raise GlassnetTypeError(f"use_deterministic_algorithms: mode must be True or False, got {mode!r}")
    _settings.deterministic = mode


def are_deterministic_algorithms_enabled():
    """What :func:`use_deterministic_algorithms` was last given (False until then)."""
    return _settings.deterministic


def set_warn_always(flag):
    """Recorded (glassnet's warnings follow Python's ``warnings`` filters)."""
    _settings.warn_always = bool(flag)


def is_warn_always_enabled():
    return _settings.warn_always


def set_anomaly_enabled(mode, check_nan=True):
    """Switch anomaly detection on or off for the rest of the program (``detect_anomaly``
    without a ``with`` block): the first op that makes NaN/Inf then raises, naming itself."""
    state.anomaly = bool(mode)
    state.refresh()


def is_anomaly_enabled():
    """True while anomaly detection is on (``detect_anomaly`` or ``set_anomaly_enabled``)."""
    return state.anomaly
