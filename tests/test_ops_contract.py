"""The contract every registered op keeps (see ``op_registry.py``).

For each op and each input-shape case of the battery: forward equals NumPy (float64 and
float32, dtype kept), the gradient equals central differences in float64
(``gn.testing.gradcheck``), each input's gradient is the same whether or not the other
inputs require grad, and a random-direction VJP check passes on a larger shape.
"""

import warnings

import numpy as np
import pytest

import glassnet as gn
from op_registry import REGISTRY, make_inputs

CASES = [pytest.param(spec, shapes, id=f"{spec.name}-{'x'.join(map(str, shapes))}")
         for spec in REGISTRY for shapes in spec.shapes]
SPECS = [pytest.param(spec, id=spec.name) for spec in REGISTRY]
NOT_DIFFERENTIABLE = {"all", "any", "argmax", "argmin", "compare", "to_device",
                      "ACTIVATIONS", "Activation",  # these two: how activations are defined, not ops
                      # tests, logic, counts and indices (issue #16): bool or integer results
                      "allclose", "argsort", "bincount", "bitwise_and", "bitwise_not", "bitwise_or",
                      "bitwise_xor", "count_nonzero", "eq", "equal", "ge", "gt", "isclose", "isfinite",
                      "isinf", "isnan", "isneginf", "isposinf", "le", "logical_and", "logical_not",
                      "logical_or", "logical_xor", "lt", "ne", "nonzero",
                      # the rest of torch.* (issue #16): sets, searches, tests, integer math
                      "broadcast_shapes", "bucketize", "frexp", "gcd", "greater", "greater_equal",
                      "heaviside", "histc", "is_nonzero", "isin", "isreal", "lcm", "less", "less_equal",
                      "nextafter", "not_equal", "searchsorted", "signbit", "tril_indices", "triu_indices",
                      "unique", "unique_consecutive", "unravel_index", "argwhere", "histogram",
                      "bitwise_left_shift", "bitwise_right_shift"}


def _leaves(arrays, requires_grad=True):
    return [gn.tensor(a, requires_grad=requires_grad) for a in arrays]


def _weights(out_shape, seed=1):
    return np.random.default_rng(seed).standard_normal(out_shape)


def _grads(spec, arrays, flags):
    """Gradients of Σ fn(inputs)·w for the inputs whose flag is set (None elsewhere)."""
    xs = [gn.tensor(a, requires_grad=f) for a, f in zip(arrays, flags, strict=True)]
    out = spec.run(*xs)
    (out * gn.tensor(_weights(out.shape), dtype=out.dtype)).sum().backward()
    return [None if x.grad is None else x.grad.numpy() for x in xs]


# -- the registry itself ---------------------------------------------------------------------
def test_registry_names_are_unique_and_inputs_consistent():
    names = [s.name for s in REGISTRY]
    assert len(names) == len(set(names))
    for spec in REGISTRY:
        assert len(spec.domains) == spec.nargs, spec.name
        for shapes in (*spec.shapes, spec.large_shapes):
            assert len(shapes) == spec.nargs, (spec.name, shapes)


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _primitives():
    """Every Function subclass in glassnet.ops (moving to a GPU needs one: not here; the
    Activation base is abstract, its subclasses are the primitives; ActivationSlope is made
    only by create_graph backward: tests/test_double_backward.py)."""
    return {c for c in _all_subclasses(gn.Function)
            if c.__module__.startswith("glassnet.ops")
            and c.__name__ not in ("ToDevice", "Activation", "ActivationSlope")}


def test_registry_covers_every_differentiable_public_op():
    public = set(gn.ops.__all__) - NOT_DIFFERENTIABLE
    covered = {s.covers for s in REGISTRY}
    assert covered <= set(gn.ops.__all__) | {c.__name__ for c in _primitives()}
    assert public - covered == set()


def test_registry_applies_every_primitive_class():
    primitives = _primitives()
    applied = set()
    with gn.observe(lambda event: applied.add(type(event.op))):
        for spec in REGISTRY:
            spec.run(*_leaves(make_inputs(spec, spec.shapes[-1])))
    assert {c.__name__ for c in primitives - applied} == set()


