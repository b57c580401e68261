"""torch.nn.utils' remaining names (issue #16) against PyTorch: get_total_norm,
clip_grads_with_norm_, the deprecated clip_grad_norm, vector_to_parameters, the old
weight_norm hooks, parametrize / parametrizations.weight_norm, BatchNorm fusion, skip_init,
and functional_call with gn.func.grad — the MAML inner step equal to torch.func's."""

import warnings

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
from glassnet.nn.utils import parametrize

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)


def _pair(build):
    """A glassnet module (float64) and the PyTorch one with the same state."""
    ours = build(nn).double()
    theirs = build(torch.nn).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def _grads_with(values_list, lib):
    params = [lib.tensor(v, requires_grad=True) for v in values_list]
    for p, v in zip(params, values_list, strict=True):
        p.grad = lib.tensor(v * 3.0)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_total_norm_and_clipping_with_it_match_pytorch(norm_type):
    values = [RNG.standard_normal((3, 2)), RNG.standard_normal(4)]
    ours, theirs = _grads_with(values, gn), _grads_with(values, torch)
    total = nn.utils.get_total_norm([p.grad for p in ours], norm_type)
    total_t = torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type)
    np.testing.assert_allclose(total.item(), total_t.item(), rtol=1e-12)
    nn.utils.clip_grads_with_norm_(ours, 0.5, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.5, total_t)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_deprecated_clip_grad_norm_warns_as_pytorch_and_nonfinite_norms_can_raise():
    values = [RNG.standard_normal(3)]
    ours, theirs = _grads_with(values, gn), _grads_with(values, torch)
    with pytest.warns(FutureWarning) as caught:
        total = nn.utils.clip_grad_norm(ours, 0.1)
    with warnings.catch_warnings(record=True) as caught_t:
        warnings.simplefilter("always")
        total_t = torch.nn.utils.clip_grad_norm(theirs, 0.1)
    assert str(caught[0].message) == str(caught_t[0].message)
    np.testing.assert_allclose(float(total), total_t.item(), rtol=1e-12)
    np.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), rtol=1e-12)
    ours[0].grad = gn.tensor([np.inf, 0.0, 0.0])
    with pytest.raises(gn.GlassnetValueError, match="non-finite"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(gn.GlassnetValueError, match="non-finite"):
        nn.utils.get_total_norm([ours[0].grad], error_if_nonfinite=True)


def test_vector_to_parameters_is_the_inverse_of_parameters_to_vector():
    ours, theirs = _pair(lambda n: n.Sequential(n.Linear(3, 2), n.Linear(2, 1)))
    vec = RNG.standard_normal(sum(p.numel() for p in ours.parameters()))
    nn.utils.vector_to_parameters(gn.tensor(vec), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(vec), theirs.parameters())
    for (name, p), t in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_array_equal(p.numpy(), t.detach().numpy(), err_msg=name)
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(ours.parameters()).numpy(), vec)
    with pytest.raises(gn.GlassnetValueError, match="vector_to_parameters: expected a 1-D tensor"):
        nn.utils.vector_to_parameters(gn.tensor(vec[:-1]), ours.parameters())


