"""LinearLR, ConstantLR, MultiplicativeLR, PolynomialLR, SequentialLR, ChainedScheduler,
CosineAnnealingWarmRestarts and CyclicLR against torch.optim.lr_scheduler: the same lr (and
momentum) at every step to 1e-12, two parameter groups, SGD with momentum and Adam; and a
schedule saved halfway through resumes as if never stopped."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim
from glassnet.optim import lr_scheduler

STEPS = 40
LRS = (0.1, 0.02)


def _sequential(S, opt):
    warm = S.LinearLR(opt, start_factor=0.1, total_iters=5)
    return S.SequentialLR(opt, [warm, S.CosineAnnealingLR(opt, T_max=12, eta_min=0.001)], milestones=[5])


def _sequential_three(S, opt):
    parts = [S.ConstantLR(opt, factor=0.5, total_iters=4), S.ExponentialLR(opt, gamma=0.9),
             S.StepLR(opt, step_size=3, gamma=0.5)]
    return S.SequentialLR(opt, parts, milestones=[3, 10])


def _sequential_multistep(S, opt):
    parts = [S.PolynomialLR(opt, total_iters=6, power=2.0), S.MultiStepLR(opt, [4, 9], gamma=0.3)]
    return S.SequentialLR(opt, parts, milestones=[6])


def _chained(S, opt):
    return S.ChainedScheduler([S.ConstantLR(opt, factor=0.1, total_iters=2), S.ExponentialLR(opt, gamma=0.9)])


def _chained_with_linear(S, opt):
    return S.ChainedScheduler([S.LinearLR(opt, 0.2, 1.0, 8), S.StepLR(opt, 5, 0.5)], optimizer=opt)


class Halving:
    """A callable object with state (MultiplicativeLR's state_dict keeps its attributes)."""

    def __init__(self, every):
        self.every = every

    def __call__(self, epoch):
        return 0.5 if epoch % self.every == 0 else 1.0


SCHEDULES = {
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7),
    "LinearLR-defaults": lambda S, o: S.LinearLR(o),
    "LinearLR-down": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=30),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=4),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.95),
    "MultiplicativeLR-per-group": lambda S, o: S.MultiplicativeLR(o, lr_lambda=[Halving(5), lambda e: 0.99]),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=25, power=2.0),
    "PolynomialLR-defaults": lambda S, o: S.PolynomialLR(o),
    "SequentialLR-warmup-cosine": _sequential,
    "SequentialLR-three": _sequential_three,
    "SequentialLR-poly-multistep": _sequential_multistep,
    "ChainedScheduler": _chained,
    "ChainedScheduler-linear-step": _chained_with_linear,
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7, eta_min=0.001),
    "CosineAnnealingWarmRestarts-mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    "CyclicLR-triangular": lambda S, o: S.CyclicLR(o, 0.01, [0.1, 0.05], step_size_up=4),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(o, [0.01, 0.001], 0.1, step_size_up=3, step_size_down=5,
                                                    mode="triangular2"),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="exp_range", gamma=0.97,
                                                  base_momentum=[0.8, 0.7], max_momentum=0.95),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.9**x,
                                                 scale_mode="iterations", cycle_momentum=False),
}


def _optimizers(torch, name):
    extra = {"momentum": 0.9} if name == "SGD" else {}
    ours = [{"params": [gn.tensor(np.ones(2), requires_grad=True)], "lr": lr} for lr in LRS]
    theirs = [{"params": [torch.ones(2, requires_grad=True)], "lr": lr} for lr in LRS]
    return getattr(optim, name)(ours, **extra), getattr(torch.optim, name)(theirs, **extra)


def _momenta(opt):
    return [group["betas"][0] if "betas" in group else group["momentum"] for group in opt.param_groups]


def _assert_same(opt, sched, opt_t, sched_t, step):
    np.testing.assert_allclose(sched.get_last_lr(), sched_t.get_last_lr(), rtol=1e-12, atol=1e-15,
                               err_msg=f"step {step}")
    np.testing.assert_allclose([g["lr"] for g in opt.param_groups], [g["lr"] for g in opt_t.param_groups],
                               rtol=1e-12, atol=1e-15, err_msg=f"step {step}")
    np.testing.assert_allclose(_momenta(opt), _momenta(opt_t), rtol=1e-12, err_msg=f"momentum at step {step}")


@pytest.mark.parametrize("name", list(SCHEDULES))
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_lr_sequence_matches_torch(name, opt_name):
    torch = pytest.importorskip("torch")
    opt, opt_t = _optimizers(torch, opt_name)
    sched, sched_t = SCHEDULES[name](lr_scheduler, opt), SCHEDULES[name](torch.optim.lr_scheduler, opt_t)
    _assert_same(opt, sched, opt_t, sched_t, 0)
    seen = set()
    for step in range(1, STEPS + 1):
        opt.step()
        opt_t.step()
        sched.step()
        sched_t.step()
        _assert_same(opt, sched, opt_t, sched_t, step)
        seen.add(round(sched.get_last_lr()[0], 12))
    assert len(seen) > 1


