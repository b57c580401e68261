"""The profiler's range for data loading: each ``next()`` on a DataLoader's iterator as
``enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__`` (PyTorch's name; with
``num_workers > 0``, ``_MultiProcessingDataLoaderIter``), the call that ends the epoch
included; swapped in only while a profiler records."""

from glassnet.autograd._profiler_session import active, register_hooks
from glassnet.data._loader import _LoaderIter

__all__ = ["install"]


def install(session, patches):
    original = _LoaderIter.__dict__["__next__"]

    def next_batch(self):
        if active() is not session:  # kept by someone after this session stopped
            return original(self)
        kind = "MultiProcessing" if self._loader.num_workers else "SingleProcess"
        r = session.open(f"enumerate(DataLoader)#_{kind}DataLoaderIter.__next__", "user_annotation")
        try:
            return original(self)
        finally:
            session.close(r)
    patches.patch(_LoaderIter, "__next__", next_batch)


register_hooks(install)
