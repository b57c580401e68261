"""torch.nn.utils.prune against PyTorch: each method's masks and the pruned modules' outputs
for the same weights (exact masks where PyTorch's choice is deterministic: weights drawn
without ties; for the random methods the counts and the structure), iterative pruning (the
tutorial's sequence on a LeNet), gradients into ``weight_orig``, ``remove``, the state-dict
keys, a gn.save / gn.load round trip, and the errors."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn.utils import prune

torch = pytest.importorskip("torch")
tprune = pytest.importorskip("torch.nn.utils.prune")
RNG = np.random.default_rng(0)


def _lenet(lib):
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, 3)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, int(x.nelement() / x.shape[0]))
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    return LeNet()


def _pair(build, dtype="float64"):
    """A glassnet module and the PyTorch one with the same state (tie-free random values)."""
    ours = build(gn)
    ours = ours.double() if dtype == "float64" else ours
    for p in ours.parameters():  # scaled as PyTorch's default initialisation, so activations stay O(1)
        scale = 1 / np.sqrt(np.prod(p.shape[1:])) if p.ndim > 1 else 0.1
        p.data = gn.tensor((scale * RNG.standard_normal(p.shape)).astype(dtype))
    theirs = build(torch)
    theirs = theirs.double() if dtype == "float64" else theirs
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def _linear(lib):
    return lib.nn.Linear(5, 4)


def _conv(lib):
    return lib.nn.Conv2d(3, 6, 3)


def _same_masks(ours, theirs):
    ours_b, theirs_b = dict(ours.named_buffers()), dict(theirs.named_buffers())
    assert list(ours_b) == list(theirs_b)
    for key, mask in ours_b.items():
        assert str(mask.dtype) == str(theirs_b[key].dtype).removeprefix("torch."), key
        np.testing.assert_array_equal(mask.numpy(), theirs_b[key].numpy(), err_msg=key)


def _same_outputs(ours, theirs, shape, rtol=1e-12):
    x = RNG.standard_normal(shape).astype(np.float64 if rtol < 1e-8 else np.float32)
    out, out_t = ours(gn.tensor(x)), theirs(torch.tensor(x))
    scale = np.abs(out_t.detach().numpy()).max()
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=rtol, atol=rtol * scale)
    return out, out_t


@pytest.mark.parametrize("amount", [0, 1, 7, 20, 0.0, 0.3, 0.5, 0.55, 1.0])
@pytest.mark.parametrize("name", ["weight", "bias"])
def test_l1_unstructured_masks_and_outputs_equal_pytorchs(amount, name):
    ours, theirs = _pair(_linear)
    if isinstance(amount, int) and amount > 4 and name == "bias":
        amount = 3
    prune.l1_unstructured(ours, name, amount=amount)
    tprune.l1_unstructured(theirs, name, amount=amount)
    _same_masks(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    np.testing.assert_array_equal(getattr(ours, name).numpy(), getattr(theirs, name).detach().numpy())
    _same_outputs(ours, theirs, (3, 5))


def test_amount_rounds_halves_to_even_as_pytorch():
    for amount, size, pruned in [(0.5, 5, 2), (0.3, 5, 2), (0.1, 5, 0), (0.7, 5, 4), (0.125, 4, 0)]:
        ours, theirs = _pair(lambda lib, size=size: lib.nn.Linear(size, 1))
        prune.l1_unstructured(ours, "weight", amount)
        tprune.l1_unstructured(theirs, "weight", amount)
        assert int((ours.weight_mask == 0).sum()) == int((theirs.weight_mask == 0).sum()) == pruned
        _same_masks(ours, theirs)


def test_l1_unstructured_with_importance_scores_equals_pytorchs():
    ours, theirs = _pair(_conv)
    scores = RNG.standard_normal((6, 3, 3, 3))
    prune.l1_unstructured(ours, "weight", 0.4, importance_scores=gn.tensor(scores))
    tprune.l1_unstructured(theirs, "weight", 0.4, importance_scores=torch.tensor(scores))
    _same_masks(ours, theirs)
    kept = ours.weight_mask.numpy() == 1
    assert np.abs(scores[kept]).min() > np.abs(scores[~kept]).max()  # the scores ranked, not the weights
    _same_outputs(ours, theirs, (2, 3, 7, 7))


@pytest.mark.parametrize("n", [1, 2, 3, 0.5, float("inf"), float("-inf")])
@pytest.mark.parametrize("amount, dim", [(0.5, 0), (2, 1), (0.34, -1), (1, -3), (0.0, 0), (1.0, 0)])
def test_ln_structured_masks_and_outputs_equal_pytorchs(n, amount, dim):
    ours, theirs = _pair(_conv)
    prune.ln_structured(ours, "weight", amount=amount, n=n, dim=dim)
    tprune.ln_structured(theirs, "weight", amount=amount, n=n, dim=dim)
    _same_masks(ours, theirs)
    _same_outputs(ours, theirs, (2, 3, 6, 6))


def test_ln_structured_with_importance_scores_equals_pytorchs():
    ours, theirs = _pair(_linear)
    scores = RNG.standard_normal((4, 5))
    prune.ln_structured(ours, "weight", 2, n="fro", dim=1, importance_scores=gn.tensor(scores))
    tprune.ln_structured(theirs, "weight", 2, n="fro", dim=1, importance_scores=torch.tensor(scores))
    _same_masks(ours, theirs)
    assert (ours.weight_mask.numpy().sum(axis=0) == 0).sum() == 2


@pytest.mark.parametrize("amount", [0, 5, 0.3, 0.5, 1.0])
def test_random_unstructured_prunes_the_requested_count_as_pytorch(amount):
    ours, theirs = _pair(_conv)
    prune.random_unstructured(ours, "weight", amount=amount)
    tprune.random_unstructured(theirs, "weight", amount=amount)
    zeros = int((ours.weight_mask == 0).sum())
    assert zeros == int((theirs.weight_mask == 0).sum())
    assert zeros == (amount if isinstance(amount, int) else round(amount * 162))
    assert set(np.unique(ours.weight_mask.numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(ours.weight.numpy(), ours.weight_orig.numpy() * ours.weight_mask.numpy())


def test_random_methods_follow_glassnets_seed():
    masks = []
    for _ in range(2):
        layer = _conv(gn)
        gn.manual_seed(7)
        prune.random_unstructured(layer, "weight", 0.4)
        prune.random_structured(layer, "weight", 2, dim=0)
        masks.append(layer.weight_mask.numpy())
    np.testing.assert_array_equal(masks[0], masks[1])


@pytest.mark.parametrize("amount, dim", [(2, 0), (0.5, 1), (1, -1), (0.0, 0), (1.0, 0)])
def test_random_structured_prunes_whole_channels_as_pytorch(amount, dim):
    ours, theirs = _pair(_conv)
    prune.random_structured(ours, "weight", amount=amount, dim=dim)
    tprune.random_structured(theirs, "weight", amount=amount, dim=dim)
    mask, mask_t = ours.weight_mask.numpy(), theirs.weight_mask.numpy()
    axes = tuple(a for a in range(4) if a != dim % 4)
    per_channel = mask.mean(axis=axes)
    assert set(np.unique(per_channel)) <= {0.0, 1.0}  # every channel all kept or all pruned
    assert (per_channel == 0).sum() == (mask_t.mean(axis=axes) == 0).sum()
    channels = mask.shape[dim]
    assert (per_channel == 0).sum() == (amount if isinstance(amount, int) else round(amount * channels))


def test_identity_and_custom_from_mask_equal_pytorchs():
    ours, theirs = _pair(_linear)
    prune.identity(ours, "bias")
    tprune.identity(theirs, "bias")
    keep = (RNG.random((4, 5)) > 0.5).astype(np.float64)
    prune.custom_from_mask(ours, "weight", mask=gn.tensor(keep))
    tprune.custom_from_mask(theirs, "weight", mask=torch.tensor(keep))
    _same_masks(ours, theirs)
    assert ours.bias_mask.tolist() == [1.0] * 4
    _same_outputs(ours, theirs, (3, 5))
    bool_mask = gn.tensor([True, False, True, True])
    prune.custom_from_mask(ours, "bias", mask=bool_mask)
    tprune.custom_from_mask(theirs, "bias", mask=torch.tensor([True, False, True, True]))
    _same_masks(ours, theirs)


@pytest.mark.parametrize("amount", [0.2, 30, 0.75])
def test_global_unstructured_equals_pytorchs(amount):
    ours, theirs = _pair(_lenet)
    names = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    prune.global_unstructured([(getattr(ours, n), "weight") for n in names],
                              pruning_method=prune.L1Unstructured, amount=amount)
    tprune.global_unstructured([(getattr(theirs, n), "weight") for n in names],
                               pruning_method=tprune.L1Unstructured, amount=amount)
    _same_masks(ours, theirs)
    total = sum(getattr(ours, n).weight.numel() for n in names)
    zeros = sum(int((getattr(ours, n).weight_mask == 0).sum()) for n in names)
    assert zeros == (amount if isinstance(amount, int) else round(amount * total))
    _same_outputs(ours, theirs, (2, 1, 28, 28))


def test_global_unstructured_with_importance_scores_equals_pytorchs():
    ours, theirs = _pair(_lenet)
    scores = RNG.standard_normal((10, 84))
    prune.global_unstructured([(ours.fc2, "weight"), (ours.fc3, "weight")], prune.L1Unstructured,
                              importance_scores={(ours.fc3, "weight"): gn.tensor(scores)}, amount=500)
    tprune.global_unstructured([(theirs.fc2, "weight"), (theirs.fc3, "weight")], tprune.L1Unstructured,
                               importance_scores={(theirs.fc3, "weight"): torch.tensor(scores)}, amount=500)
    _same_masks(ours, theirs)


def test_tutorial_sequence_iterates_as_pytorch():
    """conv1: random_unstructured 0.3 (our mask copied into PyTorch's: the generators differ),
    then ln_structured n=2, 0.5, dim=0 on the same weight, then L1 global pruning 0.2 over
    every layer: the same containers, masks, outputs and gradients."""
    ours, theirs = _pair(_lenet, "float32")
    prune.random_unstructured(ours.conv1, "weight", amount=0.3)
    tprune.random_unstructured(theirs.conv1, "weight", amount=0.3)
    assert int((ours.conv1.weight_mask == 0).sum()) == int((theirs.conv1.weight_mask == 0).sum()) == 16
    with torch.no_grad():
        theirs.conv1.weight_mask.copy_(torch.tensor(ours.conv1.weight_mask.numpy()))
    _same_outputs(ours, theirs, (2, 1, 28, 28), rtol=1e-5)  # the hooks recompute conv1.weight
    prune.l1_unstructured(ours.conv1, "bias", amount=3)
    tprune.l1_unstructured(theirs.conv1, "bias", amount=3)
    prune.ln_structured(ours.conv1, "weight", amount=0.5, n=2, dim=0)
    tprune.ln_structured(theirs.conv1, "weight", amount=0.5, n=2, dim=0)
    _same_masks(ours, theirs)
    hook = next(h for h in ours.conv1._forward_pre_hooks.values() if h._tensor_name == "weight")
    assert isinstance(hook, prune.PruningContainer)
    assert [type(m).__name__ for m in hook] == ["RandomUnstructured", "LnStructured"] and len(hook) == 2
    assert (ours.conv1.weight_mask.numpy().reshape(6, -1).sum(axis=1) == 0).sum() == 3
    layers = ("conv1", "conv2", "fc1", "fc2", "fc3")
    for lib, model in ((prune, ours), (tprune, theirs)):
        pairs = [(getattr(model, n), "weight") for n in layers]
        lib.global_unstructured(pairs, lib.L1Unstructured, amount=0.2)
    _same_masks(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    out, out_t = _same_outputs(ours, theirs, (2, 1, 28, 28), rtol=1e-5)
    out.sum().backward()
    out_t.sum().backward()
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs.get_parameter(name).grad.numpy(), rtol=1e-4,
                                   atol=1e-6, err_msg=name)
    assert np.all(ours.conv1.weight_orig.grad.numpy()[ours.conv1.weight_mask.numpy() == 0] == 0)


def test_repeated_unstructured_pruning_counts_what_remains_as_pytorch():
    ours, theirs = _pair(_conv)
    for lib, module in ((prune, ours), (tprune, theirs)):
        lib.l1_unstructured(module, "weight", amount=0.5)        # 81 of 162
        lib.l1_unstructured(module, "weight", amount=0.5)        # round(40.5) = 40 of the 81 left
        lib.random_unstructured(module, "weight", amount=10)
    assert int((ours.weight_mask == 0).sum()) == int((theirs.weight_mask == 0).sum()) == 131
    ours2, theirs2 = _pair(_conv)
    for lib, module in ((prune, ours2), (tprune, theirs2)):
        lib.l1_unstructured(module, "weight", amount=0.5)
        lib.l1_unstructured(module, "weight", amount=0.5)
        lib.ln_structured(module, "weight", amount=1, n=1, dim=0)
        lib.l1_unstructured(module, "weight", amount=3)
    _same_masks(ours2, theirs2)


def test_repeated_structured_pruning_counts_the_channels_left_as_pytorch():
    ours, theirs = _pair(_conv)
    for lib, module in ((prune, ours), (tprune, theirs)):
        lib.ln_structured(module, "weight", amount=0.5, n=2, dim=0)     # 3 of 6 filters
        lib.ln_structured(module, "weight", amount=0.5, n=1, dim=0)     # round(1.5) = 2 of the 3 left
        lib.random_structured(module, "weight", amount=1, dim=1)        # 1 of 3 input channels
    mask, mask_t = ours.weight_mask.numpy(), theirs.weight_mask.numpy()
    assert (mask.sum(axis=(1, 2, 3)) == 0).sum() == (mask_t.sum(axis=(1, 2, 3)) == 0).sum() == 5
    assert (mask.sum(axis=(0, 2, 3)) == 0).sum() == (mask_t.sum(axis=(0, 2, 3)) == 0).sum() == 1
    np.testing.assert_array_equal(mask.sum(axis=(1, 2, 3)) != 0, mask_t.sum(axis=(1, 2, 3)) != 0)


def test_gradients_reach_weight_orig_as_pytorchs():
    ours, theirs = _pair(_conv)
    prune.l1_unstructured(ours, "weight", amount=0.6)
    tprune.l1_unstructured(theirs, "weight", amount=0.6)
    prune.random_unstructured(ours, "bias", amount=2)
    tprune.custom_from_mask(theirs, "bias", mask=torch.tensor(ours.bias_mask.numpy()))
    out, out_t = _same_outputs(ours, theirs, (2, 3, 6, 6))
    (out ** 2).sum().backward()
    (out_t ** 2).sum().backward()
    assert ours.weight.requires_grad and not isinstance(ours.weight, gn.nn.Parameter)
    for name in ("weight_orig", "bias_orig"):
        grad, grad_t = getattr(ours, name).grad.numpy(), getattr(theirs, name).grad.numpy()
        np.testing.assert_allclose(grad, grad_t, rtol=1e-10, atol=1e-12)
    assert np.all(ours.weight_orig.grad.numpy()[ours.weight_mask.numpy() == 0] == 0)
    assert np.any(ours.weight_orig.grad.numpy() != 0)
    assert ours.weight_mask.grad is None and not ours.weight_mask.requires_grad


def test_remove_leaves_a_plain_parameter_with_the_pruned_values():
    ours, theirs = _pair(_conv)
    for lib, module in ((prune, ours), (tprune, theirs)):
        lib.l1_unstructured(module, "weight", amount=40)
        lib.ln_structured(module, "weight", amount=2, n=2, dim=0)
    orig = ours.weight_orig
    assert prune.is_pruned(ours) and tprune.is_pruned(theirs)
    assert prune.remove(ours, "weight") is ours
    tprune.remove(theirs, "weight")
    assert isinstance(ours.weight, gn.nn.Parameter) and ours.weight is orig
    names = [n for n, _ in ours.named_parameters()]
    assert names == [n for n, _ in theirs.named_parameters()] == ["bias", "weight"]
    assert list(ours.named_buffers()) == [] and list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.numpy(), theirs.weight.detach().numpy())
    assert int((ours.weight == 0).sum()) == int((theirs.weight == 0).sum()) >= 2 * 27
    assert not prune.is_pruned(ours) and not ours._forward_pre_hooks
    _same_outputs(ours, theirs, (2, 3, 6, 6))


def test_state_dict_keys_equal_pytorchs_and_round_trip_through_save_and_load(tmp_path):
    ours, theirs = _pair(_lenet, "float32")
    for lib, model in ((prune, ours), (tprune, theirs)):
        lib.l1_unstructured(model.conv1, "weight", amount=0.3)
        lib.l1_unstructured(model.fc1, "bias", amount=20)
        lib.ln_structured(model.conv2, "weight", amount=0.25, n=1, dim=0)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "conv1.weight_orig" in ours.state_dict() and "conv1.weight_mask" in ours.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), theirs.state_dict()[key].numpy(), err_msg=key)
    gn.save(ours.state_dict(), tmp_path / "pruned.safetensors")
    fresh = _lenet(gn)
    for module, name in ((fresh.conv1, "weight"), (fresh.fc1, "bias"), (fresh.conv2, "weight")):
        prune.identity(module, name)
    fresh.load_state_dict(gn.load(tmp_path / "pruned.safetensors"))
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    x = gn.tensor(RNG.standard_normal((2, 1, 28, 28)).astype(np.float32))
    np.testing.assert_array_equal(fresh(x).numpy(), ours(x).numpy())
    with pytest.raises(ValueError, match="conv1.weight_orig"):
        _lenet(gn).load_state_dict(gn.load(tmp_path / "pruned.safetensors"))
    safetensors_torch = pytest.importorskip("safetensors.torch")
    theirs_fresh = _lenet(torch)
    for module, name in (("conv1", "weight"), ("fc1", "bias"), ("conv2", "weight")):
        tprune.identity(getattr(theirs_fresh, module), name)
    theirs_fresh.load_state_dict(safetensors_torch.load_file(str(tmp_path / "pruned.safetensors")))
    np.testing.assert_allclose(theirs_fresh(torch.tensor(x.numpy())).detach().numpy(), ours(x).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_fine_tuning_a_pruned_model_steps_as_pytorch():
    """Prune, then train: the optimiser steps ``weight_orig`` (the masked entries get no
    gradient, so with plain SGD they keep their values), the mask keeps them out of forward."""
    ours, theirs = _pair(_lenet)
    for lib, model in ((prune, ours), (tprune, theirs)):
        lib.l1_unstructured(model.conv1, "weight", amount=0.3)
        lib.ln_structured(model.fc1, "weight", amount=0.25, n=1, dim=0)
        lib.global_unstructured([(model.conv2, "weight"), (model.fc2, "weight")], lib.L1Unstructured,
                                amount=0.5)
    opt = gn.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    before = ours.conv1.weight_orig.numpy().copy()
    for _ in range(3):
        x, y = RNG.standard_normal((4, 1, 28, 28)), RNG.integers(0, 10, 4)
        for model, optimiser, lib in ((ours, opt, gn), (theirs, opt_t, torch)):
            optimiser.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            optimiser.step()
    for name, p in ours.state_dict().items():
        np.testing.assert_allclose(p.numpy(), theirs.state_dict()[name].numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)
    masked = ours.conv1.weight_mask.numpy() == 0
    np.testing.assert_array_equal(ours.conv1.weight_orig.numpy()[masked], before[masked])
    assert np.any(ours.conv1.weight_orig.numpy()[~masked] != before[~masked])


def test_custom_pruning_method_as_in_the_tutorial_equals_pytorchs():
    def foobar(base):
        class FooBar(base):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask
        return FooBar

    ours, theirs = _pair(_lenet)
    for lib, model in ((prune, ours), (tprune, theirs)):
        method = foobar(lib.BasePruningMethod)
        method.apply(model.fc3, "bias")
        lib.l1_unstructured(model.fc3, "bias", amount=0.4)   # 0.4 of the 5 left
        method.apply(model.fc3, "bias")                        # every other one of the 3 left
    _same_masks(ours, theirs)
    assert ours.fc3.bias_mask.tolist() == theirs.fc3.bias_mask.tolist()
    assert ours.fc3.bias_mask.sum().item() == 1


def test_pruning_a_tensor_without_a_module_equals_pytorchs():
    t = RNG.standard_normal((4, 6))
    scores = RNG.standard_normal((4, 6))
    pairs = [(prune.L1Unstructured(5), tprune.L1Unstructured(5)),
             (prune.LnStructured(0.5, n=2, dim=1), tprune.LnStructured(0.5, n=2, dim=1))]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours.prune(gn.tensor(t)).numpy(), theirs.prune(torch.tensor(t)).numpy())
        ranked = ours.prune(gn.tensor(t), importance_scores=gn.tensor(scores))
        ranked_t = theirs.prune(torch.tensor(t), importance_scores=torch.tensor(scores))
        np.testing.assert_array_equal(ranked.numpy(), ranked_t.numpy())


def test_pruning_container_holds_the_methods_of_one_tensor():
    first, second = prune.L1Unstructured(1), prune.RandomUnstructured(2)
    first._tensor_name = second._tensor_name = "weight"
    container = prune.PruningContainer(first, second)
    assert len(container) == 2 and container[0] is first and list(container) == [first, second]
    other = prune.Identity()
    other._tensor_name = "bias"
    with pytest.raises(ValueError, match="container prunes 'weight', the method 'bias'"):
        container.add_pruning_method(other)
    with pytest.raises(TypeError, match="expected a BasePruningMethod, got str"):
        container.add_pruning_method("l1")


def test_a_failed_pruning_leaves_the_module_as_it_was():
    layer = _conv(gn)
    prune.l1_unstructured(layer, "weight", amount=100)
    before = layer.weight_mask.numpy().copy()
    with pytest.raises(ValueError, match="amount=100 is more than the 62"):
        prune.l1_unstructured(layer, "weight", amount=100)
    hooks = list(layer._forward_pre_hooks.values())
    assert len(hooks) == 1 and type(hooks[0]).__name__ == "L1Unstructured"
    np.testing.assert_array_equal(layer.weight_mask.numpy(), before)
    fresh = _linear(gn)
    with pytest.raises(ValueError):
        prune.ln_structured(fresh, "weight", amount=9, n=2, dim=0)
    assert [n for n, _ in fresh.named_parameters()] == ["weight", "bias"] and not prune.is_pruned(fresh)


@pytest.mark.parametrize("call, error, match", [
    (lambda lib, m: lib.l1_unstructured(m, "weight", amount=-1), ValueError, r"amount=-1 is negative"),
    (lambda lib, m: lib.l1_unstructured(m, "weight", amount=1.5), ValueError,
     r"amount=1.5 is outside \[0, 1\]"),
    (lambda lib, m: lib.l1_unstructured(m, "weight", amount="half"), TypeError, r"got 'half' \(str\)"),
    (lambda lib, m: lib.random_unstructured(m, "weight", amount=21), ValueError,
     r"amount=21 is more than the 20 entries"),
    (lambda lib, m: lib.ln_structured(m, "weight", amount=5, n=2, dim=0), ValueError,
     r"amount=5 is more than the 4 channels along dim 0"),
    (lambda lib, m: lib.ln_structured(m, "weight", amount=1, n=2, dim=2), IndexError,
     r"dim=2 is out of range for a tensor of shape \(4, 5\); give a dim in \[-2, 1\]"),
    (lambda lib, m: lib.random_structured(m, "bias", amount=1, dim=0), ValueError,
     r"2 or more dims, got shape \(4,\)"),
    (lambda lib, m: lib.l1_unstructured(m, "wieght", amount=1), (ValueError, AttributeError),
     r"no parameter 'wieght' to prune; its parameters: \['weight', 'bias'\]"),
    (lambda lib, m: lib.l1_unstructured(m, "weight", 1, importance_scores=lib.ones(5, 4)),
     (ValueError, AssertionError),
     r"importance_scores have shape \(5, 4\), the parameter 'weight' has \(4, 5\)"),
    (lambda lib, m: lib.remove(m, "weight"), ValueError, r"Linear.weight is not pruned"),
    (lambda lib, m: lib.global_unstructured([(m, "weight")], lib.RandomStructured, amount=1), TypeError,
     r"'structured' pruning; only 'unstructured'"),
    (lambda lib, m: lib.custom_from_mask(m, "bias", mask=lib.ones(3)), (ValueError, AssertionError),
     r"the mask has shape \(3,\), the tensor pruned has \(4,\)"),
])
def test_errors_name_what_was_given_and_what_fits(call, error, match):
    with pytest.raises(error, match=match):
        call(_PruneLib(), _linear(gn))
    with pytest.raises(error):  # PyTorch refuses the same calls (the message differs)
        call(_TorchLib(), _linear(torch))


class _PruneLib:
    """``prune`` with ``ones`` (the calls above build their tensors from it)."""

    def __getattr__(self, name):
        return gn.ones if name == "ones" else getattr(prune, name)


class _TorchLib:
    def __getattr__(self, name):
        return torch.ones if name == "ones" else getattr(tprune, name)


def test_is_pruned_looks_through_submodules_as_pytorchs():
    ours, theirs = _pair(_lenet)
    assert prune.is_pruned(ours) is tprune.is_pruned(theirs) is False
    prune.identity(ours.fc2, "bias")
    tprune.identity(theirs.fc2, "bias")
    assert prune.is_pruned(ours) is tprune.is_pruned(theirs) is True
