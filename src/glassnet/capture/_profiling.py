"""The profiler's range for compiled functions: each call of a ``gn.compile``d function as
``gn.compile: <name>`` (its replay runs arrays directly, so the ops inside are not listed
one by one); swapped in only while a profiler records."""

from glassnet.autograd._profiler_session import ranged, register_hooks
from glassnet.capture._compiled import CompiledFunction

__all__ = ["install"]


def install(session, patches):
    original = CompiledFunction.__dict__["__call__"]
    patches.patch(CompiledFunction, "__call__",
                  ranged(session, original, lambda f: f"gn.compile: {f.__name__}", "user_annotation"))


register_hooks(install)
