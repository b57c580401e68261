"""Module and testing surface that real PyTorch programs call (issue 16), against PyTorch:
state_dict(prefix=, keep_vars=, destination=), get_submodule / get_parameter / get_buffer,
register_module, Module.type, forward pre-hooks, ParameterDict's key order, Sequential
slices, torch.testing.assert_close, cuda.is_bf16_supported, distributed.is_available,
formatting a 0-d tensor, dataset + dataset."""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


def _net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))


def test_state_dict_prefix_keep_vars_and_destination_as_pytorch():
    ours, theirs = _net(gn), _net(torch)
    assert list(ours.state_dict(prefix="model.")) == list(theirs.state_dict(prefix="model."))
    kept = ours.state_dict(keep_vars=True)
    assert kept["0.weight"] is ours[0].weight and kept["0.weight"].requires_grad
    assert not ours.state_dict()["0.weight"].requires_grad
    into = {"other": 1}
    assert ours.state_dict(destination=into) is into and "2.1.bias" in into and into["other"] == 1


def test_get_submodule_parameter_buffer_and_their_errors():
    ours = _net(gn)
    assert ours.get_submodule("2.1") is ours[2][1] and ours.get_submodule("") is ours
    assert ours.get_parameter("2.1.weight") is ours[2][1].weight
    assert ours.get_buffer("1.running_var") is ours[1].running_var
    with pytest.raises(AttributeError, match="no submodule '5'"):
        ours.get_submodule("2.5")
    with pytest.raises(AttributeError, match="no parameter 'running_mean'"):
        ours.get_parameter("1.running_mean")
    holder = gn.nn.Module()
    holder.register_module("head", gn.nn.Linear(2, 2))
    assert [name for name, _ in holder.named_children()] == ["head"]
    assert ours.type(gn.float64) is ours and ours[0].weight.dtype == gn.float64


@pytest.mark.parametrize("result", ["tuple", "single", "none"])
def test_forward_pre_hook_replaces_the_inputs_as_pytorch(result):
    def hook(lib):
        return {"tuple": lambda m, args: (args[0] * 2,), "single": lambda m, args: args[0] + 1,
                "none": lambda m, args: None}[result]

    outs = []
    for lib in (gn, torch):
        layer = lib.nn.Linear(2, 1)
        layer.load_state_dict({"weight": lib.tensor([[1.0, -2.0]]), "bias": lib.tensor([0.5])})
        handle = layer.register_forward_pre_hook(hook(lib))
        x = lib.tensor([[1.0, 3.0]])
        outs.append([layer(x).tolist()])
        handle.remove()
        outs[-1].append(layer(x).tolist())
    assert outs[0] == outs[1]


def test_parameter_dict_orders_a_plain_dict_by_key_and_keeps_other_orders():
    from collections import OrderedDict

    for given in ({"b": 1, "a": 2, "c": 3}, OrderedDict([("b", 1), ("a", 2)]), [("z", 1), ("y", 2)]):
        keys = []
        for lib in (gn, torch):
            made = [(k, lib.nn.Parameter(lib.ones(v))) for k, v in
                    (given.items() if isinstance(given, dict) else given)]
            arg = type(given)(made) if isinstance(given, dict) else made
            keys.append(list(lib.nn.ParameterDict(arg).keys()))
        assert keys[0] == keys[1], given


def test_sequential_slices_keep_the_layer_names():
    names = []
    for lib in (gn, torch):
        model = lib.nn.Sequential()
        model.add_module("conv_1", lib.nn.Linear(2, 2))
        model.add_module("relu_1", lib.nn.ReLU())
        model.add_module("loss_1", lib.nn.Identity())
        names.append([name for name, _ in model[1:].named_children()])
    assert names[0] == names[1] == ["relu_1", "loss_1"]


