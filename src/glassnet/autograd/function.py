"""PyTorch's ``torch.autograd.function`` names: :class:`Function`, :class:`FunctionCtx` and
the :func:`once_differentiable` decorator, for programs that import them from here."""

import functools

from glassnet.autograd._ctx_function import FunctionCtx
from glassnet.autograd._function import Function
from glassnet.autograd._mode import no_grad

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


def once_differentiable(backward):
    """Mark a custom ``backward(ctx, *grads)`` as not differentiable itself: it runs with
    gradients off, so under ``create_graph=True`` its results are constants (PyTorch's
    decorator; a second derivative through it is zero rather than wrong)."""

    @functools.wraps(backward)
    def run(ctx, *grads):
        with no_grad():
            return backward(ctx, *grads)

    return run
