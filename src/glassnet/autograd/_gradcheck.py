"""Gradient checks against central finite differences, in float64.

``gradcheck(fn, inputs)`` compares, for every input that requires grad, the gradient
autograd computes for ``sum(fn(*inputs) * w)`` (w a fixed random weighting, so every
output element counts) with ``(f(x + eps) - f(x - eps)) / (2 eps)`` per element.
``vjp_check`` is the cheap version: one random direction per input instead of every
element, so it scales to large inputs. ``gradgradcheck`` checks second derivatives: the
gradient that ``backward(create_graph=True)`` gives of ``⟨∇L, u⟩`` against central
differences of the first gradient. (PyTorch has these as ``torch.autograd.gradcheck`` and
``gradgradcheck``; glassnet's are ``gn.autograd.*`` and ``gn.testing.*``.)
"""

import numpy as np

from glassnet._errors import GlassnetError
from glassnet.autograd._grad import grad
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad", "vjp_check"]


class GradcheckError(GlassnetError, AssertionError):
    """Autograd and finite differences disagree."""


def _as_outputs(result):
    return result if isinstance(result, (tuple, list)) else (result,)


def _weighted_sum(fn, inputs, weights):
    """Σ_k Σ outputs_k · weights_k, as a Python float (no graph)."""
    with no_grad():
        outs = _as_outputs(fn(*inputs))
    pairs = zip(outs, weights, strict=True)
    return float(sum(np.sum(np.asarray(o.array, dtype=np.float64) * w) for o, w in pairs))


def _check_inputs(inputs):
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise GradcheckError(
                f"gradcheck: input {i} has dtype {t.dtype}; finite differences need float64 "
                "(make inputs with dtype=gn.float64)"
            )


def _analytic(fn, inputs, seed):
    for t in inputs:
        if isinstance(t, Tensor):
            t.grad = None
    outs = _as_outputs(fn(*inputs))
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(o.shape) for o in outs]
    total = None
    for o, w in zip(outs, weights, strict=True):
        if o.requires_grad:
            term = (o * Tensor(w, dtype=o.dtype)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = [
        (t.grad.numpy().copy() if t.grad is not None else np.zeros(t.shape))
        if isinstance(t, Tensor) and t.requires_grad else None
        for t in inputs
    ]
    return grads, weights


def numerical_grad(fn, inputs, index, weights, eps=1e-6):
    """d/d inputs[index] of Σ fn(*inputs)·weights by central differences."""
    x = inputs[index].array
    grad = np.zeros(x.shape, dtype=np.float64)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    for k in range(flat_x.size):
        orig = flat_x[k]
        flat_x[k] = orig + eps
        up = _weighted_sum(fn, inputs, weights)
        flat_x[k] = orig - eps
        down = _weighted_sum(fn, inputs, weights)
        flat_x[k] = orig
        flat_g[k] = (up - down) / (2 * eps)
    return grad


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0, raise_exception=True):
    """Check autograd's gradient of ``fn`` against central differences.

    ``fn(*inputs)`` returns a tensor (or a tuple of tensors); ``inputs`` are float64
    tensors (a lone tensor is taken as one input), those with ``requires_grad=True`` are
    checked. Returns True, or raises :class:`GradcheckError` naming the input, the worst
    element and both values (returns False instead with ``raise_exception=False``).

    Example:
        >>> x = gn.tensor([0.5, -1.2], dtype=gn.float64, requires_grad=True)
        >>> gn.autograd.gradcheck(lambda t: (t ** 3).sum(), (x,))
        True
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)

    def check():
        _check_inputs(inputs)
        analytic, weights = _analytic(fn, inputs, seed)
        for i, got in enumerate(analytic):
            if got is not None:
                _compare(got, numerical_grad(fn, inputs, i, weights, eps), atol, rtol, f"input {i}")

    return _verdict(check, raise_exception)


def _verdict(check, raise_exception):
    """True if ``check()`` passes; its :class:`GradcheckError` raised, or False."""
    try:
        check()
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0, raise_exception=True):
    """Check second derivatives of ``fn``: with ``L = Σ fn(*inputs)·w`` and random
    directions ``u``, the gradient of ``S = Σᵢ ⟨∂L/∂xᵢ, uᵢ⟩`` (computed by differentiating
    the gradients that ``create_graph=True`` recorded) against central differences of S.

    ``inputs``: float64 tensors, those with ``requires_grad=True`` are checked. Returns
    True, or raises :class:`GradcheckError` (False with ``raise_exception=False``); an op
    whose backward cannot be differentiated raises its own error naming it.

    Example:
        >>> x = gn.tensor([0.5, -1.2], dtype=gn.float64, requires_grad=True)
        >>> gn.autograd.gradgradcheck(lambda t: gn.tanh(t) * t, (x,))
        True
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    leaves = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]

    def check():
        _check_inputs(inputs)
        rng = np.random.default_rng(seed)
        with no_grad():
            weights = [rng.standard_normal(o.shape) for o in _as_outputs(fn(*inputs))]
        directions = [rng.standard_normal(t.shape) for t in leaves]
        total = _directional_gradient(fn, inputs, leaves, weights, directions, create_graph=True)
        analytic = _grads_of(total, leaves)
        for i, (t, got) in enumerate(zip(leaves, analytic, strict=True)):
            expected = _numerical_second(fn, inputs, leaves, weights, directions, t, eps)
            _compare(got, expected, atol, rtol, f"second derivative, input {i}")

    return _verdict(check, raise_exception)