@pytest.mark.parametrize("actual, expected, kwargs", [
    ([1.0, 2.0], [1.0, 2.0 + 1e-6], {}),
    ([1.0, 2.0], [1.0, 2.0 + 1e-3], {}),
    ([1.0, 2.0], [1.0, 2.0 + 1e-3], {"rtol": 1e-2, "atol": 0.0}),
    ([1, 2], [1, 3], {}),
    ([float("nan")], [float("nan")], {}),
    ([float("nan")], [float("nan")], {"equal_nan": True}),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_assert_close_passes_and_fails_where_pytorchs_does(actual, expected, kwargs, dtype):
    def outcome(lib):
        kind = lib.int64 if isinstance(actual[0], int) else getattr(lib, dtype)
        try:
            lib.testing.assert_close(lib.tensor(actual, dtype=kind), lib.tensor(expected, dtype=kind),
                                     **kwargs)
        except AssertionError as err:
            return str(err).splitlines()[:3]
        return None

    assert outcome(gn) == outcome(torch)


def test_assert_close_checks_shape_dtype_and_containers():
    with pytest.raises(AssertionError, match="'dtype' do not match"):
        gn.testing.assert_close(gn.ones(2), gn.ones(2, dtype=gn.float64))
    gn.testing.assert_close(gn.ones(2), gn.ones(2, dtype=gn.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="'shape' do not match"):
        gn.testing.assert_close(gn.ones(2), gn.ones(3))
    gn.testing.assert_close({"a": [gn.ones(2), 3]}, {"a": [gn.ones(2), 3]})
    with pytest.raises(AssertionError, match=r"item \['a'\]\[1\]"):
        gn.testing.assert_close({"a": [gn.ones(2), 3]}, {"a": [gn.ones(2), 4]})
    with pytest.raises(TypeError, match="both tensors"):
        gn.testing.assert_close(gn.ones(1), 1.0)
    with pytest.raises(ValueError, match="both rtol and atol"):
        gn.testing.assert_close(gn.ones(1), gn.ones(1), rtol=1e-3)


def test_questions_about_the_machine_answer_as_pytorch_on_a_cpu():
    if not gn.cuda.is_available():
        assert gn.cuda.is_bf16_supported() is torch.cuda.is_bf16_supported() is False
    assert gn.distributed.is_available() is torch.distributed.is_available() is True
    np.testing.assert_array_equal(gn.ones(1).numpy(), [1.0])


@pytest.mark.parametrize("spec", ["", ".4f", "+.2f", "e", ">10.3f"])
def test_format_of_a_0d_tensor_is_its_numbers_as_pytorch(spec):
    for value in (1.5, -0.125):
        assert format(gn.tensor(value), spec) == format(torch.tensor(value), spec)
    assert format(gn.tensor([1.5, 2.0]), "") == repr(gn.tensor([1.5, 2.0]))
    with pytest.raises(TypeError, match="unsupported format string"):
        format(gn.tensor([1.5, 2.0]), spec or ".2f")


def test_adding_datasets_concatenates_them_as_pytorch():
    sizes = []
    for lib in (gn, torch):
        data = lib.utils.data
        joined = data.TensorDataset(lib.arange(3)) + data.TensorDataset(lib.arange(10, 12))
        sizes.append([type(joined).__name__, len(joined), int(joined[4][0])])
    assert sizes[0] == sizes[1] == ["ConcatDataset", 5, 11]


def _gradcam(lib):
    """Grad-CAM's recipe: a forward hook keeps the activations, a full backward hook the
    gradients of the last convolution; the map is relu(Σ_c mean(grad_c)·act_c)."""
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)).double()
    rng = np.random.default_rng(3)
    model.load_state_dict({k: lib.tensor(rng.uniform(-0.5, 0.5, tuple(v.shape)))
                           for k, v in model.state_dict().items()})
    store, calls = {}, []
    target = model[2]
    target.register_forward_hook(lambda m, inputs, output: store.__setitem__("act", output.detach()))

    def keep(m, grad_input, grad_output):
        calls.append([None if g is None else tuple(g.shape) for g in grad_input])
        store["grad"] = grad_output[0].detach()

    target.register_full_backward_hook(keep)
    image = lib.tensor(rng.standard_normal((1, 1, 6, 6)), requires_grad=True)
    model(image)[0, 1].backward()
    weights = store["grad"].mean(dim=(2, 3), keepdim=True)
    cam = lib.relu((weights * store["act"]).sum(dim=1))
    return cam.numpy(), calls, image.grad.numpy()


def test_full_backward_hook_gives_grad_cam_as_pytorch():
    ours, theirs = _gradcam(gn), _gradcam(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    assert ours[1] == theirs[1] == [[(1, 3, 6, 6)]]
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_backward_hooks_see_and_replace_gradients_as_pytorch(input_requires_grad):
    results = []
    for lib in (gn, torch):
        layer = lib.nn.Linear(3, 2).double()
        layer.load_state_dict({"weight": lib.tensor([[1.0, 2.0, -1.0], [0.5, 0.0, 1.0]], dtype=lib.float64),
                               "bias": lib.tensor([0.1, -0.2], dtype=lib.float64)})
        seen = []
        layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
        layer.register_full_backward_hook(
            lambda m, gi, go, seen=seen: seen.append([None if g is None else g.tolist() for g in (*gi, *go)]))
        if input_requires_grad:
            layer.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
        x = lib.tensor([[1.0, 2.0, 3.0]], dtype=lib.float64, requires_grad=input_requires_grad)
        loss = (layer(x) * lib.tensor([[2.0, 3.0]], dtype=lib.float64)).sum()
        if input_requires_grad:
            loss.backward()
        else:
            with pytest.warns(UserWarning, match="no input"):
                loss.backward()
        results.append([seen, None if x.grad is None else x.grad.tolist(), layer.weight.grad.tolist()])
    assert results[0] == results[1]


def test_the_deprecated_backward_hook_is_refused_with_the_replacement():
    with pytest.raises(ValueError, match="register_full_backward_hook"):
        gn.nn.Linear(2, 2).register_backward_hook(lambda m, gi, go: None)


def test_replacing_grad_input_of_a_two_input_module_is_refused_by_name():
    layer = gn.nn.Bilinear(2, 2, 1)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2, gi[1]))
    a, b = gn.ones(1, 2, requires_grad=True), gn.ones(1, 2, requires_grad=True)
    with pytest.raises(ValueError, match="Bilinear: a full backward hook returned a new grad_input"):
        layer(a, b).sum().backward()


