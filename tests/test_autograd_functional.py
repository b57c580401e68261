"""gn.autograd.functional (vjp, jvp, jacobian, hessian, hvp, vhp) against
torch.autograd.functional: the same functions and points, float64 to 1e-12, with PyTorch's
nesting of tuples and its zeros for an input that does not take part."""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


def _points(lib):
    rng = np.random.default_rng(4)
    return lib.tensor(rng.standard_normal(3)), lib.tensor(rng.standard_normal((2, 3)))


def _f_scalar(lib):
    return lambda x, w: (lib.tanh(w @ x) ** 2).sum() + (x ** 3).sum()


def _f_vector(lib):
    return lambda x, w: lib.sigmoid(w @ x) * x[:2]


def _f_pair(lib):
    return lambda x, w: (w.exp().sum(0) * x, (x ** 2).sum())


def _run(lib, which):
    F = lib.autograd.functional
    x, w = _points(lib)
    v3, v2 = lib.ones(3, dtype=lib.float64) * 0.5, lib.tensor(np.array([1.0, -2.0]))
    vw = lib.tensor(np.arange(6.0).reshape(2, 3) / 6)
    if which == "vjp":
        return F.vjp(_f_vector(lib), (x, w), v2)
    if which == "jvp":
        return F.jvp(_f_vector(lib), (x, w), (v3, vw))
    if which == "jacobian_single":
        return F.jacobian(lambda a: lib.sin(a) * a.sum(), x)
    if which == "jacobian_nested":
        return F.jacobian(_f_pair(lib), (x, w))
    if which == "hessian":
        return F.hessian(_f_scalar(lib), (x, w))
    if which == "hessian_single":
        return F.hessian(lambda a: (lib.exp(a) * a).sum() * a[0], x)
    if which == "hvp":
        return F.hvp(_f_scalar(lib), (x, w), (v3, vw))
    if which == "vhp":
        return F.vhp(_f_scalar(lib), (x, w), (v3, vw))
    if which == "unused_input":
        return F.jacobian(lambda a, b: a * 2, (x, w))
    raise AssertionError(which)


def _flat(value):
    if isinstance(value, (tuple, list)):
        return [type(value).__name__, [_flat(v) for v in value]]
    return np.asarray(value.detach().numpy())


def _assert_same(ours, theirs):
    if isinstance(theirs, list) and theirs and theirs[0] in ("tuple", "list"):
        assert ours[0] == "tuple" and len(ours[1]) == len(theirs[1])
        for a, b in zip(ours[1], theirs[1], strict=True):
            _assert_same(a, b)
    else:
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("which", ["vjp", "jvp", "jacobian_single", "jacobian_nested", "hessian",
                                   "hessian_single", "hvp", "vhp", "unused_input"])
def test_equals_torch_autograd_functional(which):
    _assert_same(_flat(_run(gn, which)), _flat(_run(torch, which)))


def test_results_have_no_graph_unless_asked_and_inputs_are_untouched():
    F = gn.autograd.functional
    x = gn.tensor([1.0, 2.0], dtype=gn.float64)
    out, g = F.vjp(lambda a: a ** 3, x, gn.ones(2, dtype=gn.float64))
    assert not out.requires_grad and not g.requires_grad and not x.requires_grad and x.grad is None
    _, g = F.hvp(lambda a: (a ** 3).sum(), x, gn.ones(2, dtype=gn.float64), create_graph=True)
    assert g.requires_grad


def test_errors_say_what_fits():
    F = gn.autograd.functional
    x = gn.tensor([1.0, 2.0], dtype=gn.float64)
    with pytest.raises(gn.GlassnetValueError, match="single element"):
        F.hessian(lambda a: a ** 2, x)
    with pytest.raises(gn.GlassnetValueError, match=r"v\[0\] has shape \(3,\).*\(2,\)"):
        F.vjp(lambda a: a ** 2, x, gn.ones(3))
    with pytest.raises(gn.GlassnetValueError, match="does not depend on input 1"):
        F.vjp(lambda a, b: a.sum(), (x, x * 1), strict=True)
    with pytest.raises(gn.GlassnetValueError, match="'forward-mode' needs vectorize=True"):
        F.jacobian(lambda a: a, x, strategy="forward-mode")
    with pytest.raises(gn.GlassnetValueError, match="strict=True and strategy='forward-mode'"):
        F.jacobian(lambda a: a, x, strategy="forward-mode", vectorize=True, strict=True)
    with pytest.raises(gn.GlassnetValueError, match="'forward-mode' or 'reverse-mode', got 'bogus'"):
        F.hessian(lambda a: (a ** 3).sum(), x, outer_jacobian_strategy="bogus")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's forward mode uses torch.jit.script
def test_forward_mode_strategy_gives_torch_jacobian_and_hessian():
    a = np.array([0.3, -1.2, 2.0])
    f = lambda lib: lambda t: lib.stack([t.sin().sum(), (t[0] * t[1]) ** 2])  # noqa: E731
    h = lambda t: (t.exp() * t).sum() * t[0]  # noqa: E731
    ours = gn.autograd.functional.jacobian(f(gn), gn.tensor(a), strategy="forward-mode", vectorize=True)
    theirs = torch.autograd.functional.jacobian(f(torch), torch.tensor(a), strategy="forward-mode",
                                                vectorize=True)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-13)
    ours = gn.autograd.functional.hessian(h, gn.tensor(a), vectorize=True,
                                          outer_jacobian_strategy="forward-mode")
    theirs = torch.autograd.functional.hessian(h, torch.tensor(a), vectorize=True,
                                               outer_jacobian_strategy="forward-mode")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-13)
