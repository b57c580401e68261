"""``torch.func``'s names that glassnet has: ``functional_call`` (a module run with given
parameters and buffers, the module unchanged), ``grad`` and ``grad_and_value`` (a function's
gradient as a function).

``grad(f)(x)`` is ``autograd.grad(f(x), x)`` taken on a fresh leaf copy of x; when x
itself requires grad (an outer ``grad``, or a graph being built), the gradient keeps its
graph (``create_graph``), so ``grad(grad(f))`` gives second derivatives. ``argnums``
picks the differentiated arguments; each may be a tensor or a dict / list / tuple of
tensors (``grad(loss)(params, x)`` with ``params`` a dict, as MAML code writes), and the
gradient has the same structure. ``vmap``, ``jacrev``, ``jacfwd`` and ``hessian`` are in
:mod:`glassnet.func._vmap` (``vmap`` maps by a loop over the batch: PyTorch's numbers, one
call per example), ``vjp`` and ``jvp`` in :mod:`glassnet.func._transforms`.
"""

from glassnet._errors import GlassnetValueError
from glassnet.autograd import enable_grad
from glassnet.autograd import grad as _autograd_grad
from glassnet.autograd._tensor import Tensor
from glassnet.func._pytree import _leaves, _rebuild, _tensors
from glassnet.func._transforms import jvp, vjp
from glassnet.func._vmap import hessian, jacfwd, jacrev, vmap
from glassnet.nn.utils.stateless import functional_call

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning ``(∂func/∂args[argnums], func(*args))``; with ``has_aux``,
    ``(gradient, (value, aux))`` as ``torch.func``.

    Args:
        func: returns a one-element tensor (and an aux value with ``has_aux``).
        argnums: the argument (an int) or arguments (a tuple of ints) to differentiate by.
        has_aux: func returns ``(value, aux)``; aux is passed through untouched.

    Example:
        >>> import glassnet as gn
        >>> g, value = gn.func.grad_and_value(lambda x: (x ** 3).sum())(gn.tensor([1.0, 2.0]))
        >>> g.tolist(), value.item()
        ([3.0, 12.0], 9.0)
    """
    def wrapper(*args, **kwargs):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        args = list(args)
        outer = any(t.requires_grad for i in nums for t in _tensors(args[i]))
        tracked_per_arg = []
        for i in nums:
            tracked = []
            args[i] = _leaves(args[i], tracked)
            tracked_per_arg.append(tracked)
        with enable_grad():
            out = func(*args, **kwargs)
        value, aux = out if has_aux else (out, None)
        if not isinstance(value, Tensor) or value.numel() != 1:
            got = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            raise GlassnetValueError(f"grad: func must return a one-element tensor, got {got}")
        flat = [t for tracked in tracked_per_arg for t in tracked]
        grads = _autograd_grad(value, flat, create_graph=outer, allow_unused=True, materialize_grads=True)
        grads = iter(grads)
        per_arg = tuple(_rebuild(args[i], grads) for i in nums)
        gradient = per_arg[0] if isinstance(argnums, int) else per_arg
        value = value if outer else value.detach()
        return (gradient, (value, aux)) if has_aux else (gradient, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of ``func`` (a one-element tensor) with respect to
    ``args[argnums]`` (and ``aux`` too with ``has_aux``: ``(gradient, aux)``).

    Args:
        func: returns a one-element tensor (and an aux value with ``has_aux``).
        argnums: the argument (an int) or arguments (a tuple of ints) to differentiate by.
        has_aux: func returns ``(value, aux)``.

    Example:
        >>> import glassnet as gn
        >>> d1 = gn.func.grad(lambda x: (x ** 3).sum())             # 3x²
        >>> d2 = gn.func.grad(lambda x: d1(x).sum())                 # 6x
        >>> d1(gn.tensor([1.0, 2.0])).tolist(), d2(gn.tensor([1.0, 2.0])).tolist()
        ([3.0, 12.0], [6.0, 12.0])
    """
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper
