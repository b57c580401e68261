"""``torch.utils.checkpoint``: activation checkpointing, trading compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph, so only its inputs are
kept until backward; backward runs ``fn`` again (recording, with the random generator
where forward had it: the same dropout masks) and backpropagates through that. The values
and gradients are those of ``fn(*args)``, for the inputs and for every parameter ``fn``
uses (see :mod:`glassnet.utils._recompute`).
"""

import warnings
from contextlib import nullcontext

from glassnet._errors import GlassnetValueError
from glassnet.autograd import is_grad_enabled, no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.utils._recompute import run_checkpointed

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn"]


def noop_context_fn():
    """The default ``context_fn``: two context managers that do nothing."""
    return nullcontext(), nullcontext()


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, its activations dropped in forward and recomputed in backward.

    Memory: of ``function``'s tensors only its inputs (and outputs) live from forward to
    backward; backward runs ``function`` once more. Gradients reach the inputs that require
    grad and every parameter ``function`` uses, as without checkpointing.

    Args:
        function: what to run (a module, a method, any callable of tensors and other values).
        use_reentrant: PyTorch's two variants; pass it (a warning says so when missing, and
            ``True`` is used, as in PyTorch 2.13). ``True``: no keyword arguments for
            ``function``, and when no input requires grad the output has no graph (a warning
            says gradients will be None). ``False``: keyword arguments, ``context_fn`` and
            parameters-only graphs work. The gradients are the same.
        preserve_rng_state: the recomputation draws the random numbers forward drew.
        context_fn: (``use_reentrant=False``) returns two context managers, entered around
            forward and around the recomputation.
        determinism_check: ``"default"`` raises if the recomputed outputs' shapes or dtypes
            differ from forward's; ``"none"`` skips that.
        debug: accepted (``use_reentrant=False``); glassnet prints no trace.

    Example:
        >>> layer = gn.nn.Linear(3, 2)
        >>> y = checkpoint(layer, gn.ones(4, 3), use_reentrant=False)
        >>> tuple(y.shape), y.requires_grad
        ((4, 2), True)
    """
    if use_reentrant is None:
        warnings.warn("checkpoint: pass use_reentrant explicitly (PyTorch warns when it is missing); "
                      "use_reentrant=True is used, PyTorch's default, and use_reentrant=False is the "
                      "recommended variant", UserWarning, stacklevel=2)
        use_reentrant = True
    if determinism_check not in ("default", "none"):
        raise GlassnetValueError(f"checkpoint: determinism_check must be 'default' or 'none', "
                                 f"got {determinism_check!r}")
    if use_reentrant:
        _check_reentrant(args, kwargs, context_fn, debug)
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            with no_grad():
                return function(*args)
    if not is_grad_enabled():
        return function(*args, **kwargs)
    return run_checkpointed(function, args, kwargs, preserve_rng_state, context_fn, determinism_check)


def _check_reentrant(args, kwargs, context_fn, debug):
    if kwargs:
        raise GlassnetValueError(
            f"checkpoint: with use_reentrant=True the function takes no keyword arguments, got "
            f"{', '.join(kwargs)}; pass them positionally or use use_reentrant=False")
    if context_fn not in (None, noop_context_fn) or debug:
        raise GlassnetValueError("checkpoint: context_fn and debug work only with use_reentrant=False")
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("checkpoint: none of the inputs requires grad, so with use_reentrant=True gradients "
                      "will be None (the output has no graph); use use_reentrant=False for gradients of "
                      "the parameters alone", UserWarning, stacklevel=3)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):  # noqa: A002
    """Run ``functions`` (a list or an ``nn.Sequential``) one after another on ``input``,
    in ``segments`` parts: each of the first ``segments - 1`` parts of ``len // segments``
    functions is checkpointed, and the last part (the rest) runs normally, as in PyTorch.

    ``kwargs``: only ``preserve_rng_state`` (True by default).
    """
    if use_reentrant is None:
        warnings.warn("checkpoint_sequential: pass use_reentrant explicitly (PyTorch warns when it is "
                      "missing); use_reentrant=True is used, PyTorch's default", UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise GlassnetValueError(f"checkpoint_sequential: unexpected keyword arguments {', '.join(kwargs)} "
                                 "(only preserve_rng_state is taken)")
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if not isinstance(segments, int) or not 1 <= segments <= len(functions):
        raise GlassnetValueError(f"checkpoint_sequential: segments must be an int from 1 to the number of "
                                 f"functions ({len(functions)}), got {segments!r}")
    size = len(functions) // segments
    for start in range(0, size * (segments - 1), size):
        input = checkpoint(_Segment(functions[start:start + size]), input,  # noqa: A001
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return _Segment(functions[size * (segments - 1):])(input)


class _Segment:
    """Functions applied one after another."""

    def __init__(self, functions):
        self.functions = functions

    def __call__(self, x):
        for fn in self.functions:
            x = fn(x)
        return x
