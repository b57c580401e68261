"""PyTorch's ``torch.profiler`` for CPU programs: time every glassnet op, forward and
backward, optimiser steps and your own ranges.

>>> import glassnet as gn
>>> from glassnet.profiler import ProfilerActivity, profile, record_function
>>> x = gn.randn(8, 4, requires_grad=True)
>>> with profile(activities=[ProfilerActivity.CPU]) as prof:
...     with record_function("model"):
...         y = x.relu().sum()
...     y.backward()
>>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=5))  # doctest: +SKIP

Op names are glassnet's, not PyTorch's ``aten::`` names: a primitive's forward is its class
name in lower case (``linearop``, ``relu``, ``matmul``), its backward ``<Op>Backward``
(``LinearopBackward``, as ``grad_fn.name()`` gives it); optimiser steps are
``Optimizer.step#Adam.step``. The hooks that time them are swapped in when recording starts
and taken out when it stops: with no profiler recording, ops run exactly as without one.
"""

import glassnet.nn  # noqa: F401  (registers the module ranges, so they exist when recording starts)
import glassnet.optim  # noqa: F401  (registers the optimiser-step ranges)
from glassnet.autograd.profiler import record_function
from glassnet.profiler._handler import tensorboard_trace_handler
from glassnet.profiler._profile import ProfilerActivity, profile, supported_activities
from glassnet.profiler._schedule import ProfilerAction, schedule

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "record_function", "schedule",
           "supported_activities", "tensorboard_trace_handler"]
