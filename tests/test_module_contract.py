"""The Module contract, checked over every entry of the registry."""

import numpy as np
import pytest

import glassnet as gn
from module_registry import MODULES

IDS = [m.name for m in MODULES]


def _input(spec, batch=3, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return gn.tensor(rng.standard_normal((batch, *spec.input_shape)), dtype=dtype)


def _weighted_sum(out, seed=1):
    w = np.random.default_rng(seed).standard_normal(out.shape)
    return (out * gn.tensor(w, dtype=out.dtype)).sum()


@pytest.mark.parametrize("spec", MODULES, ids=IDS)
def test_gradients_reach_every_parameter(spec):
    gn.manual_seed(0)
    module = spec.build().double()
    x = _input(spec).requires_grad_()
    _weighted_sum(module(x)).backward()
    assert x.grad is not None and x.grad.shape == x.shape
    for name, p in module.named_parameters():
        assert p.grad is not None, f"{spec.name}: no gradient reached {name}"
        assert p.grad.shape == p.shape
        assert np.abs(p.grad.numpy()).sum() > 0, f"{spec.name}: zero gradient for {name}"


@pytest.mark.parametrize("spec", [m for m in MODULES if not m.stochastic], ids=lambda m: m.name)
def test_gradcheck_through_module(spec):
    gn.manual_seed(0)
    module = spec.build().double()
    params = list(module.parameters())
    x = _input(spec, batch=2).requires_grad_()

    def f(x, *ps):
        return module(x)

    assert gn.testing.gradcheck(f, [x, *params])


@pytest.mark.parametrize("spec", MODULES, ids=IDS)
def test_state_dict_round_trip(spec):
    gn.manual_seed(0)
    a = spec.build()
    gn.manual_seed(1)
    b = spec.build()
    state = {k: v.numpy().copy() for k, v in a.state_dict().items()}
    b.load_state_dict(state)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    a.eval()
    b.eval()
    x = _input(spec, dtype=np.float32)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


@pytest.mark.parametrize("spec", MODULES, ids=IDS)
def test_summary_counts_match_parameters(spec):
    module = spec.build()
    summary = module.summary(spec.input_shape)
    total = sum(p.numel() for p in module.parameters())
    assert summary.total == total
    assert sum(r.params for r in summary.rows) == total
    assert summary.trainable == total and summary.frozen == 0
    module.freeze()
    assert module.summary(spec.input_shape).frozen == total


@pytest.mark.parametrize("spec", MODULES, ids=IDS)
def test_train_eval_switch(spec):
    module = spec.build()
    assert module.training
    module.eval()
    assert not any(m.training for m in module.modules())
    x = _input(spec, dtype=np.float32)
    np.testing.assert_array_equal(module(x).numpy(), module(x).numpy())  # deterministic in eval
    module.train()
    assert all(m.training for m in module.modules())
    if spec.stochastic:
        gn.manual_seed(0)
        big = gn.ones(200, *spec.input_shape)
        out = module(big).numpy()
        zeros = (out == 0).mean()
        assert 0.2 < zeros < 0.4  # p = 0.3
        np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)


@pytest.mark.parametrize("spec", [m for m in MODULES if m.torch_build], ids=lambda m: m.name)
def test_matches_pytorch(spec):
    torch = pytest.importorskip("torch")
    gn.manual_seed(0)
    module = spec.build().double()
    reference = spec.torch_build(torch).double()
    reference.load_state_dict({k: torch.tensor(v.numpy()) for k, v in module.state_dict().items()})
    if spec.stochastic:
        module.eval()
        reference.eval()
    x = _input(spec)
    xt = torch.tensor(x.numpy(), requires_grad=True)
    x.requires_grad_()
    out, out_t = module(x), reference(xt)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(3).standard_normal(out.shape)
    (out * gn.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    grads_t = dict(reference.named_parameters())
    for name, p in module.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads_t[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


def test_registry_covers_every_module_class():
    import inspect

    import glassnet.nn as nn

    classes = {name for name, obj in vars(nn).items()
               if inspect.isclass(obj) and issubclass(obj, nn.Module) and obj is not nn.Module}
    losses = {n for n in classes if n.endswith("Loss")}
    containers = {"ModuleList", "ModuleDict"}  # no forward of their own
    covered = {m.name.split("-")[0] for m in MODULES}
    assert classes - losses - containers <= covered, classes - losses - containers - covered

