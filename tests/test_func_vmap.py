"""gn.func.vmap / jacrev / jacfwd / hessian against torch.func: the per-sample-gradients
recipe (vmap over grad of a functional_call), in_dims/out_dims, nested outputs and
Hessians, float64 to 1e-12."""

import warnings

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


def _per_sample_gradients(lib):
    """The torch.func tutorial's recipe: one gradient per example of a small model."""
    rng = np.random.default_rng(2)
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2)).double()
    for p in model.parameters():
        p.data = lib.tensor(rng.standard_normal(tuple(p.shape)))
    params = {k: v.detach() for k, v in model.named_parameters()}
    data, targets = lib.tensor(rng.standard_normal((5, 3))), lib.tensor(rng.integers(0, 2, 5))

    def loss_of_one(params, x, y):
        logits = lib.func.functional_call(model, params, (x.unsqueeze(0),))
        return lib.nn.functional.cross_entropy(logits, y.unsqueeze(0))

    grads = lib.func.vmap(lib.func.grad(loss_of_one), in_dims=(None, 0, 0))(params, data, targets)
    return {k: v.detach().numpy() for k, v in grads.items()}


def test_per_sample_gradients_equal_torch_func():
    ours, theirs = _per_sample_gradients(gn), _torch_quietly(_per_sample_gradients)
    assert ours.keys() == theirs.keys()
    for k in theirs:
        assert ours[k].shape == theirs[k].shape and ours[k].shape[0] == 5
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-12, atol=1e-13)


def _maps(lib):
    rng = np.random.default_rng(3)
    x, w = lib.tensor(rng.standard_normal((4, 3))), lib.tensor(rng.standard_normal((3, 2)))
    f = lib.func
    return [
        f.vmap(lambda a: a @ w)(x),
        f.vmap(lambda a, b: a * b, in_dims=(1, None), out_dims=1)(x, lib.tensor(2.0)),
        f.vmap(lambda a: (a.sum(), {"sq": a ** 2}))(x)[1]["sq"],
        f.vmap(lambda a: (a.sum(), a.max()))(x)[0],
        f.jacrev(lambda a: lib.tanh(a @ w))(x[0]),
        f.jacfwd(lambda a, b: (a @ b).sin(), argnums=1)(x[0], w),
        f.hessian(lambda a: (a.exp() * a).sum() * a[0])(x[0]),
        f.vmap(f.jacrev(lambda a: lib.tanh(a @ w)))(x),
    ]


def test_maps_and_jacobians_equal_torch_func():
    for ours, theirs in zip(_maps(gn), _torch_quietly(_maps), strict=True):
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-13)


def _with_aux(lib):
    rng = np.random.default_rng(4)
    x, w = lib.tensor(rng.standard_normal(3)), lib.tensor(rng.standard_normal((3, 2)))
    jac, aux = lib.func.jacrev(lambda a: (lib.tanh(a @ w), {"norm": a.norm()}), has_aux=True)(x)
    both = lib.func.jacfwd(lambda a, b: ((a @ b).sin(), a.sum()), argnums=(0, 1), has_aux=True)
    (ja, jw), total = both(x, w)
    return [jac, aux["norm"], ja, jw, total]


def test_jacobians_with_aux_equal_torch_func():
    for ours, theirs in zip(_with_aux(gn), _torch_quietly(_with_aux), strict=True):
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-13)
    with pytest.raises(gn.GlassnetValueError, match=r"must return a pair \(output, aux\), got Tensor"):
        gn.func.jacrev(lambda a: a * 2, has_aux=True)(gn.ones(2))


def _torch_quietly(program):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.func's modules use torch.jit.script
        return program(torch)


def test_vmap_errors_name_the_sizes():
    with pytest.raises(gn.GlassnetValueError, match=r"one batch size.*\[2, 3\]"):
        gn.func.vmap(lambda a, b: a + b)(gn.zeros(2), gn.zeros(3))
    with pytest.raises(gn.GlassnetValueError, match="2 entries for 1 arguments"):
        gn.func.vmap(lambda a: a, in_dims=(0, 0))(gn.zeros(2))
