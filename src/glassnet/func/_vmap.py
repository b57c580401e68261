"""``torch.func.vmap``, ``jacrev``, ``jacfwd`` and ``hessian`` for PyTorch programs.

``vmap(f)(x)`` maps ``f`` over a batch dimension as a loop: ``f`` runs on each slice of the
batched arguments (``x[i]`` along ``in_dims``) and the results are stacked along
``out_dims`` — the same values (and gradients: slicing and stacking are differentiable)
as PyTorch's vectorised map, one call per example instead of one batched call, so a
per-sample-gradient program runs as written, more slowly. Random operations inside draw
differently per example (PyTorch's ``randomness="different"``); PyTorch's default
``"error"`` would refuse them. ``jacrev``/``jacfwd`` give the Jacobian function (both by
reverse mode, :func:`glassnet.autograd.functional.jacobian`; ``has_aux`` as PyTorch's),
``hessian`` the Hessian's.
"""

from glassnet._errors import GlassnetValueError
from glassnet.autograd import functional as _functional
from glassnet.autograd._tensor import Tensor
from glassnet.func._pytree import _detached
from glassnet.ops import stack

__all__ = ["hessian", "jacfwd", "jacrev", "vmap"]


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a batch dimension (see the module doc).

    Args:
        func: a function of tensors (or dicts/lists/tuples of them) returning a tensor or
            a tuple/list/dict of tensors.
        in_dims: the batch dimension of each argument — an int for all, or a tuple with
            one entry per argument (an int, None for an argument not batched, or a
            structure matching the argument's).
        out_dims: where the batch dimension goes in each output (an int, or a tuple per output).
        randomness, chunk_size: accepted (see the module doc).

    Example:
        >>> w = gn.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> per_row = gn.func.vmap(lambda x: w @ x)(gn.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        >>> per_row.tolist()
        [[1.0, 3.0], [2.0, 4.0], [3.0, 7.0]]
    """
    def mapped(*args, **kwargs):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise GlassnetValueError(f"vmap: in_dims has {len(dims)} entries for {len(args)} arguments")
        sizes = {size for arg, dim in zip(args, dims, strict=True) for size in _batch_sizes(arg, dim)}
        if len(sizes) != 1:
            raise GlassnetValueError("vmap: the batched arguments must share one batch size along their "
                                     f"in_dims, got sizes {sorted(sizes) or 'none (nothing is batched)'}")
        (size,) = sizes
        results = [func(*[_slice(a, d, i) for a, d in zip(args, dims, strict=True)], **kwargs)
                   for i in range(size)]
        if not results:
            raise GlassnetValueError("vmap: the batch is empty, so there is nothing to map over")
        return _stacked(results, out_dims)

    return mapped


def _batch_sizes(value, dim):
    if dim is None:
        return []
    if isinstance(value, Tensor):
        if not -value.ndim <= dim < value.ndim:
            raise GlassnetValueError(f"vmap: in_dim {dim} is out of range for an argument of shape "
                                     f"{tuple(value.shape)}")
        return [value.shape[dim]]
    if isinstance(value, dict):
        return [s for k, v in value.items()
                for s in _batch_sizes(v, dim[k] if isinstance(dim, dict) else dim)]
    if isinstance(value, (list, tuple)):
        dims = dim if isinstance(dim, (list, tuple)) else [dim] * len(value)
        return [s for v, d in zip(value, dims, strict=True) for s in _batch_sizes(v, d)]
    raise GlassnetValueError(f"vmap: a batched argument must hold tensors, got {type(value).__name__}")


def _slice(value, dim, i):
    """Example ``i`` of ``value`` along ``dim`` (the structure kept; None: unbatched)."""
    if dim is None:
        return value
    if isinstance(value, Tensor):
        return value[(slice(None),) * (dim % value.ndim) + (i,)]
    if isinstance(value, dict):
        return {k: _slice(v, dim[k] if isinstance(dim, dict) else dim, i) for k, v in value.items()}
    dims = dim if isinstance(dim, (list, tuple)) else [dim] * len(value)
    return type(value)(_slice(v, d, i) for v, d in zip(value, dims, strict=True))


def _stacked(results, out_dims):
    first = results[0]
    if isinstance(first, Tensor):
        return stack(results, dim=out_dims)
    if isinstance(first, dict):
        return {k: _stacked([r[k] for r in results], out_dims[k] if isinstance(out_dims, dict) else out_dims)
                for k in first}
    if isinstance(first, (list, tuple)):
        dims = out_dims if isinstance(out_dims, (list, tuple)) else [out_dims] * len(first)
        return type(first)(_stacked([r[j] for r in results], d) for j, d in enumerate(dims))
    raise GlassnetValueError(f"vmap: func must return tensors (or tuples/lists/dicts of them), got "
                             f"{type(first).__name__}")


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The function ``x ↦ ∂func/∂x`` (shape ``output.shape + input.shape``), by reverse mode.
    With ``has_aux``, ``func`` returns ``(output, aux)`` and the function ``(∂output/∂x, aux)``
    (``aux`` detached, as PyTorch's).

    Example:
        >>> gn.func.jacrev(lambda x: x ** 2)(gn.tensor([1.0, 2.0])).tolist()
        [[2.0, 0.0], [0.0, 4.0]]
    """

    def jacobian(*args):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        aux = []

        def of_chosen(*chosen):
            full = list(args)
            for i, value in zip(nums, chosen, strict=True):
                full[i] = value
            return _output(func(*full), has_aux, aux)

        result = _functional.jacobian(of_chosen, tuple(args[i] for i in nums), create_graph=True)
        result = result[0] if isinstance(argnums, int) and not isinstance(result, Tensor) else result
        return (result, _detached(aux[0])) if has_aux else result

    return jacobian


def _output(out, has_aux, aux):
    """``func``'s output; with ``has_aux`` the first of its ``(output, aux)``, ``aux`` kept."""
    if not has_aux:
        return out
    if not isinstance(out, tuple | list) or len(out) != 2:
        got = f"a {type(out).__name__} of {len(out)}" if isinstance(out, tuple | list) else type(out).__name__
        raise GlassnetValueError(f"jacrev: with has_aux=True func must return a pair (output, aux), "
                                 f"got {got}")
    aux.append(out[1])
    return out[0]


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """:func:`jacrev` (the same Jacobian; glassnet computes it in reverse mode)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The function ``x ↦ ∂²func/∂x²`` of a function returning one element.

    Example:
        >>> gn.func.hessian(lambda x: (x ** 3).sum())(gn.tensor([1.0, 2.0])).tolist()
        [[6.0, 0.0], [0.0, 12.0]]
    """
    return jacrev(jacrev(func, argnums), argnums)