def _weight_normed(lib, build, dim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return lib.nn.utils.weight_norm(build(lib.nn), dim=dim)


@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("layer", ["linear", "conv"])
def test_old_weight_norm_hooks_match_pytorch(dim, layer):
    build = (lambda n: n.Linear(4, 3)) if layer == "linear" else (lambda n: n.Conv1d(2, 3, 3))
    ours, theirs = _weight_normed(gn, build, dim).double(), _weight_normed(torch, build, dim).double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert ours.weight_g.shape == tuple(theirs.weight_g.shape)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = RNG.standard_normal((2, 4) if layer == "linear" else (2, 2, 5))
    out, out_t = ours(gn.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    out_t.sum().backward()
    for name in ("weight_g", "weight_v", "bias"):
        np.testing.assert_allclose(getattr(ours, name).grad.numpy(), getattr(theirs, name).grad.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=name)
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert isinstance(ours.weight, nn.Parameter) and list(ours.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


def test_weight_norm_warns_and_refuses_twice():
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        layer = nn.utils.weight_norm(nn.Linear(2, 2))
    with pytest.raises(gn.GlassnetValueError, match="already has weight_norm"), pytest.warns(FutureWarning):
        nn.utils.weight_norm(layer)
    with pytest.raises(gn.GlassnetValueError, match="weight_norm of 'bias' not found"):
        nn.utils.remove_weight_norm(layer, "bias")


def _symmetric(n):
    class Symmetric(n.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).mT

        def right_inverse(self, a):
            return a.triu()

    return Symmetric()


def test_register_parametrization_matches_pytorch():
    ours, theirs = _pair(lambda n: n.Linear(3, 3))
    parametrize.register_parametrization(ours, "weight", _symmetric(gn.nn))
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", _symmetric(torch.nn))
    keys = ["bias", "parametrizations.weight.original"]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == keys
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    np.testing.assert_allclose(ours.parametrizations.weight.original.numpy(),
                               theirs.parametrizations.weight.original.detach().numpy())
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    x = RNG.standard_normal((2, 3))
    ours(gn.tensor(x)).pow(2).sum().backward()
    theirs(torch.tensor(x)).pow(2).sum().backward()
    np.testing.assert_allclose(ours.parametrizations.weight.original.grad.numpy(),
                               theirs.parametrizations.weight.original.grad.numpy(), rtol=1e-12)
    new = RNG.standard_normal((3, 3))
    ours.weight = gn.tensor(new + new.T)  # through right_inverse
    np.testing.assert_allclose(ours.weight.detach().numpy(), new + new.T, rtol=1e-12)
    assert parametrize.is_parametrized(ours) and parametrize.is_parametrized(ours, "weight")
    assert not parametrize.is_parametrized(ours, "bias")
    parametrize.remove_parametrizations(ours, "weight")
    assert type(ours) is nn.Linear and isinstance(ours.weight, nn.Parameter)
    assert list(ours.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(ours.weight.numpy(), new + new.T, rtol=1e-12)


def test_cached_computes_each_parametrized_tensor_once():
    calls = []

    class Doubled(nn.Module):
        def forward(self, x):
            calls.append(1)
            return x * 2

    layer = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Doubled())
    calls.clear()
    with parametrize.cached():
        first, second = layer.weight, layer.weight
    assert first is second and len(calls) == 1
    assert layer.weight is not first and len(calls) == 2


def test_parametrizations_weight_norm_matches_pytorch():
    ours, theirs = _pair(lambda n: n.Conv2d(2, 3, 3))
    nn.utils.parametrizations.weight_norm(ours)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), theirs.state_dict()[key].numpy(), rtol=1e-12, err_msg=key)
    x = RNG.standard_normal((1, 2, 5, 5))
    out, out_t = ours(gn.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    out_t.sum().backward()
    for i in (0, 1):
        ours_grad = getattr(ours.parametrizations.weight, f"original{i}").grad.numpy()
        theirs_grad = getattr(theirs.parametrizations.weight, f"original{i}").grad.numpy()
        np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-10, atol=1e-12)


def _trained_bn(lib, bn, shape):
    """``bn`` after three training batches (running statistics away from 0 and 1), in eval."""
    bn.train()
    with (torch.no_grad() if lib is torch else gn.no_grad()):
        for seed in range(3):
            bn(lib.tensor(np.random.default_rng(seed).standard_normal(shape)) * 2 + 1)
    return bn.eval()


@pytest.mark.parametrize("kind", ["conv", "linear"])
def test_batchnorm_fusion_matches_pytorch_and_the_unfused_pair(kind):
    if kind == "conv":
        pair, norm = (lambda n: n.Conv2d(2, 3, 3)), (lambda n: n.BatchNorm2d(3))
        x = RNG.standard_normal((2, 2, 6, 6))
        fuse, fuse_t, bn_shape = nn.utils.fuse_conv_bn_eval, torch.nn.utils.fuse_conv_bn_eval, (4, 3, 5, 5)
    else:
        pair, norm, x = (lambda n: n.Linear(4, 3)), (lambda n: n.BatchNorm1d(3)), RNG.standard_normal((5, 4))
        fuse, fuse_t = nn.utils.fusion.fuse_linear_bn_eval, torch.nn.utils.fusion.fuse_linear_bn_eval
        bn_shape = (4, 3)
    layer, layer_t = _pair(pair)
    bn, bn_t = _pair(norm)
    _trained_bn(gn, bn, bn_shape)
    _trained_bn(torch, bn_t, bn_shape)
    layer.eval()
    layer_t.eval()
    fused, fused_t = fuse(layer, bn), fuse_t(layer_t, bn_t)
    for key, value in fused.state_dict().items():
        np.testing.assert_allclose(value.numpy(), fused_t.state_dict()[key].numpy(), rtol=1e-12, err_msg=key)
    np.testing.assert_allclose(fused(gn.tensor(x)).numpy(), bn(layer(gn.tensor(x))).numpy(), rtol=1e-10,
                               atol=1e-12)
    assert fused is not layer and not np.array_equal(fused.weight.numpy(), layer.weight.numpy())
    with pytest.raises(gn.GlassnetValueError, match="evaluation only"):
        fuse(layer.train(), bn)


def test_skip_init_builds_the_module():
    layer = nn.utils.skip_init(nn.Linear, 3, 2, bias=False)
    assert isinstance(layer, nn.Linear) and layer.weight.shape == (2, 3) and layer.bias is None


def _mlp(n):
    return n.Sequential(n.Linear(3, 4), n.Tanh(), n.Linear(4, 2))


def test_functional_call_runs_with_given_tensors_and_leaves_the_module_alone():
    ours, theirs = _pair(_mlp)
    replacement = {"0.weight": RNG.standard_normal((4, 3)), "2.bias": RNG.standard_normal(2)}
    x = RNG.standard_normal((5, 3))
    before = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    out = gn.func.functional_call(ours, {k: gn.tensor(v) for k, v in replacement.items()}, (gn.tensor(x),))
    out_t = torch.func.functional_call(theirs, {k: torch.tensor(v) for k, v in replacement.items()},
                                       (torch.tensor(x),))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-12)
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])
    assert isinstance(ours[0].weight, nn.Parameter)
    assert nn.utils.stateless.functional_call is gn.func.functional_call
    with pytest.raises(gn.GlassnetValueError, match=r"missing key\(s\) \['0.bias', '2.weight'\]"):
        gn.func.functional_call(ours, {k: gn.tensor(v) for k, v in replacement.items()}, gn.tensor(x),
                                strict=True)
    with pytest.raises(gn.GlassnetValueError, match="names no submodule"):
        gn.func.functional_call(ours, {"5.weight": gn.zeros(1)}, gn.tensor(x))


