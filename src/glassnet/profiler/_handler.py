"""``tensorboard_trace_handler``: an ``on_trace_ready`` that writes each active cycle's
Chrome trace to ``dir_name/<worker_name>.<milliseconds>.pt.trace.json`` (PyTorch's names:
TensorBoard's profiler plugin and Perfetto read these)."""

import gzip
import json
import os
import socket
import time

from glassnet.autograd._profiler_events import chrome_trace, write_atomically

__all__ = ["tensorboard_trace_handler"]


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """Return ``handler(prof)`` writing ``prof``'s Chrome trace to a new file in ``dir_name``
    (created if missing), one per active cycle when given as ``on_trace_ready``.

    Args:
        dir_name: the folder of the trace files.
        worker_name: the files' prefix (default ``<hostname>_<pid>``).
        use_gzip: write ``.pt.trace.json.gz`` instead of ``.pt.trace.json``.
        use_python_export: accepted for PyTorch's signature (glassnet always writes from Python).

    Example:
        >>> import os, shutil, tempfile
        >>> import glassnet as gn
        >>> from glassnet.profiler import profile, schedule, tensorboard_trace_handler
        >>> log = tempfile.mkdtemp()
        >>> handler = tensorboard_trace_handler(log, worker_name="w0")
        >>> with profile(schedule=schedule(wait=0, warmup=1, active=1), on_trace_ready=handler) as prof:
        ...     for _ in range(4):
        ...         _ = gn.ones(2).sum()
        ...         prof.step()
        >>> len(os.listdir(log))
        2
        >>> shutil.rmtree(log)
    """

    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        suffix = ".pt.trace.json.gz" if use_gzip else ".pt.trace.json"
        stamp = int(time.time() * 1000)
        while os.path.exists(os.path.join(dir_name, f"{worker}.{stamp}{suffix}")):
            stamp += 1  # two cycles within one millisecond: each keeps its own file
        path = os.path.join(dir_name, f"{worker}.{stamp}{suffix}")
        if use_gzip:
            data = gzip.compress(json.dumps(chrome_trace(prof.events())).encode())
            write_atomically(path, data)
        else:
            prof.export_chrome_trace(path)
    return handler
