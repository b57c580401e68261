"""The lazy modules against PyTorch's: placeholders before the first forward, the eager class,
shapes, outputs and gradients after it (float64, to 1e-10), state dicts before and after,
optimizers built before materialization, and d2l-style LeNet / NiN training runs."""

import numpy as np
import pytest
import torch

import glassnet as gn

SPECS = [  # (lazy class, args, kwargs, input shape)
    ("LazyLinear", (3,), {}, (4, 5)),
    ("LazyConv1d", (4, 3), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("LazyConv2d", (6, 3), {"padding": 1, "groups": 2}, (2, 4, 6, 6)),
    ("LazyConv3d", (4, 2), {"bias": False}, (1, 2, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2}, (2, 6, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {"stride": 2}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (6, 3)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (4, 3, 5, 5)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 3, 3, 3)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {"affine": False}, (2, 3, 5, 5)),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 3, 3, 3)),
]
IDS = [spec[0] for spec in SPECS]


def _pair(name, args, kwargs):
    ours = getattr(gn.nn, name)(*args, dtype=gn.float64, **kwargs)
    theirs = getattr(torch.nn, name)(*args, dtype=torch.float64, **kwargs)
    return ours, theirs


def _randn(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _copy_into_ours(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("name,args,kwargs,shape", SPECS, ids=IDS)
def test_before_the_first_forward_it_holds_placeholders_as_pytorch(name, args, kwargs, shape):
    ours, theirs = _pair(name, args, kwargs)
    assert type(ours).__name__ == name
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    state, their_state = ours.state_dict(), theirs.state_dict()
    assert list(state) == list(their_state)
    assert [type(v).__name__ for v in state.values()] == [type(v).__name__ for v in their_state.values()]
    assert [type(p).__name__ for p in ours.parameters()] == [type(p).__name__ for p in theirs.parameters()]
    if "Norm" not in name:  # torch 2.13's norm reprs add a bias= that glassnet's eager norms lack
        assert repr(ours) == repr(theirs)
    placeholder = ours.weight if ours.weight is not None else ours.running_mean
    with pytest.raises(gn.GlassnetValueError, match="uninitialized parameter or buffer"):
        placeholder.shape  # noqa: B018


@pytest.mark.parametrize("name,args,kwargs,shape", SPECS, ids=IDS)
def test_after_the_first_forward_it_is_the_eager_module_with_pytorchs_numbers(name, args, kwargs, shape):
    ours, theirs = _pair(name, args, kwargs)
    dummy = np.ones(shape)
    ours(gn.tensor(dummy)), theirs(torch.tensor(dummy))
    assert type(ours).__name__ == type(theirs).__name__ == name[4:]
    assert isinstance(ours, getattr(gn.nn, name[4:])) and not hasattr(ours, "has_uninitialized_params")
    assert all(type(t) in (gn.nn.Parameter, gn.Tensor) for t in [*ours.parameters(), *ours.buffers()])
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    _copy_into_ours(ours, theirs)
    x = _randn(shape, 1)
    xg, xt = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yg, yt = ours(xg), theirs(xt)
    np.testing.assert_allclose(yg.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    upstream = _randn(tuple(yt.shape), 2)
    yg.backward(gn.tensor(upstream)), yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    their_params = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), their_params[key].grad.numpy(), rtol=1e-10, atol=1e-10)
    for key, value in theirs.state_dict().items():  # running statistics after a training step
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,args,kwargs,shape", SPECS[:7], ids=IDS[:7])
def test_the_first_forward_initializes_as_the_eager_layer(name, args, kwargs, shape):
    ours, _ = _pair(name, args, kwargs)
    ours(gn.ones(*shape, dtype=gn.float64))
    weight = ours.weight.numpy()
    fan_in = weight[0].size if name == "LazyLinear" or "Transpose" not in name else weight.shape[1] * \
        np.prod(weight.shape[2:])
    bound = 1 / np.sqrt(fan_in)
    assert np.abs(weight).max() <= bound and weight.std() > bound / 4
    if ours.bias is not None:
        assert np.abs(ours.bias.numpy()).max() <= bound and np.ptp(ours.bias.numpy()) > 0


def test_norms_materialize_to_ones_zeros_and_fresh_running_stats():
    bn = gn.nn.LazyBatchNorm2d()
    bn.eval()(gn.ones(2, 3, 4, 4))
    assert bn.weight.tolist() == [1, 1, 1] and bn.bias.tolist() == [0, 0, 0]
    assert bn.running_mean.tolist() == [0, 0, 0] and bn.running_var.tolist() == [1, 1, 1]
    assert int(bn.num_batches_tracked.item()) == 0


def test_loading_a_state_dict_materializes_as_pytorch():
    torch.manual_seed(0)
    eager = torch.nn.Conv2d(2, 4, 3, dtype=torch.float64)
    ours, theirs = _pair("LazyConv2d", (4, 3), {})
    result = ours.load_state_dict(eager.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    theirs.load_state_dict(eager.state_dict())
    assert type(ours).__name__ == type(theirs).__name__ == "LazyConv2d"  # the class changes at the forward
    assert not ours.has_uninitialized_params() and not theirs.has_uninitialized_params()
    np.testing.assert_array_equal(ours.weight.numpy(), eager.weight.detach().numpy())
    x = _randn((1, 2, 5, 5), 0)
    expected = eager(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(gn.tensor(x)).numpy(), expected, rtol=1e-12, atol=1e-14)  # outputs near 0
    assert type(ours).__name__ == "Conv2d" and ours.in_channels == 2
    np.testing.assert_array_equal(ours.weight.numpy(), eager.weight.detach().numpy())  # not re-initialized
    bn = gn.nn.LazyBatchNorm1d()
    bn.load_state_dict(torch.nn.BatchNorm1d(5).state_dict())
    assert bn.running_var.shape == (5,) and bn.weight.dtype == np.float32


def test_state_dict_loading_errors_as_pytorch():
    without_bias = {"weight": torch.ones(4, 2, 3, 3)}
    with pytest.raises(RuntimeError, match="Missing key"):
        torch.nn.LazyConv2d(4, 3).load_state_dict(without_bias)
    with pytest.raises(gn.GlassnetValueError, match=r"missing keys: \['bias'\]"):
        gn.nn.LazyConv2d(4, 3).load_state_dict(without_bias)
    # an uninitialized state dict loads into a lazy module (both stay lazy) but not into an eager one
    lazy = gn.nn.LazyConv2d(4, 3)
    lazy.load_state_dict(gn.nn.LazyConv2d(4, 3).state_dict())
    assert lazy.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="uninitialized"):
        torch.nn.Conv2d(2, 4, 3).load_state_dict(torch.nn.LazyConv2d(4, 3).state_dict())
    with pytest.raises(gn.GlassnetValueError, match="wrong shapes"):
        gn.nn.Conv2d(2, 4, 3).load_state_dict(gn.nn.LazyConv2d(4, 3).state_dict())


def test_a_groups_mismatch_in_the_first_input_is_an_error():
    with pytest.raises(gn.GlassnetValueError, match="5 channels, which groups=2"):
        gn.nn.LazyConv2d(4, 3, groups=2)(gn.ones(1, 5, 6, 6))


def _lenet(nn):
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(84), nn.Sigmoid(), nn.LazyLinear(10))


