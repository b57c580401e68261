"""PyTorch's older profiler path, ``torch.autograd.profiler``: :class:`profile` and
:class:`record_function` (the newer ``glassnet.profiler`` builds on these).

Recorded: every primitive's forward under glassnet's op name (the primitive's class name in
lower case, as ``grad_fn.name()`` shows it without "Backward": ``linearop``, ``relu``,
``softmaxcrossentropyindex`` — not PyTorch's ``aten::`` names) and its backward as
``<Op>Backward`` (``LinearopBackward``); optimiser ``step``/``zero_grad`` as
``Optimizer.step#SGD.step``; each DataLoader batch as
``enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__``; each call of a
``gn.compile``d function as ``gn.compile: <name>``; ``nn.Module`` calls as
``nn.Module: Linear`` with ``with_modules``; and the ranges named with
:class:`record_function`. (The layers above autograd add theirs through
:func:`glassnet.autograd._profiler_session.register_hooks`.)

>>> import glassnet as gn
>>> x = gn.randn(4, 3, requires_grad=True)
>>> with gn.autograd.profiler.profile() as prof:
...     with gn.autograd.profiler.record_function("forward"):
...         y = x.relu().sum()
...     y.backward()
>>> [e.key for e in prof.key_averages()][:3]
['forward', 'relu', 'sum']
"""

import functools

from glassnet.autograd._profiler_events import EventList, FunctionEvent, FunctionEventAvg, events_of
from glassnet.autograd._profiler_session import Session, active

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]


class record_function:
    """A named range in the profile: ``with record_function("data"):`` or as a decorator
    ``@record_function("step")``. Ranges nest; each op run inside one is its child (so the
    range's self time excludes them). With no profiler recording it records nothing.

    Args:
        name: the range's name in the table and the trace.
        args: accepted for PyTorch's signature; not recorded.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.profiler import profile, record_function
        >>> @record_function("double")
        ... def double(x):
        ...     return x * 2
        >>> with profile() as prof:
        ...     with record_function("outer"):
        ...         y = double(gn.ones(3))
        >>> [(e.name, e.cpu_parent.name if e.cpu_parent else None) for e in prof.events()]
        [('outer', None), ('double', 'outer'), ('mul', 'double')]
    """

    def __init__(self, name, args=None):
        self.name = str(name)
        self.args = args
        self._open = []

    def __enter__(self):
        session = active()
        self._open.append((session, session.open(self.name, "user_annotation") if session else None))
        return self

    def __exit__(self, *exc):
        session, r = self._open.pop()
        if r is not None:
            session.close(r)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapped


class profile:
    """PyTorch's ``torch.autograd.profiler.profile``: records while its ``with`` block runs.

    ``record_shapes`` keeps each op's input shapes (``key_averages(group_by_input_shape=
    True)``), ``profile_memory`` the bytes of new arrays each op returns (frees are not
    counted), ``with_stack`` the calling frames outside glassnet, ``with_flops`` the FLOPs of
    matrix products, ``with_modules`` a range per ``nn.Module`` call. ``use_cuda`` /
    ``use_device`` warn: glassnet times host-side work only."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False):
        if use_cuda or use_device not in (None, "cpu"):
            from glassnet.autograd._profiler_device import warn_device

            warn_device("profile(use_cuda=True / use_device=...)")
        self.enabled = enabled
        self.options = {"record_shapes": record_shapes, "profile_memory": profile_memory,
                        "with_stack": with_stack, "with_flops": with_flops, "with_modules": with_modules}
        self.session = None
        self.function_events = None

    def __enter__(self):
        if self.enabled:
            self.session = Session(**self.options)
            self.session.start()
        return self

    def __exit__(self, *exc):
        if self.session is not None:
            self.session.stop()
            self.function_events = events_of(self.session)
        else:
            self.function_events = EventList()  # enabled=False: nothing recorded
        return False

    def _events(self):
        if self.function_events is None:
            from glassnet._errors import GlassnetError

            raise GlassnetError("profiler: no results yet — read them after the profile's with block ends "
                                "(or, with a schedule, after an active cycle)")
        return self.function_events

    def events(self):
        """Every recorded range as a :class:`FunctionEvent`, in start order."""
        return self._events()

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """The events added up per name (see :meth:`EventList.key_averages`)."""
        return self._events().key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, max_shapes_column_width=80,
              header=None, top_level_events_only=False):
        return self._events().table(sort_by, row_limit, max_name_column_width, max_shapes_column_width,
                                    header, top_level_events_only)

    def total_average(self):
        return self._events().total_average()

    @property
    def self_cpu_time_total(self):
        return self._events().self_cpu_time_total

    def export_chrome_trace(self, path):
        self._events().export_chrome_trace(path)

    def __str__(self):
        return self.table()
