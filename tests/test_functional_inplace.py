"""``F.relu(x, inplace=True)`` and the other functional activations' ``inplace=`` (and
``F.relu_``, ``F.elu_``, ``F.leaky_relu_``, ``F.hardtanh_``, ``F.dropout(…, inplace=True)``)
as PyTorch: the result is written into the input, which is returned; values and
gradients equal torch's (float64, 1e-12); the errors come where torch raises — a leaf
that requires grad, or a tensor an earlier op saved for its backward."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd._inplace import version_of

torch = pytest.importorskip("torch")

X = np.linspace(-2.5, 2.5, 12).reshape(3, 4)
W = np.arange(1.0, 13.0).reshape(3, 4)
CALLS = {  # name → call(F, h) writing into h
    "relu": lambda F, h: F.relu(h, inplace=True),
    "relu_": lambda F, h: F.relu_(h),
    "leaky_relu": lambda F, h: F.leaky_relu(h, 0.2, inplace=True),
    "leaky_relu_": lambda F, h: F.leaky_relu_(h, 0.2),
    "elu": lambda F, h: F.elu(h, alpha=0.5, inplace=True),
    "elu_": lambda F, h: F.elu_(h),
    "hardtanh": lambda F, h: F.hardtanh(h, -0.5, 1.5, inplace=True),
    "hardtanh_": lambda F, h: F.hardtanh_(h, -1.0, 0.5),
    "silu": lambda F, h: F.silu(h, inplace=True),
    "mish": lambda F, h: F.mish(h, inplace=True),
    "dropout_eval": lambda F, h: F.dropout(h, 0.3, training=False, inplace=True),
}


def _run(lib, call):
    """x (leaf) → h = 3x − 1 (not saved by anyone) → call writes into h → Σ w·h."""
    x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
    h = x * 3 - 1
    out = call(lib.nn.functional, h)
    assert out is h
    (out * lib.tensor(W, dtype=lib.float64)).sum().backward()
    version = h._version if lib is torch else version_of(h)
    return out.detach().numpy().copy(), x.grad.numpy().copy(), version


@pytest.mark.parametrize("name", sorted(CALLS))
def test_written_into_the_input_with_torchs_values_and_gradients(name):
    ours, theirs = _run(gn, CALLS[name]), _run(torch, CALLS[name])
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12)
    assert (ours[2] > 0) == (theirs[2] > 0)  # the version moved exactly when torch's did


@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_of_place_by_default_leaves_the_input(name):
    call = CALLS[name]
    h = gn.tensor(X)
    y = {"relu": gn.nn.functional.relu, "silu": gn.nn.functional.silu}.get(name, lambda t: t * 1)(h)
    np.testing.assert_array_equal(h.numpy(), X)
    assert y is not h
    if not name.endswith("_") and name != "dropout_eval":
        np.testing.assert_allclose(call(gn.nn.functional, gn.tensor(X)).numpy(),
                                   call(torch.nn.functional, torch.tensor(X)).numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["relu", "elu", "silu", "hardtanh_"])
def test_a_leaf_that_requires_grad_is_refused_where_torch_refuses(name):
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        CALLS[name](torch.nn.functional, torch.tensor(X, requires_grad=True))
    with pytest.raises(ValueError, match="leaf tensor that requires grad cannot be changed in place"):
        CALLS[name](gn.nn.functional, gn.tensor(X, requires_grad=True))


@pytest.mark.parametrize("name", ["relu", "leaky_relu_", "mish"])
def test_modifying_a_tensor_saved_for_backward_raises_at_backward(name):
    """sigmoid keeps its output for its backward: changing it in place makes backward raise,
    in torch and in glassnet alike."""
    for lib, error, message in ((torch, RuntimeError, "modified by an inplace operation"),
                                (gn, gn.GlassnetError, "sigmoid needs its output .* in place since")):
        x = lib.tensor(X, requires_grad=True)
        s = x.sigmoid()
        CALLS[name](lib.nn.functional, s)
        with pytest.raises(error, match=message):
            s.sum().backward()


def test_under_no_grad_a_leaf_changes_without_a_graph():
    x = gn.tensor(X, requires_grad=True)
    with gn.no_grad():
        gn.nn.functional.relu_(x)
    np.testing.assert_array_equal(x.numpy(), np.maximum(X, 0))
    assert x.grad_fn is None and x.requires_grad


def test_dropout_in_place_zeroes_and_scales_the_input_and_its_gradient():
    gn.manual_seed(0)
    x = gn.tensor(np.full((50, 40), 2.0), dtype=gn.float64, requires_grad=True)
    h = x * 1
    out = gn.nn.functional.dropout(h, 0.25, training=True, inplace=True)
    assert out is h
    values = h.detach().numpy()
    kept = values != 0
    np.testing.assert_allclose(values[kept], 2.0 / 0.75, rtol=1e-15)
    assert 0.2 < 1 - kept.mean() < 0.3
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75, rtol=1e-15)


def test_dropout_module_in_place():
    gn.manual_seed(1)
    layer = gn.nn.Dropout(0.5, inplace=True)
    h = gn.ones(8, 8) * 1
    assert layer(h) is h and set(np.unique(h.numpy())) <= {0.0, 2.0}
    assert repr(layer) == "Dropout(p=0.5, inplace=True)"
    layer.eval()
    h = gn.ones(3)
    assert layer(h) is h and version_of(h) == 0
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\], got 1.5"):
        gn.nn.Dropout(1.5)
