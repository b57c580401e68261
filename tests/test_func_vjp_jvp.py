"""gn.func.vjp / jvp against torch.func.vjp / jvp (float64, to 1e-12): nested primals and
outputs, has_aux, repeated vjp_fn calls, outputs that do not depend on the input, composition
under func.grad (second derivatives), and the errors."""

import warnings

import numpy as np
import pytest
import torch

import glassnet as gn


def _quietly(program, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.func's modules use torch.jit.script
        return program(lib)


def _inputs(lib):
    rng = np.random.default_rng(11)
    return (lib.tensor(rng.standard_normal(3)), lib.tensor(rng.standard_normal((3, 2))),
            lib.tensor(rng.standard_normal(2)), lib.tensor(rng.standard_normal(3)))


def _vjps(lib):
    x, w, v, t = _inputs(lib)
    f = lib.func
    out, vjp_fn = f.vjp(lambda a, b: lib.tanh(a @ b), x, w)
    first, again = vjp_fn(v), vjp_fn(v * 2)
    out2, vjp_fn2, aux = f.vjp(lambda a: (a.sin() * a, a.sum()), x, has_aux=True)
    (dict_grad,) = f.vjp(lambda d: {"s": d["w"] * 2, "t": d["w"].exp().sum()}, {"w": x})[1](
        {"s": t, "t": lib.tensor(1.5, dtype=lib.float64)})
    unused = f.vjp(lambda a, b: a * 2, x, v)[1](t)[1]
    second = f.grad(lambda a: (f.vjp(lambda b: b.sin() * b, a)[1](t)[0] ** 2).sum())(x)
    return [out, *first, *again, out2, *vjp_fn2(t), aux, dict_grad["w"], unused, second]


def _jvps(lib):
    x, w, v, t = _inputs(lib)
    f = lib.func
    out, jv = f.jvp(lambda a, b: lib.tanh(a @ b), (x, w), (t, w * 0.5))
    out2, jv2, aux = f.jvp(lambda a: (a.sin(), a.max()), (x,), (t,), has_aux=True)
    (o1, o2), (j1, j2) = f.jvp(lambda a: (a.exp(), (a ** 2).sum()), (x,), (t,))
    unused = f.jvp(lambda a, b: b * 3, (x, v), (t, lib.zeros(2, dtype=lib.float64)))[1]
    second = f.grad(lambda a: (f.jvp(lambda b: b.sin() * b, (a,), (t,))[1] ** 2).sum())(x)
    return [out, jv, out2, jv2, aux, o1, o2, j1, j2, unused, second]


@pytest.mark.parametrize("program", [_vjps, _jvps])
def test_vjp_and_jvp_equal_torch_func(program):
    ours, theirs = program(gn), _quietly(program, torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert tuple(a.shape) == tuple(b.shape)
        assert a.requires_grad == b.requires_grad
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_vjp_and_jvp_errors_name_the_structures():
    x = gn.ones(2, dtype=gn.float64)
    _, vjp_fn = gn.func.vjp(lambda a: {"s": a * 2, "t": a.sum()}, x)
    with pytest.raises(gn.GlassnetValueError, match=r"cotangents must be nested and shaped as .*'t': \(\)"):
        vjp_fn({"s": gn.ones(2)})
    with pytest.raises(gn.GlassnetValueError, match="primals and tangents must be tuples"):
        gn.func.jvp(lambda a: a, x, x)
    with pytest.raises(gn.GlassnetValueError, match=r"tangents must be nested and shaped as the primals"):
        gn.func.jvp(lambda a: a, (x,), (gn.ones(3),))
    with pytest.raises(gn.GlassnetValueError, match=r"has_aux=True func must return a pair"):
        gn.func.vjp(lambda a: a, x, has_aux=True)
