"""Higher-level autograd on functions (PyTorch's ``torch.autograd.functional``): vector-Jacobian
and Jacobian-vector products, full Jacobians and Hessians, Hessian-vector products.

Each is a few calls of :func:`glassnet.autograd.grad`; the ones that need second derivatives
(``jvp``, ``hessian``, ``hvp``, ``vhp``) differentiate gradients recorded with
``create_graph=True``:

- ``vjp``: ``vᵀ·J`` — one backward with ``v`` as the output's gradient;
- ``jvp``: ``J·v`` — the "double-vjp" trick: ``g(u) = uᵀ·J`` is linear in a dummy ``u``, so
  the gradient of ``⟨g(u), v⟩`` with respect to ``u`` is ``J·v``;
- ``jacobian``: one vjp per output element (row of J), reshaped to ``out.shape + in.shape``;
- ``hessian``: the Jacobian of the gradient;
- ``hvp`` / ``vhp``: the gradient of ``⟨∇f, v⟩``, which is ``Hᵀ·v`` (= ``H·v`` for a Hessian).

``inputs`` and the function's outputs may be one tensor or a tuple of them; results follow
PyTorch's nesting (a tuple where a tuple was given).
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd import _methods
from glassnet.autograd._grad import grad
from glassnet.autograd._mode import enable_grad
from glassnet.autograd._tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(value, what, name):
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            raise GlassnetValueError(f"{name}: {what} {i} must be a Tensor, got {type(v).__name__}")
    return is_tuple, values


def _leaves(inputs, name, create_graph=False):
    """What to differentiate by: fresh leaves sharing the inputs' values (the caller's are
    untouched) — or, with ``create_graph``, an input that requires grad read through an
    identity node, so the result keeps its graph (nested Jacobians: a Hessian)."""
    is_tuple, values = _as_tuple(inputs, "input", name)
    return is_tuple, tuple(t.view_as(t) if create_graph and t.requires_grad
                           else Tensor._wrap(t.array, True, None) for t in values)


def _zeros_like(t):
    return Tensor._wrap(namespace(t.array).zeros(t.shape, dtype=t.dtype), False, None)


def _grads(outputs, inputs, grad_outputs, create_graph, strict, name):
    """``grad`` with PyTorch's conventions here: zeros for an input that does not take part
    (an error with ``strict``); no graph kept unless ``create_graph``."""
    found = grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph,
                 allow_unused=True)
    result = []
    for i, (g, t) in enumerate(zip(found, inputs, strict=True)):
        if g is None:
            if strict:
                raise GlassnetValueError(f"{name}: the output does not depend on input {i} (strict=True)")
            g = _zeros_like(t)
        result.append(g if create_graph else g.detach())
    return tuple(result)


def _check_v(v, outputs, name, what="v"):
    is_tuple, vs = _as_tuple(v, what, name)
    if len(vs) != len(outputs):
        raise GlassnetValueError(f"{name}: {len(vs)} tensors in {what} for {len(outputs)} outputs/inputs")
    for i, (a, b) in enumerate(zip(vs, outputs, strict=True)):
        if tuple(a.shape) != tuple(b.shape):
            raise GlassnetValueError(f"{name}: {what}[{i}] has shape {tuple(a.shape)}, but it must match "
                                     f"{tuple(b.shape)}")
    return vs


def _call(func, inputs, name):
    with enable_grad():
        out = func(*inputs)
    return _as_tuple(out, "output", name)


def _shape_like(values, is_tuple):
    return tuple(values) if is_tuple else values[0]


def _detached(outputs, create_graph):
    return tuple(o if create_graph else o.detach() for o in outputs)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ·J)``.

    Args:
        func: a function of the inputs returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: one tensor per output, shaped like it (may be omitted for a one-element output).
        create_graph: keep a graph through the result (to differentiate it again).
        strict: raise if an input does not take part, instead of giving zeros.

    Example:
        >>> x = gn.tensor([1.0, 2.0])
        >>> out, g = gn.autograd.functional.vjp(lambda a: a ** 2, x, gn.ones(2))
        >>> g.tolist()
        [2.0, 4.0]
    """
    in_tuple, xs = _leaves(inputs, "vjp", create_graph)
    out_tuple, outs = _call(func, xs, "vjp")
    vs = None if v is None else _check_v(v, outs, "vjp")
    result = _grads(list(outs), list(xs), None if vs is None else list(vs), create_graph, strict, "vjp")
    return _shape_like(_detached(outs, create_graph), out_tuple), _shape_like(result, in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J·v)``, by the double-vjp trick (see the module doc).

    Example:
        >>> x = gn.tensor([1.0, 2.0])            # f(a) = (a₀·a₁, a₀ + a₁): J = [[a₁, a₀], [1, 1]]
        >>> _, jv = gn.autograd.functional.jvp(lambda a: gn.stack([a[0] * a[1], a.sum()]), x,
        ...                                    gn.tensor([1.0, 0.0]))
        >>> jv.tolist()                          # J's first column
        [2.0, 1.0]
    """
    in_tuple, xs = _leaves(inputs, "jvp", create_graph)
    vs = _check_v(v if v is not None else _ones_for(xs, "jvp"), xs, "jvp")
    out_tuple, outs = _call(func, xs, "jvp")
    dummies = [Tensor._wrap(namespace(o.array).zeros(o.shape, dtype=o.dtype), True, None) for o in outs]
    g = grad(list(outs), list(xs), dummies, create_graph=True, allow_unused=True)
    used = [(gi, vi) for gi, vi in zip(g, vs, strict=True) if gi is not None]
    if not used:
        result = tuple(_zeros_like(o) for o in outs)
    else:
        total = sum((gi * vi).sum() for gi, vi in used)
        result = _grads(total, dummies, None, create_graph, strict, "jvp") if total.requires_grad \
            else tuple(_zeros_like(o) for o in outs)
    return _shape_like(_detached(outs, create_graph), out_tuple), _shape_like(result, out_tuple)


def _ones_for(xs, name):
    if len(xs) != 1 or xs[0].array.size != 1:
        raise GlassnetValueError(f"{name}: v may be omitted only for a single one-element input or output")
    return xs[0] * 0 + 1


def _check_strategy(strategy, vectorize, strict, name):
    """PyTorch's rules for ``strategy``: either mode, forward only with ``vectorize=True`` and
    without ``strict`` (glassnet computes both in reverse mode: the same Jacobian)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise GlassnetValueError(f"{name}: strategy must be 'forward-mode' or 'reverse-mode', got "
                                 f"{strategy!r}")
    if strategy == "forward-mode" and not vectorize:
        raise GlassnetValueError(f"{name}: strategy='forward-mode' needs vectorize=True (as in PyTorch); "
                                 "pass vectorize=True, or use strategy='reverse-mode'")
    if strategy == "forward-mode" and strict:
        raise GlassnetValueError(f"{name}: strict=True and strategy='forward-mode' cannot go together (as in "
                                 "PyTorch); set strict=False or strategy='reverse-mode'")


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output ``i`` and input ``j`` a tensor of shape
    ``outputs[i].shape + inputs[j].shape`` (nested as PyTorch: tuples where tuples were given),
    one backward per output element (row ``k`` of J is ``e_kᵀ·J``). ``vectorize`` is
    accepted; ``strategy="forward-mode"`` (which PyTorch allows only with ``vectorize=True``
    and without ``strict``) gives the same Jacobian, computed in reverse mode too.

    Example:
        >>> x = gn.tensor([1.0, 2.0])
        >>> gn.autograd.functional.jacobian(lambda a: a ** 2, x).tolist()
        [[2.0, 0.0], [0.0, 4.0]]
    """
    _check_strategy(strategy, vectorize, strict, "jacobian")
    in_tuple, xs = _leaves(inputs, "jacobian", create_graph)
    out_tuple, outs = _call(func, xs, "jacobian")
    per_output = [_shape_like(_jacobian_of(out, xs, create_graph, strict), in_tuple) for out in outs]
    return _shape_like(per_output, out_tuple)


def _jacobian_of(out, xs, create_graph, strict):
    """d out / d x for each x: rows of one-hot vjps, stacked to ``out.shape + x.shape``."""
    if not out.requires_grad:
        if strict:
            raise GlassnetValueError("jacobian: an output does not depend on the inputs (strict=True)")
        return [_zeros((*out.shape, *x.shape), x) for x in xs]
    xp = namespace(out.array)
    rows = [[] for _ in xs]
    for k in range(out.array.size):
        one_hot = xp.zeros(out.array.size, dtype=out.dtype)
        one_hot[k] = 1
        seed = Tensor._wrap(one_hot.reshape(out.shape), False, None)
        for j, g in enumerate(_grads(out, list(xs), seed, create_graph, strict, "jacobian")):
            rows[j].append(g)
    return [_stacked(r, (*out.shape, *x.shape), x) for r, x in zip(rows, xs, strict=True)]


def _zeros(shape, like):
    return Tensor._wrap(namespace(like.array).zeros(shape, dtype=like.dtype), False, None)


def _stacked(rows, shape, like):
    if not rows:
        return _zeros(shape, like)
    return _methods.ops.stack(rows).reshape(shape)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function returning one element: for inputs ``i, j`` a tensor of shape
    ``inputs[i].shape + inputs[j].shape`` (a tuple of tuples where a tuple was given);
    ``outer_jacobian_strategy`` as :func:`jacobian`'s ``strategy``.

    Example:
        >>> x = gn.tensor([1.0, 2.0])
        >>> gn.autograd.functional.hessian(lambda a: (a ** 3).sum(), x).tolist()
        [[6.0, 0.0], [0.0, 12.0]]
    """
    _check_strategy(outer_jacobian_strategy, vectorize, strict, "hessian")
    in_tuple, xs = _leaves(inputs, "hessian", create_graph)

    def gradient(*args):
        out_tuple, outs = _call(func, args, "hessian")
        if out_tuple or outs[0].array.size != 1:
            raise GlassnetValueError("hessian: the function must return a tensor with a single element")
        return _shape_like(_grads(outs[0], list(args), None, True, strict, "hessian"), in_tuple)

    return jacobian(gradient, xs if in_tuple else xs[0], create_graph=create_graph, strict=strict)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ·H)`` for a function returning one element.

    Example:
        >>> x = gn.tensor([1.0, 2.0])
        >>> out, hv = gn.autograd.functional.vhp(lambda a: (a ** 3).sum(), x, gn.ones(2))
        >>> hv.tolist()
        [6.0, 12.0]
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H·v)`` for a function returning one element (a Hessian is symmetric,
    so this equals :func:`vhp`).

    Example:
        >>> x = gn.tensor([1.0, 2.0])
        >>> out, hv = gn.autograd.functional.hvp(lambda a: (a ** 3).sum(), x, gn.ones(2))
        >>> hv.tolist()
        [6.0, 12.0]
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, name):
    in_tuple, xs = _leaves(inputs, name, create_graph)
    out_tuple, outs = _call(func, xs, name)
    if out_tuple or outs[0].array.size != 1:
        raise GlassnetValueError(f"{name}: the function must return a tensor with a single element")
    vs = _check_v(v if v is not None else _ones_for(xs, name), xs, name)
    g = _grads(outs[0], list(xs), None, True, strict, name)
    total = sum((gi * vi).sum() for gi, vi in zip(g, vs, strict=True))
    if isinstance(total, Tensor) and total.requires_grad:
        result = _grads(total, list(xs), None, create_graph, strict, name)
    else:
        result = tuple(_zeros_like(x) for x in xs)
    return _detached(outs, create_graph)[0], _shape_like(result, in_tuple)

