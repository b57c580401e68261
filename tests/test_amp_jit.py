"""torch.amp / torch.cuda.amp, torch.jit and torch.utils.checkpoint as PyTorch programs use
them: GradScaler's loss scaling step for step against PyTorch, autocast and the CUDA paths
disabling themselves on a machine without a GPU (as PyTorch's do), autocast that would
change the arithmetic refused, and the TorchScript entry points running eagerly."""

import warnings

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")
no_gpu = pytest.mark.skipif(gn.cuda.is_available(), reason="checks the behaviour without a GPU")


def _scaled_training(lib):
    rng = np.random.default_rng(0)
    model = lib.nn.Linear(3, 1).double()
    for p in model.parameters():
        p.data = lib.tensor(rng.standard_normal(tuple(p.shape)))
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    scaler = lib.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2)
    scales, skipped = [], []
    for step in range(7):
        x = lib.tensor(rng.standard_normal((4, 3)))
        opt.zero_grad()
        with lib.autocast(device_type="cpu", enabled=False):
            loss = ((model(x) - 1) ** 2).mean()
        if step == 3:
            loss = loss * 1e308  # its scaled gradients overflow: the step is skipped, the scale halves
        before = model.weight.detach().numpy().copy()
        with np.errstate(over="ignore", invalid="ignore"):
            scaler.scale(loss).backward()
        if step % 2:
            scaler.unscale_(opt)  # as before gradient clipping; step() then does not unscale again
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
        skipped.append(bool(np.array_equal(before, model.weight.detach().numpy())))
    return scales, skipped, [p.detach().numpy() for p in model.parameters()], scaler.state_dict()


def test_grad_scaler_scales_skips_and_grows_as_pytorch():
    ours, theirs = _scaled_training(gn), _scaled_training(torch)
    assert ours[0] == theirs[0] == [4.0, 8.0, 8.0, 4.0, 4.0, 8.0, 8.0]
    assert ours[1] == theirs[1] and ours[1][3]
    for a, b in zip(ours[2], theirs[2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert ours[3] == theirs[3]
    restored = gn.amp.GradScaler("cpu")
    restored.load_state_dict(ours[3])
    assert restored.get_scale() == 8.0 and restored.state_dict() == ours[3]


def test_unscaling_twice_in_one_step_is_refused():
    w = gn.tensor([1.0], requires_grad=True)
    opt, scaler = gn.optim.SGD([w], lr=0.1), gn.amp.GradScaler("cpu")
    scaler.scale((w * w).sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(gn.GlassnetValueError, match="already called on this optimizer"):
        scaler.unscale_(opt)


@no_gpu
@pytest.mark.parametrize("make", [lambda lib: lib.amp.GradScaler("cuda"),
                                  lambda lib: lib.cuda.amp.GradScaler()])
def test_cuda_grad_scaler_without_a_gpu_disables_itself_as_pytorch(make):
    for lib in (gn, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = make(lib)
        assert any("not available" in str(w.message) for w in caught), [str(w.message) for w in caught]
        assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
        w = lib.tensor([2.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.5)
        loss = (w * w).sum()
        assert scaler.scale(loss) is loss
        loss.backward()
        scaler.step(opt)
        scaler.update()
        assert w.tolist() == [0.0]


@no_gpu
def test_cuda_autocast_without_a_gpu_is_a_no_op_with_a_warning():
    with pytest.warns(UserWarning, match="(?i)no GPU|not available"):
        with gn.autocast(device_type="cuda"):
            y = gn.ones(2, 2) @ gn.ones(2, 2)
    assert y.dtype == gn.float32
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with gn.cuda.amp.autocast():
            pass
    assert {w.category for w in caught} == {FutureWarning, gn.GlassnetWarning}


def test_autocast_that_would_change_the_arithmetic_is_refused():
    with pytest.raises(gn.GlassnetValueError, match="no automatic mixed precision.*enabled=False"):
        gn.autocast(device_type="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with gn.autocast("cpu", enabled=False):  # the common `enabled=use_amp` with use_amp False
            pass

    @gn.autocast("cpu", enabled=False)
    def double(x):
        return 2 * x

    assert double(gn.tensor(1.5)).item() == 3.0


def _jit_program(lib):
    @lib.jit.script
    def scaled_tanh(x):
        return 2.0 * lib.tanh(x)

    @lib.jit.ignore
    def helper(x):
        return x + 1

    model = lib.jit.trace(lib.nn.Linear(2, 2).double(), lib.ones(1, 2, dtype=lib.float64))
    x = lib.tensor([[0.5, -1.0]], dtype=lib.float64)
    return [scaled_tanh(x).numpy(), helper(x).numpy(), tuple(model(x).shape), lib.jit.is_scripting()]


def test_jit_entry_points_run_eagerly_and_archives_are_refused(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13 deprecates torch.jit.script
        ours, theirs = _jit_program(gn), _jit_program(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1])
    assert ours[2:] == theirs[2:]
    with pytest.raises(gn.GlassnetValueError, match="state_dict"):
        gn.jit.save(gn.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(gn.GlassnetValueError, match="TorchScript"):
        gn.jit.load(tmp_path / "m.pt")


def _checkpointed(lib):
    rng = np.random.default_rng(2)
    blocks = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2)).double()
    for p in blocks.parameters():
        p.data = lib.tensor(rng.standard_normal(tuple(p.shape)))
    x = lib.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    from_checkpoint = lib.utils.checkpoint.checkpoint(blocks[0], x, use_reentrant=False)
    y = lib.utils.checkpoint.checkpoint_sequential(blocks[1:], 2, from_checkpoint, use_reentrant=False)
    y.sum().backward()
    return [y.detach().numpy(), x.grad.numpy(), blocks[0].weight.grad.numpy()]


def test_checkpoint_gives_the_same_values_and_gradients_as_pytorch():
    import torch.utils.checkpoint  # noqa: F401  (torch imports the submodule lazily)

    for a, b in zip(_checkpointed(gn), _checkpointed(torch), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
