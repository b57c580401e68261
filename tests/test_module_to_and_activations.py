"""``Module.to`` and its shorthands in PyTorch's forms, and the further activation modules
against PyTorch (float64, 1e-10) — values, gradients, large |x| and PyTorch's defaults."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
from glassnet._errors import GlassnetTypeError, GlassnetValueError

torch = pytest.importorskip("torch")

ACTIVATIONS = [
    ("Softplus", (), {}), ("Softplus", (2.0, 1.0), {}), ("ELU", (), {}), ("ELU", (0.5,), {}),
    ("SiLU", (), {}), ("Mish", (), {}), ("Hardtanh", (), {}), ("Hardtanh", (-0.5, 0.75), {}),
    ("Softsign", (), {}), ("LogSigmoid", (), {}), ("Tanhshrink", (), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), ACTIVATIONS)
def test_activation_module_matches_torch_values_and_gradients(name, args, kwargs):
    x = np.concatenate([np.linspace(-40, 40, 41), np.random.default_rng(0).normal(size=20)])
    ours = gn.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y = getattr(nn, name)(*args, **kwargs)(ours)
    t = getattr(torch.nn, name)(*args, **kwargs)(theirs)
    weights = np.arange(1.0, x.size + 1)
    (y * gn.tensor(weights)).sum().backward()
    (t * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(y.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_activation_module_float32_keeps_dtype_and_repr():
    y = nn.ELU(0.5)(gn.randn(3, dtype=gn.float32))
    assert y.dtype == np.float32
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"


@pytest.mark.parametrize("name, args", [("ReLU", ()), ("LeakyReLU", (0.2,)), ("ELU", (0.5,)),
                                        ("SiLU", ()), ("Mish", ()), ("Hardtanh", (-0.5, 0.5))])
def test_inplace_modules_write_into_their_input_as_pytorch(name, args):
    """``nn.Sequential(nn.Linear(…), nn.ReLU(inplace=True))``: the activation is written into
    the linear layer's output; values and gradients are PyTorch's."""
    torch = pytest.importorskip("torch")
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    results = []
    for lib in (gn, torch):
        lin = lib.nn.Linear(4, 2).double()
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[0.5, -1.0, 0.25, 2.0], [-0.3, 0.2, 1.0, -0.5]], dtype=lib.float64))
            lin.bias.copy_(lib.tensor([0.1, -0.2], dtype=lib.float64))
        h = lin(lib.tensor(x, dtype=lib.float64))
        out = getattr(lib.nn, name)(*args, inplace=True)(h)
        assert out is h  # written into the input, which is returned
        out.sum().backward()
        results.append([out.detach().numpy().copy(), lin.weight.grad.numpy().copy()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert "inplace=True" in repr(getattr(nn, name)(*args, inplace=True))


def test_hardtanh_refuses_min_above_max():
    with pytest.raises(GlassnetValueError, match=r"Hardtanh: min_val \(2\) must not exceed max_val \(1\)"):
        nn.Hardtanh(2, 1)


def test_stacking_accepts_tuples_and_matches_torch():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0, 12.0).reshape(2, 3)
    for name in ("hstack", "vstack", "dstack", "column_stack"):
        ours = getattr(gn, name)((gn.tensor(a), gn.tensor(b)))
        theirs = getattr(torch, name)((torch.tensor(a), torch.tensor(b)))
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(GlassnetValueError, match="vstack: needs at least one tensor"):
        gn.vstack([])


def _model():
    gn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.SiLU(), nn.Linear(4, 1))


@pytest.mark.parametrize("convert", [
    lambda m: m.to(gn.float64), lambda m: m.to("cpu", gn.float64), lambda m: m.to(dtype=gn.float64),
    lambda m: m.to(gn.zeros(1, dtype=gn.float64)), lambda m: m.double(), lambda m: m.cpu().double(),
    lambda m: m.to(device="cpu", dtype=gn.float64),
], ids=["dtype", "device-dtype", "keyword", "tensor", "double", "cpu-double", "keywords"])
def test_module_to_converts_in_place_and_keeps_parameter_objects(convert):
    model = _model()
    before = list(model.parameters())
    assert convert(model) is model
    after = list(model.parameters())
    assert all(p is q for p, q in zip(before, after, strict=True))
    assert {p.dtype for p in after} == {np.dtype(np.float64)}


def test_optimizer_made_before_to_still_trains_the_model_as_in_torch():
    model = _model()
    state = {k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()}
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.SiLU(), torch.nn.Linear(4, 1))
    reference.load_state_dict(state)
    opt = gn.optim.SGD(model.parameters(), lr=0.1)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    model.to(gn.float64)
    reference.to(torch.float64)
    x = np.random.default_rng(1).normal(size=(5, 3))
    for _ in range(3):
        for m, o, inp in ((model, opt, gn.tensor(x)), (reference, ref_opt, torch.tensor(x))):
            o.zero_grad()
            (m(inp) ** 2).mean().backward()
            o.step()
    for (k, v), (k2, v2) in zip(model.state_dict().items(), reference.state_dict().items(), strict=True):
        assert k == k2
        np.testing.assert_allclose(v.numpy(), v2.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_half_float_and_integer_buffers():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    model.half()
    assert model[0].weight.dtype == np.float16
    assert model[1].num_batches_tracked.dtype == np.int64  # integer buffers untouched, as in PyTorch
    model.float()
    assert model[0].weight.dtype == np.float32


def test_module_to_refuses_integer_dtype_and_cuda_without_gpu():
    with pytest.raises(GlassnetTypeError, match="Module.to: only floating dtypes are accepted, got int64"):
        _model().to(gn.int64)
    if not gn.cuda.is_available():
        with pytest.raises(Exception, match="no CUDA GPU"):
            _model().cuda()
