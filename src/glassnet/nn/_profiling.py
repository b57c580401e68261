"""The profiler's ranges for modules, with ``with_modules=True``: each module call as
``nn.Module: Linear`` (the class name), its ops nested inside; swapped in only while such a
profiler records (see :mod:`glassnet.autograd._profiler_session`)."""

from glassnet.autograd._profiler_session import active, register_hooks
from glassnet.nn._module import Module

__all__ = ["install"]


def install(session, patches):
    if not session.with_modules:
        return
    original = Module.__dict__["__call__"]

    def call(self, *args, **kwargs):
        if active() is not session:  # kept by someone after this session stopped
            return original(self, *args, **kwargs)
        r = session.open(f"nn.Module: {type(self).__name__}", "python_function")
        try:
            return original(self, *args, **kwargs)
        finally:
            session.close(r)
    patches.patch(Module, "__call__", call)


register_hooks(install)
