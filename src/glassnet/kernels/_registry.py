"""The kernel base class and the switch between tiers (``gn.kernels.use``)."""

from glassnet.autograd._dispatch import kernels_for, register, set_tier, tier

__all__ = ["Kernel", "register", "registered", "tier", "use"]


class Kernel:
    """A fast implementation of one primitive, equal to its reference.

    Subclasses set ``primitive`` (the class name of the :class:`~glassnet.autograd.Function`
    in ``glassnet.ops`` it implements) and ``name``, and define

    - ``applies(*arrays, **params) -> bool``: whether it handles these inputs (shapes,
      dtypes, device);
    - ``forward(op, *arrays, **params) -> array``: the primitive's output; it may keep
      what backward needs on ``op`` (the primitive's instance, whose ``params`` are set);
    - ``backward(op, grad) -> tuple``: one gradient per input (None where
      ``op.needs_grad`` is False), exactly as the reference's backward returns them.
    """

    primitive = ""
    name = ""
    summary = ""

    def applies(self, *arrays, **params):
        return True

    def forward(self, op, *arrays, **params):
        raise NotImplementedError

    def backward(self, op, grad):
        raise NotImplementedError

    def __repr__(self):
        return f"<kernel {self.name} for {self.primitive}>"


def registered(primitive=None):
    """The registered kernels (of one primitive, by its class name, or of all)."""
    return kernels_for(primitive)


class use:
    """Choose the tier: ``"fast"`` (the default: every kernel that applies), ``"reference"``
    (the primitives' own readable forward and backward only), or one kernel's name (that
    kernel only). Takes effect at once; as a context manager it restores the previous
    choice on exit. The environment variable ``GLASSNET_KERNELS=reference`` sets the
    tier at import.

    >>> import glassnet as gn
    >>> with gn.kernels.use("reference"):
    ...     y = gn.ones(2, 2) @ gn.ones(2, 2)
    """

    def __init__(self, choice):
        self.previous = set_tier(choice)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        set_tier(self.previous)
        return False
