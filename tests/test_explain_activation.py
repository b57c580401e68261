"""One source of formulas: an activation defined once, as one ``Activation`` primitive,
is known to ``gn.explain.layer``, ``gn.explain.backprop``, worksheets and traces — its
formula, its derivative in words and in numbers — with nothing added to explain."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.explain as ex
from glassnet import nn
from glassnet.explain._activation import activation_of
from glassnet.ops._activation import ACTIVATIONS, Activation


@pytest.fixture
def softsign():
    """Softsign, defined in this one place: formula, derivative, forward and backward."""

    class Softsign(Activation):
        formula = "y = x / (1 + |x|)"
        derivative_formula = "1 / (1 + |x|)²"

        @staticmethod
        def f(x):
            return x / (1 + abs(x))

        @staticmethod
        def derivative(x, y):
            return 1 / (1 + abs(x)) ** 2

    yield Softsign
    del ACTIVATIONS["softsign"]


def _module(primitive):
    class Applies(nn.Module):  # what a user writes: a module that calls the primitive
        def forward(self, x):
            return primitive.apply(x)

    return Applies()


def _softsign(z):
    return z / (1 + np.abs(z))


def _dsoftsign(z):
    return 1 / (1 + np.abs(z)) ** 2


def _linear(W, b):
    lin = nn.Linear(len(W[0]), len(W), dtype=gn.float64)
    lin.weight.data[...] = W
    lin.bias.data[...] = b
    return lin


def test_a_new_activation_is_explained_in_a_layer(softsign):
    lin = _linear([[1, -1, 2], [0.5, 0, -1]], [0.25, -0.5])
    X = np.array([[2.0, 1, 3], [0, 3, 1]])
    Z = X @ lin.weight.numpy().T + lin.bias.numpy()
    for act in ("softsign", softsign, _module(softsign)):
        e = ex.layer(lin, X, activation=act)
        np.testing.assert_allclose(e.A, _softsign(Z), rtol=0, atol=1e-15)
        text = e.to_text()
        assert "Linear(3→2) + Softsign" in text and "a = z / (1 + |z|)" in text
        assert f"Softsign({Z[0, 0]:g}) = {_softsign(Z[0, 0]):.4g}" in text and e.mask is None


def test_a_new_activation_is_explained_in_backprop(softsign):
    gn.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), _module(softsign), nn.Linear(4, 2)).double()
    X, Y = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    W1, b1, W2, b2 = (p.numpy().copy() for p in model.parameters())
    e = ex.backprop(model, X, Y, loss="sse", lr=0.1)
    for step in e.steps:  # by hand = autograd, every number
        for name, (by_hand, auto) in step.values.items():
            np.testing.assert_allclose(by_hand, auto, rtol=0, atol=1e-12, err_msg=name)
    Z1 = X @ W1.T + b1  # and both = this independent NumPy computation (L = ½·Σ(ŷ − y)²)
    dZ1 = ((_softsign(Z1) @ W2.T + b2 - Y) @ W2) * _dsoftsign(Z1)
    np.testing.assert_allclose(e.layers[0]["dZ_auto"], dZ1, rtol=0, atol=1e-12)
    mask_step = next(s for s in e.steps if s.title == "Layer 1: Softsign")
    np.testing.assert_allclose(mask_step.shown[1][1].T, _dsoftsign(Z1), rtol=0, atol=1e-15)
    text = e.to_text()
    assert "∂L/∂z1 = ∂L/∂a1 ⊙ 1 / (1 + |z1|)²" in text and "a1 = Softsign(z1)" in text


def test_a_new_activation_on_a_worksheet(softsign):
    sheet = ex.worksheet("backprop", seed=6, activation="softsign")
    g, ans = sheet.givens, sheet.answers
    z1 = g["W1"] @ g["x"] + g["b1"]
    z2 = g["W2"] @ _softsign(z1) + g["b2"]
    dz1 = (g["W2"].T @ (z2 - g["y"])) * _dsoftsign(z1)
    np.testing.assert_allclose(ans["dZ2"], z2 - g["y"], atol=1e-12)
    np.testing.assert_allclose(ans["dZ1"], dz1, atol=1e-12)
    np.testing.assert_allclose(ans["dW1"], dz1 @ g["x"].T, atol=1e-12)
    assert np.all(ans["dW1"] != 0)
    assert "Softsign hidden layers: a = z / (1 + |z|)" in sheet.to_text()
    assert "dz = da ⊙ 1 / (1 + |z|)²" in sheet.to_text() and "Softsign′(z1)" in sheet.answer_key.to_text()
    layer = ex.worksheet("layer", seed=2, activation=softsign)
    np.testing.assert_allclose(layer.answers["a"], _softsign(layer.answers["z"]), atol=1e-15)
    assert "where a = z / (1 + |z|)" in layer.to_text()


def test_a_new_activation_in_a_trace(softsign):
    x = gn.tensor([[-3.0, 1.0]], dtype=gn.float64, requires_grad=True)
    with ex.trace() as t:
        softsign.apply(x).sum().backward()
    steps = {(s.phase, s.op): s for s in t.steps}
    assert steps["forward", "softsign"].formula == "y = x / (1 + |x|)"
    assert steps["backward", "softsign"].formula == ["dx = dy · 1 / (1 + |x|)²"]
    np.testing.assert_allclose(x.grad.numpy(), _dsoftsign(np.array([[-3.0, 1.0]])), rtol=0, atol=1e-15)


MODULES = [nn.ReLU(), nn.LeakyReLU(0.1), nn.Sigmoid(), nn.Tanh(), nn.GELU(), nn.GELU("tanh")]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: repr(m))
def test_each_activation_module_is_read_from_its_primitive(module):
    rule = activation_of(module, width=3)
    assert rule.primitive is ACTIVATIONS[type(module).__name__.lower()]
    z = np.linspace(-2.3, 1.9, 9)
    a = rule.apply(z)
    with gn.no_grad():
        np.testing.assert_array_equal(a, module(gn.tensor(z, dtype=gn.float64)).numpy())
    h = 1e-6  # f′ by the primitive's own derivative = central differences of its forward
    numeric = (rule.apply(z + h) - rule.apply(z - h)) / (2 * h)
    np.testing.assert_allclose(rule.derivative(z, a), numeric, rtol=1e-7, atol=1e-8)
    assert rule.primitive.grad_formulas == (f"dx = dy · {rule.primitive.derivative_formula}",)


@pytest.mark.parametrize("module", MODULES[1:], ids=lambda m: repr(m))
def test_backprop_through_each_activation_equals_autograd(module):
    gn.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), module, nn.Linear(4, 2)).double()
    e = ex.backprop(model, [[0.5, -1.0, 2.0], [1.0, 0.2, -1.0]], [0, 1], loss="cross_entropy", step=False)
    for step in e.steps:
        for name, (by_hand, auto) in step.values.items():
            assert auto is not None or name.endswith("new"), name
            if auto is not None:
                np.testing.assert_allclose(by_hand, auto, rtol=0, atol=1e-12, err_msg=name)


def test_numeric_parameters_are_written_into_the_formulas():
    rule = activation_of(nn.LeakyReLU(0.1), width=2)
    assert rule.formula("z2", "a2") == "a2 = z2 if z2 > 0 else 0.1·z2"
    assert rule.derivative_formula() == "(1 if z > 0 else 0.1)"
    assert activation_of("leaky_relu").formula() == "a = z if z > 0 else negative_slope·z"


def test_what_is_not_an_activation_is_refused_by_name():
    with pytest.raises(gn.GlassnetTypeError, match="unknown activation 'swish'"):
        activation_of("swish")
    with pytest.raises(gn.GlassnetTypeError, match="Softmax applies"):
        activation_of(nn.Softmax(dim=-1), width=3)
    with pytest.raises(gn.GlassnetTypeError, match="BatchNorm1d is not an activation"):
        activation_of(nn.BatchNorm1d(3), width=3)
    assert activation_of(nn.Identity(), width=3).name == "Identity"


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu"])
def test_what_an_activation_keeps_follows_pytorch(name):
    """``keeps``: an input or output changed in place before backward is refused exactly
    where PyTorch refuses it (PyTorch keeps relu/sigmoid/tanh's output, leaky_relu/gelu's input)."""
    torch = pytest.importorskip("torch")

    def refused(lib, fn, change):
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        x = w * 2
        y = fn(x)
        (x if change == "input" else y).add_(1)
        try:
            y.sum().backward()
        except (RuntimeError, gn.GlassnetError):
            return True
        return False

    for change in ("input", "output"):
        ours = refused(gn, getattr(gn, name), change)
        assert ours == refused(torch, getattr(torch.nn.functional, name), change), change
