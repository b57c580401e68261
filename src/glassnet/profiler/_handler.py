"""``tensorboard_trace_handler``: an ``on_trace_ready`` that writes each active cycle's
Chrome trace to ``dir_name/<worker_name>.<milliseconds>.pt.trace.json`` (PyTorch's names:
TensorBoard's profiler plugin and Perfetto read these)."""

import gzip
import os
import socket
import time

from glassnet.autograd._profiler_events import chrome_trace, write_atomically

__all__ = ["tensorboard_trace_handler"]


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """Return ``handler(prof)`` writing ``prof``'s trace to a new file in ``dir_name``
    (created if missing); ``worker_name`` defaults to ``<hostname>_<pid>``; ``use_gzip``
    writes ``.pt.trace.json.gz``."""

    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        suffix = ".pt.trace.json.gz" if use_gzip else ".pt.trace.json"
        stamp = int(time.time() * 1000)
        while os.path.exists(os.path.join(dir_name, f"{worker}.{stamp}{suffix}")):
            stamp += 1  # two cycles within one millisecond: each keeps its own file
        path = os.path.join(dir_name, f"{worker}.{stamp}{suffix}")
        if use_gzip:
            import json

            data = gzip.compress(json.dumps(chrome_trace(prof.events())).encode())
            write_atomically(path, data)
        else:
            prof.export_chrome_trace(path)
    return handler