def _nin(nn):
    def block(out_channels, kernel_size, stride, padding):
        return nn.Sequential(nn.LazyConv2d(out_channels, kernel_size, stride, padding), nn.ReLU(),
                             nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
                             nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())
    return nn.Sequential(block(8, 3, 1, 1), nn.MaxPool2d(2), nn.LazyBatchNorm2d(), block(10, 3, 1, 1),
                         nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())


def _train(lib, model, optimizer, x, y, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("builder,shape,make_opt,opt_first", [
    (_lenet, (8, 1, 28, 28), lambda lib, p: lib.optim.SGD(p, lr=0.9, momentum=0.9), True),
    (_nin, (6, 3, 12, 12), lambda lib, p: lib.optim.Adam(p, lr=0.01), False),
], ids=["lenet-sgd-optimizer-before-materialization", "nin-adam"])
def test_d2l_lazy_networks_train_with_pytorchs_losses(builder, shape, make_opt, opt_first):
    torch.manual_seed(0)  # the weights are torch's (copied into ours): the same start in any test order
    gn.manual_seed(0)
    ours, theirs = builder(gn.nn).double(), builder(torch.nn).double()
    if opt_first:  # PyTorch allows it: materialization keeps each Parameter object
        opt_ours, opt_theirs = make_opt(gn, ours.parameters()), make_opt(torch, theirs.parameters())
    dummy = np.zeros(shape)
    ours(gn.tensor(dummy)), theirs(torch.tensor(dummy))
    if not opt_first:
        opt_ours, opt_theirs = make_opt(gn, ours.parameters()), make_opt(torch, theirs.parameters())
    _copy_into_ours(ours, theirs)
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    x, y = _randn(shape, 3), np.random.default_rng(4).integers(0, 10, shape[0])
    ours_losses = _train(gn, ours, opt_ours, x, y, 4)
    their_losses = _train(torch, theirs, opt_theirs, x, y, 4)
    np.testing.assert_allclose(ours_losses, their_losses, rtol=1e-10, atol=1e-12)
    assert ours_losses[-1] < ours_losses[0]


def test_computing_with_a_placeholder_is_an_error_as_in_pytorch():
    with pytest.raises(ValueError, match="uninitialized parameter"):
        torch.nn.LazyLinear(3).weight + 1
    weight = gn.nn.LazyLinear(3).double().weight
    assert weight.dtype == np.float64  # .double() converts the placeholder's dtype
    for compute in (lambda: weight + 1, lambda: weight.sum(), lambda: gn.cat([weight, weight])):
        with pytest.raises(gn.GlassnetValueError, match="uninitialized parameter or buffer"):
            compute()