def _directional_gradient(fn, inputs, leaves, weights, directions, create_graph):
    """``S = Σᵢ ⟨∂L/∂xᵢ, uᵢ⟩`` with ``L = Σ fn(*inputs)·w``: a Tensor (with a graph when
    ``create_graph``)."""
    pairs = zip(_as_outputs(fn(*inputs)), weights, strict=True)
    loss = sum((o * Tensor(w, dtype=o.dtype)).sum() for o, w in pairs if o.requires_grad)
    grads = grad(loss, leaves, create_graph=create_graph, allow_unused=True)
    pairs = zip(grads, directions, strict=True)
    terms = [(g * Tensor(u, dtype=g.dtype)).sum() for g, u in pairs if g is not None]
    return sum(terms) if terms else None


def _grads_of(total, leaves):
    """dS/d leaf for each leaf (zeros where S does not depend on it or has no graph)."""
    zeros = [np.zeros(t.shape) for t in leaves]
    if total is None or not total.requires_grad:
        return zeros
    found = grad(total, leaves, allow_unused=True)
    return [z if g is None else g.numpy() for g, z in zip(found, zeros, strict=True)]


def _numerical_second(fn, inputs, leaves, weights, directions, leaf, eps):
    """dS/d leaf by central differences of S, element by element."""
    x = leaf.array
    result = np.zeros(x.shape)
    flat_x, flat_r = x.reshape(-1), result.reshape(-1)
    for k in range(flat_x.size):
        orig = flat_x[k]
        values = []
        for step in (eps, -eps):
            flat_x[k] = orig + step
            s = _directional_gradient(fn, inputs, leaves, weights, directions, create_graph=False)
            values.append(0.0 if s is None else float(s.item()))
        flat_x[k] = orig
        flat_r[k] = (values[0] - values[1]) / (2 * eps)
    return result


def vjp_check(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """One random direction per input: ``⟨grad, v⟩`` vs ``(f(x + eps·v) - f(x - eps·v)) / 2eps``.

    Two evaluations per input regardless of size, so it suits large inputs.
    """
    inputs = tuple(inputs)
    _check_inputs(inputs)
    analytic, weights = _analytic(fn, inputs, seed)
    rng = np.random.default_rng(seed + 1)
    for i, got in enumerate(analytic):
        if got is None:
            continue
        x = inputs[i].array
        v = rng.standard_normal(x.shape)
        orig = x.copy()
        x[...] = orig + eps * v
        up = _weighted_sum(fn, inputs, weights)
        x[...] = orig - eps * v
        down = _weighted_sum(fn, inputs, weights)
        x[...] = orig
        _compare(np.sum(got * v), (up - down) / (2 * eps), atol, rtol, f"input {i} (direction)")
    return True


def _compare(got, expected, atol, rtol, label):
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    err = np.abs(got - expected) - (atol + rtol * np.abs(expected))
    if np.any(err > 0) or not np.all(np.isfinite(got)):
        k = int(np.argmax(err)) if err.size else 0
        raise GradcheckError(
            f"gradcheck: {label}: autograd gives {got.reshape(-1)[k]!r} but finite "
            f"differences give {expected.reshape(-1)[k]!r} at flat index {k} "
            f"(shape {got.shape}, atol={atol}, rtol={rtol})"
        )
