"""relu6, hardsigmoid, hardswish, selu, celu, threshold, prelu, glu, softmin, hardshrink,
softshrink — functional and modules — against torch in float64 (1e-12): values and
gradients on a grid that holds every kink (−3, 0, 3, 6, ±λ), ``inplace=True`` writing into
the input; channel dropout for 1-D and 3-D maps."""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")
X = np.linspace(-7.0, 7.0, 57).reshape(3, 19)  # steps of 0.25: hits −3, −0.5, 0, 0.5, 3, 6

CALLS = {
    "relu6": lambda F, x: F.relu6(x), "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x), "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, 0.5), "threshold": lambda F, x: F.threshold(x, 0.5, -2.0),
    "glu": lambda F, x: F.glu(x[:, :18], dim=1), "softmin": lambda F, x: F.softmin(x, dim=1),
    "hardshrink": lambda F, x: F.hardshrink(x), "softshrink": lambda F, x: F.softshrink(x, 1.0),
}
INPLACE = {
    "relu6": lambda F, h: F.relu6(h, inplace=True), "hardsigmoid": lambda F, h: F.hardsigmoid(h, True),
    "hardswish": lambda F, h: F.hardswish(h, inplace=True), "selu": lambda F, h: F.selu_(h),
    "celu": lambda F, h: F.celu_(h, 2.0), "threshold": lambda F, h: F.threshold_(h, 1.0, 0.0),
    "threshold_kw": lambda F, h: F.threshold(h, -1.0, 5.0, inplace=True),
}
W = np.arange(1.0, 58.0).reshape(3, 19) / 10


def _grad_and_value(lib, call):
    x = lib.tensor(X, requires_grad=True)
    y = call(lib.nn.functional, x)
    (y * lib.tensor(W[:, :y.shape[1]])).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def _tolerance(name):
    """PyTorch's CPU hardsigmoid/hardswish multiply by 1/6 rounded to float32, even in float64."""
    return {"rtol": 5e-8, "atol": 1e-12} if name.startswith("hards") else {"rtol": 1e-12, "atol": 1e-12}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_values_and_gradients_are_torchs(name):
    for a, b in zip(_grad_and_value(gn, CALLS[name]), _grad_and_value(torch, CALLS[name]), strict=True):
        np.testing.assert_allclose(a, b, **_tolerance(name))


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_writes_into_the_input_as_torch(name):
    def run(lib):
        x = lib.tensor(X, requires_grad=True)
        h = x * 1
        assert INPLACE[name](lib.nn.functional, h) is h
        (h * lib.tensor(W)).sum().backward()
        return h.detach().numpy(), x.grad.numpy()
    for a, b in zip(run(gn), run(torch), strict=True):
        np.testing.assert_allclose(a, b, **_tolerance(name))


@pytest.mark.parametrize("channels", [1, 3])
def test_prelu_module_learns_the_slopes_torch_learns(channels):
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    results = []
    for lib in (gn, torch):
        layer = lib.nn.PReLU(channels, init=0.2).double()
        inputs = lib.tensor(x, requires_grad=True)
        y = layer(inputs)
        (y * y).sum().backward()
        results.append([y.detach().numpy(), inputs.grad.numpy(), layer.weight.grad.numpy()])
        assert repr(layer) == f"PReLU(num_parameters={channels})"
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, args", [("ReLU6", ()), ("Hardsigmoid", ()), ("Hardswish", ()), ("SELU", ()),
                                        ("CELU", (0.7,)), ("Threshold", (0.1, 20.0)), ("GLU", (1,)),
                                        ("Softmin", (1,)), ("Hardshrink", (0.3,)), ("Softshrink", (0.3,))])
def test_modules_match_torch_values_and_reprs(name, args):
    x = X[:, :18]
    ours = getattr(gn.nn, name)(*args)(gn.tensor(x))
    theirs = getattr(torch.nn, name)(*args)(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **_tolerance(name.lower()))
    assert repr(getattr(gn.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_refusals_name_the_problem():
    with pytest.raises(ValueError, match="glu: halving dimension must be even, but dimension 1 is size 19"):
        gn.nn.functional.glu(gn.tensor(X), 1)
    with pytest.raises(ValueError, match="prelu: weight has 2 values but the input .* has 3 channels"):
        gn.nn.functional.prelu(gn.zeros(2, 3), gn.ones(2))
    with pytest.raises(ValueError, match="leaf tensor that requires grad"):
        gn.nn.functional.relu6(gn.tensor(X, requires_grad=True), inplace=True)


@pytest.mark.parametrize("name, shape", [("dropout1d", (4, 30, 5)), ("dropout3d", (4, 30, 2, 2, 3)),
                                         ("dropout2d", (4, 30, 2, 3)), ("dropout1d", (30, 5))])
def test_channel_dropout_zeroes_whole_channels(name, shape):
    gn.manual_seed(0)
    x = gn.ones(*shape, dtype=gn.float64)
    h = x * 1
    out = getattr(gn.nn.functional, name)(h, 0.4, True, inplace=True)
    assert out is h
    lead = len(shape) - (1 if name == "dropout1d" else 3 if name == "dropout3d" else 2)
    per_channel = h.numpy().reshape(*shape[:lead], -1)
    assert set(np.unique(per_channel)) <= {0.0, 1 / 0.6}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # a channel is dropped or kept whole
    assert getattr(gn.nn.functional, name)(x, 0.4, False) is x
    module = {"dropout1d": gn.nn.Dropout1d, "dropout3d": gn.nn.Dropout3d}.get(name)
    if module is not None:
        assert repr(module(0.4)) == repr(getattr(torch.nn, module.__name__)(0.4))
