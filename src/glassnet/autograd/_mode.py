"""Global switches of the autograd engine: grad mode, observers, anomaly detection.

The apply path reads :data:`state.slow_path` once per op; it is true only while an
observer is subscribed or anomaly detection is on, so with neither, observing costs a
single attribute check.
"""

import functools
import threading

__all__ = ["no_grad", "enable_grad", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "set_grad_enabled", "observe", "detect_anomaly", "set_detect_anomaly", "state"]


class _ThreadGradMode(threading.local):
    """Grad mode is per thread, as in PyTorch: ``no_grad`` in one thread never switches
    recording off in another. A new thread starts
    with recording on (the class attribute)."""

    enabled = True
    inference = 0  # how many inference_mode blocks are open (is_inference_mode_enabled)


grad_mode = _ThreadGradMode()


class _State:
    """Process-wide switches (observers, anomaly detection) and, as ``grad_enabled``, the
    calling thread's grad mode."""

    __slots__ = ("observers", "anomaly", "slow_path")

    def __init__(self):
        self.observers = []
        self.anomaly = False
        self.slow_path = False

    @property
    def grad_enabled(self):
        return grad_mode.enabled

    @grad_enabled.setter
    def grad_enabled(self, mode):
        grad_mode.enabled = mode

    def refresh(self):
        self.slow_path = bool(self.observers) or self.anomaly


state = _State()


def is_inference_mode_enabled():
    """True inside an ``inference_mode()`` block or decorated function (in the calling thread)."""
    return grad_mode.inference > 0


def is_grad_enabled():
    """True when new operations record the graph for backward (in the calling thread)."""
    return grad_mode.enabled


class _GradMode:
    """Grad mode ``mode`` inside a ``with`` block or a decorated function."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self.prev = []

    def __enter__(self):
        self.prev.append(state.grad_enabled)
        state.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.grad_enabled = self.prev.pop()
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _GradMode(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """No graph is recorded inside: for evaluation and in-place parameter updates.

    Use as ``with gn.no_grad():`` or as the decorator ``@gn.no_grad()`` or ``@gn.no_grad``.
    Results computed inside have ``requires_grad=False`` and no ``grad_fn``, so no
    intermediate values are kept for a backward pass.

    Args:
        func: the function to wrap when used as the bare decorator ``@gn.no_grad``
            (leave it out otherwise).

    Example:
        >>> import glassnet as gn
        >>> w = gn.tensor([1.0, 2.0], requires_grad=True)
        >>> with gn.no_grad():
        ...     y = w * 2
        >>> y.requires_grad, (w * 2).requires_grad
        (False, True)
        >>> @gn.no_grad
        ... def predict(x):
        ...     return x * 3
        >>> predict(w).requires_grad
        False
    """

    def __new__(cls, func=None):
        if callable(func):  # the bare decorator: @gn.no_grad
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func=None):
        super().__init__(False)


class enable_grad(_GradMode):
    """Turns graph recording back on inside a ``no_grad`` block (``with`` or decorator)."""

    def __new__(cls, func=None):
        if callable(func):  # the bare decorator: @gn.enable_grad
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func=None):
        super().__init__(True)


class inference_mode(_GradMode):
    """PyTorch's ``inference_mode``: no graph is recorded inside, as under ``no_grad``
    (glassnet has no separate inference tensors). ``inference_mode(False)`` leaves inference
    mode and records again inside, as PyTorch's (even within ``no_grad``). Use in ``with`` or
    as a decorator (``@gn.inference_mode()`` or bare)."""

    def __new__(cls, mode=True):
        if callable(mode):  # the bare decorator: @gn.inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        super().__init__(not mode)
        self.active = bool(mode)
        self.prev_inference = []

    def __enter__(self):
        self.prev.append(state.grad_enabled)
        self.prev_inference.append(grad_mode.inference)
        state.grad_enabled = not self.active
        grad_mode.inference = grad_mode.inference + 1 if self.active else 0
        return self

    def __exit__(self, *exc):
        grad_mode.inference = self.prev_inference.pop()
        return super().__exit__(*exc)

    def __call__(self, fn):
        active = self.active

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(active):
                return fn(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode``. As in PyTorch, a plain call ``gn.set_grad_enabled(False)``
    takes effect at once; in ``with`` the previous mode returns on exit; as a decorator it
    applies only while the decorated function runs."""

    def __init__(self, mode=True):
        super().__init__(mode)
        self.prev.append(state.grad_enabled)
        state.grad_enabled = self.mode

    def __enter__(self):
        return self  # already set by __init__; __exit__ restores

    def __call__(self, fn):
        state.grad_enabled = self.prev.pop()  # decorating changes nothing until called
        return super().__call__(fn)


class observe:
    """Subscribe ``callback(event)`` to every op applied, forward and backward.

    ``event`` is an :class:`~glassnet.autograd.OpEvent`. Use as a context manager::

        with observe(events.append):
            y = (x @ w).relu()

    Observers only read: the engine does not know who listens.
    """

    def __init__(self, callback):
        self.callback = callback

    def __enter__(self):
        state.observers.append(self.callback)
        state.refresh()
        return self

    def __exit__(self, *exc):
        state.observers.remove(self.callback)
        state.refresh()
        return False


class set_detect_anomaly:
    """Turn anomaly detection on or off now (PyTorch's ``set_detect_anomaly(mode)``); used
    as a context manager it restores the previous setting on exit. ``check_nan`` is
    accepted: glassnet checks for NaN and Inf whenever detection is on."""

    def __init__(self, mode, check_nan=True):
        self.prev = state.anomaly
        state.anomaly = bool(mode)
        state.refresh()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.anomaly = self.prev
        state.refresh()
        return False


class detect_anomaly:
    """Inside this block the first op whose forward or backward makes NaN/Inf raises.

    The error names the op, its formula and the shapes of its inputs. Costs one
    ``isfinite`` check per op while on; nothing when off.
    """

    def __init__(self, enabled=True):
        self.enabled = enabled
        self.prev = []

    def __enter__(self):
        self.prev.append(state.anomaly)
        state.anomaly = self.enabled
        state.refresh()
        return self

    def __exit__(self, *exc):
        state.anomaly = self.prev.pop()
        state.refresh()
        return False
