"""The profiler's range for compiled functions: each call of a ``gn.compile``d function as
``gn.compile: <name>`` (its replay runs arrays directly, so the ops inside are not listed
one by one); swapped in only while a profiler records."""

from glassnet.autograd._profiler_session import active, register_hooks
from glassnet.capture._compiled import CompiledFunction

__all__ = ["install"]


def install(session, patches):
    original = CompiledFunction.__dict__["__call__"]

    def call(self, *args, **kwargs):
        if active() is not session:  # kept by someone after this session stopped
            return original(self, *args, **kwargs)
        r = session.open(f"gn.compile: {self.__name__}", "user_annotation")
        try:
            return original(self, *args, **kwargs)
        finally:
            session.close(r)
    patches.patch(CompiledFunction, "__call__", call)


register_hooks(install)
