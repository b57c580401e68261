"""Which code runs a primitive: its reference forward/backward, or a registered fast kernel.

Every primitive (a :class:`~glassnet.autograd.Function` in ``glassnet.ops``) has a
*reference* forward and backward written to be read against its formula. The kernel tier
(:mod:`glassnet.kernels`) may register faster implementations of the same primitive; each
says when it applies. This table is the meeting point: the kernel tier fills it and
chooses the tier, :meth:`Function.apply` reads it (one dict look-up per call). It lives
here, below both, so that neither autograd nor the primitives import the kernel tier.
"""

import os
import warnings

__all__ = ["TIERS", "active_kernels", "kernels_for", "register", "select", "set_tier", "tier"]

TIERS = ("fast", "reference")
_registered = {}  # primitive class name → [kernel, ...] in registration order
_state = {"tier": "fast"}
_active = {}  # what apply consults: primitive name → tuple of enabled kernels


def register(kernel):
    """Add ``kernel`` (an object with ``primitive``, ``name``, ``applies``, ``forward``,
    ``backward``) to the kernels of its primitive; returns it (usable as a decorator)."""
    names = [k.name for ks in _registered.values() for k in ks]
    if kernel.name in names:
        raise ValueError(f"kernels.register: a kernel named {kernel.name!r} is already registered")
    _registered.setdefault(kernel.primitive, []).append(kernel)
    _rebuild()
    return kernel


def kernels_for(primitive=None):
    """The registered kernels of one primitive (by class name), or of all of them."""
    if primitive is not None:
        return tuple(_registered.get(primitive, ()))
    return tuple(k for ks in _registered.values() for k in ks)


def tier():
    """``"fast"`` (kernels on), ``"reference"``, or the name of the one kernel enabled."""
    return _state["tier"]


def set_tier(choice):
    """Enable every kernel (``"fast"``), none (``"reference"``), or only the kernel named
    ``choice``; returns the previous choice."""
    known = [k.name for k in kernels_for()]
    if choice not in TIERS and choice not in known:
        raise ValueError(
            f"kernels.use: unknown tier or kernel {choice!r}; choose 'fast', 'reference' or one of "
            f"the registered kernels {sorted(known)}")
    previous, _state["tier"] = _state["tier"], choice
    _rebuild()
    return previous


def _rebuild():
    choice = _state["tier"]
    _active.clear()
    if choice == "reference":
        return
    for primitive, kernels in _registered.items():
        chosen = tuple(k for k in kernels if choice == "fast" or k.name == choice)
        if chosen:
            _active[primitive] = chosen


def active_kernels():
    """primitive name → the kernels enabled for it now (what :meth:`Function.apply` reads)."""
    return _active


def select(primitive, arrays, params):
    """The first enabled kernel of ``primitive`` that applies to these arrays, or None."""
    for kernel in _active.get(primitive, ()):
        if kernel.applies(*arrays, **params):
            return kernel
    return None


def _tier_from_environment():
    choice = os.environ.get("GLASSNET_KERNELS", "").strip().lower()
    if choice in TIERS:
        _state["tier"] = choice
    elif choice:
        warnings.warn(f"GLASSNET_KERNELS={choice!r} is not a tier ('fast' or 'reference'); using 'fast'",
                      stacklevel=2)


_tier_from_environment()