# -- forward ---------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, shapes", CASES)
def test_forward_matches_numpy_float64(spec, shapes):
    arrays = make_inputs(spec, shapes)
    out = spec.run(*_leaves(arrays, requires_grad=False))
    expected = spec.run_ref(*arrays)
    assert isinstance(out, gn.Tensor)
    assert isinstance(out.array, np.ndarray)
    assert out.shape == expected.shape
    assert out.dtype == (spec.out_dtype or np.float64)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec, shapes", CASES)
def test_float32_keeps_dtype_in_forward_and_backward(spec, shapes):
    arrays = make_inputs(spec, shapes, dtype=np.float32)
    xs = _leaves(arrays)
    out = spec.run(*xs)
    assert out.dtype == (spec.out_dtype or np.float32)
    expected = spec.run_ref(*[a.astype(np.float64) for a in arrays])
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-6, atol=1e-6)
    (out * gn.tensor(_weights(out.shape), dtype=out.dtype)).sum().backward()
    grads64 = _grads(spec, [a.astype(np.float64) for a in arrays], [True] * spec.nargs)
    for x, g64 in zip(xs, grads64, strict=True):
        assert x.grad.dtype == np.float32
        assert x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad.numpy(), g64, rtol=1e-4, atol=1e-5)


# -- backward --------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, shapes", CASES)
def test_gradcheck_float64(spec, shapes):
    inputs = _leaves(make_inputs(spec, shapes))
    assert gn.testing.gradcheck(spec.run, inputs, eps=spec.eps, atol=spec.atol)
    for x in inputs:
        assert x.grad.shape == x.shape and x.grad.dtype == np.float64


@pytest.mark.parametrize("spec", SPECS)
def test_vjp_check_on_a_larger_shape(spec):
    inputs = _leaves(make_inputs(spec, spec.large_shapes, seed=2))
    assert gn.testing.vjp_check(spec.run, inputs, eps=spec.eps, atol=spec.atol)


@pytest.mark.parametrize("spec, shapes", [c for c in CASES if c.values[0].nargs > 1])
def test_each_input_alone_gets_the_same_gradient(spec, shapes):
    arrays = make_inputs(spec, shapes)
    before = [a.copy() for a in arrays]
    everyone = _grads(spec, arrays, [True] * spec.nargs)
    for i in range(spec.nargs):
        flags = [k == i for k in range(spec.nargs)]
        alone = _grads(spec, arrays, flags)
        np.testing.assert_array_equal(alone[i], everyone[i])
        assert all(g is None for k, g in enumerate(alone) if k != i)
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)  # neither forward nor backward wrote into inputs


# -- numerical stability at extreme inputs -------------------------------------------------------
def test_activations_are_stable_at_extreme_inputs():
    x = gn.tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=gn.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = gn.sigmoid(x)
        np.testing.assert_allclose(s.numpy(), [0.0, 9.357622968840175e-14, 0.5, 1.0, 1.0],
                                   rtol=1e-12, atol=0)
        s.sum().backward()
        tail = 9.357622968831419e-14  # σ'(±30) = e^-30 / (1 + e^-30)²
        np.testing.assert_allclose(x.grad.numpy(), [0.0, tail, 0.25, tail, 0.0], rtol=1e-9,
                                   atol=2e-16)
        np.testing.assert_array_equal(gn.tanh(x).numpy(), np.tanh(x.numpy()))


def test_softmax_family_is_stable_at_large_logits():
    x = gn.tensor([[1000.0, 999.0, -1000.0]], dtype=gn.float64)
    p = np.exp([0.0, -1.0]) / np.exp([0.0, -1.0]).sum()
    np.testing.assert_allclose(gn.softmax(x, 1).numpy(), [[p[0], p[1], 0.0]], rtol=1e-12)
    np.testing.assert_allclose(gn.log_softmax(x, 1).numpy()[0, :2], np.log(p), rtol=1e-12)
    assert gn.log_softmax(x, 1).numpy()[0, 2] == pytest.approx(-2000.0 + np.log(p[0]), rel=1e-12)
    np.testing.assert_allclose(gn.logsumexp(x, dim=1).numpy(), [1000.0 - np.log(p[0])],
                               rtol=1e-12)


def test_max_ties_share_the_gradient_equally():
    x = gn.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    gn.amax(x, dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    a = gn.tensor([1.0, 2.0], requires_grad=True)
    b = gn.tensor([1.0, 0.0], requires_grad=True)
    gn.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0])