def test_functional_call_replaces_tied_weights_and_buffers():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    model = Tied()
    out = gn.func.functional_call(model, {"a.weight": gn.eye(2) * 2}, gn.ones(1, 2))
    np.testing.assert_allclose(out.numpy(), [[4.0, 4.0]])
    untied = gn.func.functional_call(model, {"a.weight": gn.eye(2) * 2}, gn.ones(1, 2), tie_weights=False)
    expected = (np.ones((1, 2)) @ (2 * np.eye(2))) @ model.b.weight.numpy().T
    np.testing.assert_allclose(untied.numpy(), expected, rtol=1e-6)
    bn = nn.BatchNorm1d(2).eval()
    shifted = gn.func.functional_call(bn, {"running_mean": gn.tensor([1.0, -1.0])}, gn.zeros(1, 2))
    np.testing.assert_allclose(shifted.numpy(), [[-1.0, 1.0]] / np.sqrt(1 + 1e-5), rtol=1e-6)
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0.0, 0.0])


def test_maml_inner_step_with_func_grad_matches_torch_func():
    ours, theirs = _pair(_mlp)
    x, y = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2))

    def inner_then_outer(lib, model):
        params = dict(model.named_parameters())

        def loss(p, inputs, targets):
            return ((lib.func.functional_call(model, p, (inputs,)) - targets) ** 2).mean()

        grads = lib.func.grad(loss)(params, lib.tensor(x), lib.tensor(y))
        adapted = {k: v - 0.1 * grads[k] for k, v in params.items()}
        outer = loss(adapted, lib.tensor(x) * 0.5, lib.tensor(y))
        outer.backward()
        return outer.item(), {k: p.grad.numpy() for k, p in model.named_parameters()}

    value, grads = inner_then_outer(gn, ours)
    value_t, grads_t = inner_then_outer(torch, theirs)
    assert value == pytest.approx(value_t, rel=1e-12)
    for key in grads:
        np.testing.assert_allclose(grads[key], grads_t[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_func_grad_forms_match_torch_func():
    x, w = RNG.standard_normal(3), RNG.standard_normal(3)

    def run(lib):
        f = lambda a, b: (lib.sin(a) * b).sum()  # noqa: E731
        aux = lambda a, b: ((a * b).sum(), a * 2)  # noqa: E731
        g_a = lib.func.grad(f)(lib.tensor(x), lib.tensor(w))
        g_ab = lib.func.grad(f, argnums=(0, 1))(lib.tensor(x), lib.tensor(w))
        (g, value) = lib.func.grad_and_value(f)(lib.tensor(x), lib.tensor(w))
        g_aux, doubled = lib.func.grad(aux, has_aux=True)(lib.tensor(x), lib.tensor(w))
        second = lib.func.grad(lambda a: lib.func.grad(f)(a, lib.tensor(w)).sum())(lib.tensor(x))
        return [g_a, *g_ab, g, value, g_aux, doubled, second]

    ours, theirs = run(gn), run(torch)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)
    with pytest.raises(gn.GlassnetValueError, match="one-element tensor"):
        gn.func.grad(lambda a: a * 2)(gn.tensor(x))
