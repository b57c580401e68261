"""Module mechanics: registration, traversal, state dicts, modes, freezing, errors."""

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        self.head = nn.Linear(4, 2)
        self.scale = nn.Parameter(gn.ones(1))
        self.register_buffer("steps", gn.zeros(1))

    def forward(self, x):
        return self.head(self.encoder(x)) * self.scale


def test_named_parameters_use_pytorch_names():
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["scale", "encoder.0.weight", "encoder.0.bias", "head.weight", "head.bias"]
    assert list(model.state_dict()) == names[:1] + ["steps"] + names[1:]
    assert [n for n, _ in model.named_modules()] == ["", "encoder", "encoder.0", "encoder.1", "head"]


def test_sequential_keys_match_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_linear_layout_and_pytorch_default_init():
    gn.manual_seed(0)
    layer = nn.Linear(400, 300)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    bound = 1 / math.sqrt(400)
    w = layer.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(layer.bias.numpy()).max() <= bound
    x = gn.randn(5, 400)
    np.testing.assert_allclose(layer(x).numpy(), x.numpy() @ w.T + layer.bias.numpy(), rtol=1e-5,
                               atol=1e-6)


def test_wrong_in_features_names_the_layer():
    layer = nn.Linear(3, 4)
    with pytest.raises(gn.ShapeError, match=r"Linear\(3→4\): expected input \(\.\.\., 3\), got \(2, 5\)"):
        layer(gn.ones(2, 5))


def test_load_state_dict_reports_every_problem():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    del state["1.bias"]
    state["extra.weight"] = np.zeros(2)
    state["0.weight"] = np.zeros((5, 3))
    with pytest.raises(gn.GlassnetValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing keys: ['1.bias']" in message
    assert "unexpected keys: ['extra.weight']" in message
    assert "0.weight: checkpoint (5, 3) vs model (4, 3)" in message


def test_load_state_dict_non_strict_returns_keys():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    state = {"0.weight": np.ones((4, 3)), "junk": np.ones(1)}
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias", "1.weight", "1.bias"]
    assert result.unexpected_keys == ["junk"]
    np.testing.assert_array_equal(model[0].weight.numpy(), np.ones((4, 3)))


def test_freeze_unfreeze_and_zero_grad():
    model = TwoLayer()
    model.encoder.freeze()
    assert not any(p.requires_grad for p in model.encoder.parameters())
    assert model.head.weight.requires_grad
    model(gn.randn(2, 3)).sum().backward()
    assert model.encoder[0].weight.grad is None
    assert model.head.weight.grad is not None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.unfreeze()
    assert all(p.requires_grad for p in model.parameters())
    assert model.num_parameters(trainable_only=True) == 1 + 16 + 10


def test_double_float_and_to():
    model = TwoLayer().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(gn.randn(2, 3, dtype=gn.float64)).dtype == np.float64
    model.to(gn.float32)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model.to("cpu") is model


def test_repr_reads_like_pytorch():
    text = repr(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.1)))
    assert text == (
        "Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): ReLU()\n  (2): Dropout(p=0.1)\n)"
    )


def test_summary_of_seed_example_3_4_2():
    """The founding example: 3 inputs → 4 hidden → 2 outputs has 12+4 + 8+2 = 26 parameters."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    summary = model.summary((3,))
    rows = {r.name: r for r in summary.rows}
    assert (rows["0"].weights, rows["0"].biases, rows["0"].params) == (12, 4, 16)
    assert (rows["2"].weights, rows["2"].biases, rows["2"].params) == (8, 2, 10)
    assert rows["2"].output_shape == (None, 2)
    assert summary.total == 26 and summary.trainable == 26
    text = str(summary)
    assert "Total params: 26" in text and "0 (Linear)" in text and "(N, 4)" in text


def test_module_list_and_dict_register_parameters():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])
    heads = nn.ModuleDict({"a": nn.Linear(2, 3)})
    holder = nn.Module()
    holder.layers, holder.heads = layers, heads
    assert [n for n, _ in holder.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "heads.a.weight", "heads.a.bias"]
    assert len(layers) == 2 and "a" in heads and isinstance(heads["a"], nn.Linear)


def test_shared_parameter_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)
    assert len(list(model.parameters())) == 2


def test_forward_hook_and_removal():
    layer = nn.Linear(2, 3)
    seen = []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
    layer(gn.ones(4, 2))
    handle.remove()
    layer(gn.ones(4, 2))
    assert seen == [(4, 3)]


def test_assigning_before_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(gn.GlassnetTypeError, match="super\\(\\).__init__"):
        Broken()


def test_clip_grad_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    grads = [np.array([[3.0, 4.0]]), np.array([12.0])]
    params = [gn.tensor(g * 0, requires_grad=True) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = gn.tensor(g)
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(tparams, grads, strict=True):
        p.grad = torch.tensor(g)
    total = nn.utils.clip_grad_norm_(params, 1.0)
    total_t = torch.nn.utils.clip_grad_norm_(tparams, 1.0)
    assert isinstance(total, gn.Tensor) and total.ndim == 0 and total.dtype == gn.float64
    assert total.item() == pytest.approx(13.0) and total.item() == pytest.approx(float(total_t))
    assert f"{total:.1f}" == "13.0"
    for p, t in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    nn.utils.clip_grad_value_(params, 0.1)
    assert np.abs(params[1].grad.numpy()).max() <= 0.1


def test_replacing_a_layer_keeps_its_place():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model[0] = nn.Linear(3, 4, bias=False)
    model.head = nn.Linear(2, 2)
    model[2] = nn.Linear(4, 5)
    assert [n for n, _ in model.named_children()] == ["0", "1", "2", "head"]
    assert list(model.state_dict()) == ["0.weight", "2.weight", "2.bias", "head.weight", "head.bias"]
    assert model[2].out_features == 5


def test_parameter_containers_wrap_plain_tensors_as_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (gn, torch):
        values = lib.nn.ParameterList([lib.zeros(2), lib.nn.Parameter(lib.ones(1))])
        by_name = lib.nn.ParameterDict({"a": lib.zeros(3)})
        assert [type(p).__name__ for p in values] == ["Parameter", "Parameter"]
        assert all(p.requires_grad for p in values) and type(by_name["a"]).__name__ == "Parameter"
    with pytest.raises(gn.GlassnetTypeError, match="expected a tensor or an nn.Parameter, got str"):
        gn.nn.ParameterList(["w"])
