"""``torch.func.vjp`` and ``torch.func.jvp``: a function's vector-Jacobian product as a
function of the cotangents, and its Jacobian-vector product at given tangents.

Arguments and outputs may be nested (a tensor, or a dict / list / tuple of them). As in
:func:`glassnet.func.grad`, the primals are read through fresh leaves, so the results carry
no graph unless a primal itself requires grad (then they keep it: ``create_graph``).

- ``vjp(f, *primals)`` → ``(f(*primals), vjp_fn)``; ``vjp_fn(v)`` = ``vᵀ·J``, one entry per
  primal (shaped like it), for cotangents ``v`` shaped like the output; callable repeatedly;
- ``jvp(f, primals, tangents)`` → ``(f(*primals), J·t)`` by the double-vjp trick: ``u ↦ uᵀ·J``
  is linear in a dummy ``u``, so the gradient of ``⟨uᵀ·J, t⟩`` with respect to ``u`` is ``J·t``.
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd import enable_grad
from glassnet.autograd import grad as _autograd_grad
from glassnet.autograd._tensor import Tensor
from glassnet.func._pytree import _detached, _leaves, _rebuild, _tensors

__all__ = ["jvp", "vjp"]


def _structure(value):
    """``value``'s nesting with each tensor replaced by its shape (to compare two trees)."""
    if isinstance(value, Tensor):
        return tuple(value.shape)
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_structure(v) for v in value)
    return type(value).__name__


def _run(func, args, has_aux, name):
    """``func(*args)`` with grad on; ``(output, aux)`` (aux None without ``has_aux``)."""
    with enable_grad():
        out = func(*args)
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise GlassnetValueError(f"{name}: with has_aux=True func must return a pair (output, aux), got "
                                 f"{type(out).__name__}")
    return out[0], out[1]


def _zeros(t):
    return Tensor._wrap(namespace(t.array).zeros(t.shape, dtype=t.dtype), False, None)


def _products(outputs, inputs, weights, create_graph):
    """``Σ_k weights_kᵀ · ∂outputs_k/∂inputs`` for each input (zeros where none depends)."""
    pairs = [(o, w) for o, w in zip(outputs, weights, strict=True) if o.requires_grad]
    if not pairs:
        return [_zeros(t) for t in inputs]
    return list(_autograd_grad([o for o, _ in pairs], inputs, [w for _, w in pairs], retain_graph=True,
                               create_graph=create_graph, allow_unused=True, materialize_grads=True))


def _result(out, outer):
    return out if outer else _detached(out)


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (and ``aux`` third with ``has_aux``): ``vjp_fn(v)`` is the
    tuple ``vᵀ·∂func/∂primals[i]``, one per primal and shaped like it, for cotangents ``v``
    nested and shaped as the output.

    Example:
        >>> out, vjp_fn = gn.func.vjp(lambda a: a ** 2, gn.tensor([1.0, 2.0]))
        >>> vjp_fn(gn.ones(2))[0].tolist()
        [2.0, 4.0]
    """
    outer = any(t.requires_grad for p in primals for t in _tensors(p))
    tracked = []
    leaves = [_leaves(p, tracked) for p in primals]
    out, aux = _run(func, leaves, has_aux, "vjp")
    outputs = _tensors(out)

    def vjp_fn(cotangents):
        if _structure(cotangents) != _structure(out):
            raise GlassnetValueError(f"vjp: the cotangents must be nested and shaped as func's output "
                                     f"{_structure(out)}, got {_structure(cotangents)}")
        grads = iter(_products(outputs, tracked, _tensors(cotangents), outer))
        return tuple(_rebuild(p, grads) for p in primals)

    result = _result(out, outer)
    return (result, vjp_fn, _result(aux, outer)) if has_aux else (result, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J·tangents)`` (and ``aux`` third with ``has_aux``): ``primals`` and
    ``tangents`` are tuples of the same nesting and shapes; the product is nested and shaped
    as the output.

    Example:
        >>> out, jv = gn.func.jvp(lambda a: a ** 2, (gn.tensor([1.0, 2.0]),), (gn.ones(2),))
        >>> jv.tolist()
        [2.0, 4.0]
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise GlassnetValueError(f"jvp: primals and tangents must be tuples (func(*primals) is called), got "
                                 f"{type(primals).__name__} and {type(tangents).__name__}")
    if _structure(primals) != _structure(tangents):
        raise GlassnetValueError(f"jvp: the tangents must be nested and shaped as the primals "
                                 f"{_structure(primals)}, got {_structure(tangents)}")
    outer = any(t.requires_grad for t in _tensors(primals))
    tracked = []
    leaves = [_leaves(p, tracked) for p in primals]
    out, aux = _run(func, leaves, has_aux, "jvp")
    outputs = _tensors(out)
    dummies = [Tensor._wrap(namespace(o.array).zeros(o.shape, dtype=o.dtype), True, None) for o in outputs]
    pulled = _products(outputs, tracked, dummies, create_graph=True)
    terms = [(g * t).sum() for g, t in zip(pulled, _tensors(tangents), strict=True) if g.requires_grad]
    if terms:
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        pushed = _autograd_grad(total, dummies, create_graph=outer, allow_unused=True, materialize_grads=True)
    else:
        pushed = [_zeros(o) for o in outputs]
    result = (_result(out, outer), _rebuild(out, iter(pushed)))
    return (*result, _result(aux, outer)) if has_aux else result
