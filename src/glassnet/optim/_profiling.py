"""The profiler's ranges for optimisers: each ``step()`` as ``Optimizer.step#SGD.step`` and
each ``zero_grad()`` as ``Optimizer.zero_grad#SGD.zero_grad`` (PyTorch's names), swapped in
only while a profiler records (see :mod:`glassnet.autograd._profiler_session`)."""

import functools

from glassnet.autograd._patches import with_subclasses
from glassnet.autograd._profiler_session import active, register_hooks
from glassnet.optim._optimizer import Optimizer

__all__ = ["install"]


def install(session, patches):
    for name in ("step", "zero_grad"):
        for cls in with_subclasses(Optimizer):
            if name in cls.__dict__:
                patches.patch(cls, name, _ranged(session, cls.__dict__[name], name))


def _ranged(session, original, name):
    @functools.wraps(original)
    def method(self, *args, **kwargs):
        label = f"Optimizer.{name}#{type(self).__name__}.{name}"
        if active() is not session or session.innermost_name() == label:  # stopped; a base's step
            return original(self, *args, **kwargs)
        r = session.open(label, "user_annotation")
        try:
            return original(self, *args, **kwargs)
        finally:
            session.close(r)
    return method


register_hooks(install)
