"""The profiler's ranges for modules, with ``with_modules=True``: each module call as
``nn.Module: Linear`` (the class name), its ops nested inside; swapped in only while such a
profiler records (see :mod:`glassnet.autograd._profiler_session`)."""

from glassnet.autograd._profiler_session import ranged, register_hooks
from glassnet.nn._module import Module

__all__ = ["install"]


def install(session, patches):
    if not session.with_modules:
        return
    original = Module.__dict__["__call__"]
    patches.patch(Module, "__call__",
                  ranged(session, original, lambda m: f"nn.Module: {type(m).__name__}", "python_function"))


register_hooks(install)