def test_iterating_a_tensor_gives_its_rows_and_a_0d_tensor_refuses_as_pytorch():
    rows = [row.tolist() for row in gn.arange(6.0).view(3, 2)]
    assert rows == [row.tolist() for row in torch.arange(6.0).view(3, 2)]
    first, second = gn.tensor([[1, 2], [3, 4]])
    assert (first.tolist(), second.tolist()) == ([1, 2], [3, 4])
    for lib in (gn, torch):
        with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
            list(lib.tensor(3.0))


def test_alpha_dropout_gives_pytorchs_two_values_and_keeps_the_moments():
    x = np.ones(4000)
    ours = gn.nn.functional.alpha_dropout(gn.tensor(x), 0.3, training=True).numpy()
    theirs = torch.nn.functional.alpha_dropout(torch.tensor(x), 0.3, training=True).numpy()
    np.testing.assert_allclose(np.unique(ours), np.unique(theirs), rtol=1e-12)
    assert 0.65 < (ours == ours.max()).mean() < 0.75  # kept with probability 0.7
    z = gn.tensor(np.random.default_rng(4).standard_normal(20000))
    y = gn.nn.AlphaDropout(0.2)(z).numpy()  # a standard normal input keeps mean 0 and variance 1
    assert abs(y.mean()) < 0.05 and abs(y.var() - 1) < 0.05
    layer = gn.nn.AlphaDropout(0.5).eval()
    assert layer(z) is z


def test_feature_alpha_dropout_drops_whole_channels_with_pytorchs_values():
    x = np.ones((60, 50, 4))
    ours = gn.nn.functional.feature_alpha_dropout(gn.tensor(x), 0.3, training=True).numpy()
    theirs = torch.nn.functional.feature_alpha_dropout(torch.tensor(x), 0.3, training=True).numpy()
    np.testing.assert_allclose(np.unique(ours), np.unique(theirs), rtol=1e-12)
    assert (ours == ours[:, :, :1]).all()  # one draw per (sample, channel)
    assert 0.65 < (ours == ours.max()).mean() < 0.75
    layer = gn.nn.FeatureAlphaDropout(0.2)
    assert repr(layer) == repr(torch.nn.FeatureAlphaDropout(0.2))
    z = gn.ones(2, 3, 4)
    assert layer.eval()(z) is z
    with pytest.raises(gn.GlassnetValueError, match=r"\(N, C, …\) input, got shape \(5,\)"):
        gn.nn.functional.feature_alpha_dropout(gn.ones(5), 0.5, training=True)


def test_alpha_dropout_in_place_writes_the_input_and_differentiates():
    t = gn.tensor(np.random.default_rng(5).standard_normal((40, 5)), requires_grad=True)
    y = t * 1
    out = gn.nn.functional.alpha_dropout(y, 0.4, training=True, inplace=True)
    assert out is y
    out.sum().backward()
    a = ((1.7580993408473766 ** 2 * 0.4 + 1) * 0.6) ** -0.5  # kept elements scale by a, dropped by 0
    np.testing.assert_allclose(np.unique(t.grad.numpy()), [0.0, a], rtol=1e-12)
    z = gn.ones(100)
    assert gn.nn.AlphaDropout(0.5, inplace=True)(z) is z and len(np.unique(z.numpy())) == 2