def test_warm_restarts_take_fractional_epochs_as_pytorch():
    torch = pytest.importorskip("torch")
    opt, opt_t = _optimizers(torch, "SGD")
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3, eta_min=0.002)
    sched_t = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt_t, T_0=2, T_mult=3, eta_min=0.002)
    for epoch in range(12):
        for i in range(4):
            sched.step(epoch + i / 4)
            sched_t.step(epoch + i / 4)
            _assert_same(opt, sched, opt_t, sched_t, (epoch, i))


RESUMED = ["LinearLR", "ConstantLR", "MultiplicativeLR-per-group", "PolynomialLR", "SequentialLR-three",
           "ChainedScheduler", "CosineAnnealingWarmRestarts-mult", "CyclicLR-triangular2"]


@pytest.mark.parametrize("name", RESUMED)
def test_state_dict_resumes_the_schedule(name):
    def make():
        opt = optim.SGD([{"params": [gn.tensor(np.ones(2), requires_grad=True)], "lr": lr} for lr in LRS],
                        momentum=0.9)
        return opt, SCHEDULES[name](lr_scheduler, opt)

    straight_opt, straight = make()
    first_opt, first = make()
    for _ in range(13):
        for o, s in ((straight_opt, straight), (first_opt, first)):
            o.step()
            s.step()
    saved_opt, saved = first_opt.state_dict(), first.state_dict()
    resumed_opt, resumed = make()
    resumed_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    for _ in range(15):
        for o, s in ((straight_opt, straight), (resumed_opt, resumed)):
            o.step()
            s.step()
        assert resumed.get_last_lr() == straight.get_last_lr()
        assert [g["lr"] for g in resumed_opt.param_groups] == [g["lr"] for g in straight_opt.param_groups]


def test_what_the_composites_and_cyclic_refuse():
    opt = optim.SGD([gn.tensor(np.ones(2), requires_grad=True)], lr=0.1)
    other = optim.SGD([gn.tensor(np.ones(2), requires_grad=True)], lr=0.1)
    step = lr_scheduler.StepLR(opt, 2)
    with pytest.raises(gn.GlassnetValueError, match="one milestone fewer than schedulers"):
        lr_scheduler.SequentialLR(opt, [step], milestones=[3])
    with pytest.raises(gn.GlassnetValueError, match="same optimizer"):
        lr_scheduler.SequentialLR(opt, [step, lr_scheduler.StepLR(other, 2)], milestones=[3])
    with pytest.raises(gn.GlassnetValueError, match="does not support ReduceLROnPlateau"):
        lr_scheduler.ChainedScheduler([step, lr_scheduler.ReduceLROnPlateau(opt)])
    with pytest.raises(gn.GlassnetValueError, match="cycle_momentum needs an optimizer with momentum"):
        lr_scheduler.CyclicLR(optim.Adagrad([gn.tensor(np.ones(2), requires_grad=True)]), 0.01, 0.1)
    with pytest.raises(gn.GlassnetValueError, match="mode must be"):
        lr_scheduler.CyclicLR(opt, 0.01, 0.1, mode="sawtooth")
    with pytest.raises(gn.GlassnetValueError, match="T_0 must be a positive int"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(gn.GlassnetValueError, match="start_factor must be in"):
        lr_scheduler.LinearLR(opt, start_factor=0.0)


EPOCH_JUMPS = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, [2, 6, 6], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, total_iters=6),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=9, power=1.5),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 1 / (e + 1)),
}


@pytest.mark.parametrize("name", list(EPOCH_JUMPS))
def test_step_with_an_epoch_jumps_there_and_warns_as_pytorch(name):
    torch = pytest.importorskip("torch")
    opt, opt_t = _optimizers(torch, "SGD")
    sched, sched_t = EPOCH_JUMPS[name](lr_scheduler, opt), EPOCH_JUMPS[name](torch.optim.lr_scheduler, opt_t)
    for epoch in (1, 2, 5, 3, 8, 8, 12):
        opt.step()
        opt_t.step()
        with pytest.warns(UserWarning) as ours:
            sched.step(epoch)
        with pytest.warns(UserWarning) as theirs:
            sched_t.step(epoch)
        assert str(ours[0].message) == str(theirs[-1].message)
        _assert_same(opt, sched, opt_t, sched_t, epoch)
        assert sched.last_epoch == sched_t.last_epoch == epoch


def _warmup_class(base):
    class LinearWarmup(base):  # a custom scheduler as older code writes one
        def __init__(self, optimizer, warmup, last_epoch=-1):
            self.warmup = warmup
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            scale = min(1.0, (self.last_epoch + 1) / self.warmup)
            return [base_lr * scale for base_lr in self.base_lrs]

    return LinearWarmup


def test_custom_schedulers_subclass_the_old_private_name():
    torch = pytest.importorskip("torch")
    opt, opt_t = _optimizers(torch, "Adam")
    sched = _warmup_class(lr_scheduler._LRScheduler)(opt, warmup=5)
    sched_t = _warmup_class(torch.optim.lr_scheduler._LRScheduler)(opt_t, warmup=5)
    for step in range(8):
        _assert_same(opt, sched, opt_t, sched_t, step)
        opt.step()
        opt_t.step()
        sched.step()
        sched_t.step()
