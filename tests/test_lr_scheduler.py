"""gn.optim.lr_scheduler against torch.optim.lr_scheduler: the same lr, step by step."""

import copy
import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.optim import lr_scheduler

STEPS = 30
LRS = (0.1, 0.02)


def _halve_every_7(epoch):
    return 0.5 ** (epoch // 7)


class WarmUp:
    """A callable object: LambdaLR saves its attributes in state_dict."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


SCHEDULES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("MultiStepLR", {"milestones": [5, 12, 12, 20], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("LambdaLR", {"lr_lambda": lambda e: 0.95**e}),
    ("LambdaLR", {"lr_lambda": [_halve_every_7, WarmUp(10)]}),
    ("OneCycleLR", {"max_lr": [1.0, 0.1], "total_steps": STEPS}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": STEPS + 5, "anneal_strategy": "linear",
                    "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0}),
    ("OneCycleLR", {"max_lr": 0.5, "epochs": 6, "steps_per_epoch": 5, "three_phase": True,
                    "base_momentum": [0.8, 0.7], "max_momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": STEPS, "cycle_momentum": False}),
]


def _schedule_id(schedule):
    name, options = schedule
    return name + "-" + "-".join(f"{k}={v}" for k, v in options.items()
                                 if not callable(v) and k != "lr_lambda")


def _optimizers(torch, name="SGD", **options):
    """A glassnet and a torch optimizer with two groups (lrs 0.1 and 0.02)."""
    gn_groups = [{"params": [gn.tensor(np.ones(2), requires_grad=True)], "lr": lr} for lr in LRS]
    torch_groups = [{"params": [torch.ones(2, requires_grad=True)], "lr": lr} for lr in LRS]
    return getattr(optim, name)(gn_groups, **options), getattr(torch.optim, name)(
        torch_groups, **options)


def _momenta(opt):
    return [group["betas"][0] if "betas" in group else group["momentum"]
            for group in opt.param_groups]


def _assert_same(gn_opt, gn_sched, torch_opt, torch_sched, step):
    ours, theirs = gn_sched.get_last_lr(), torch_sched.get_last_lr()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15, err_msg=f"step {step}")
    assert [g["lr"] for g in gn_opt.param_groups] == ours
    np.testing.assert_allclose(_momenta(gn_opt), _momenta(torch_opt), rtol=1e-12,
                               err_msg=f"momentum at step {step}")


@pytest.mark.parametrize("schedule", SCHEDULES, ids=_schedule_id)
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_lr_sequence_matches_torch(schedule, opt_name):
    torch = pytest.importorskip("torch")
    name, options = schedule
    extra = {"momentum": 0.9} if opt_name == "SGD" else {}
    gn_opt, torch_opt = _optimizers(torch, opt_name, **extra)
    gn_sched = getattr(lr_scheduler, name)(gn_opt, **options)
    torch_sched = getattr(torch.optim.lr_scheduler, name)(torch_opt, **options)
    _assert_same(gn_opt, gn_sched, torch_opt, torch_sched, 0)
    seen = set()
    for step in range(1, STEPS + 1):
        gn_opt.step()
        torch_opt.step()
        gn_sched.step()
        torch_sched.step()
        _assert_same(gn_opt, gn_sched, torch_opt, torch_sched, step)
        seen.add(round(gn_sched.get_last_lr()[0], 12))
    assert len(seen) > 1
    assert gn_sched.last_epoch == torch_sched.last_epoch == STEPS


PLATEAUS = [
    {"factor": 0.5, "patience": 2},
    {"mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.05},
    {"threshold_mode": "abs", "threshold": 0.05, "patience": 1, "cooldown": 2},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 0,
     "min_lr": [0.01, 0.004]},
    {"patience": 0, "factor": 0.1, "min_lr": 1e-4, "eps": 1e-3},
]
METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.79, 0.79, 0.799, 0.7, 0.7, 0.71, 0.72,
           0.73, 0.5, 0.6, 0.6, 0.4, 0.41, 0.42, 0.43, 0.44, 0.2, 0.2, 0.2, 0.21, 0.22, 0.1,
           0.1]


@pytest.mark.parametrize("options", PLATEAUS, ids=str)
def test_reduce_lr_on_plateau_matches_torch(options):
    torch = pytest.importorskip("torch")
    gn_opt, torch_opt = _optimizers(torch)
    gn_sched = lr_scheduler.ReduceLROnPlateau(gn_opt, **options)
    torch_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **options)
    metrics = METRICS if options.get("mode", "min") == "min" else [-m for m in METRICS]
    for step, metric in enumerate(metrics):
        gn_opt.step()
        torch_opt.step()
        gn_sched.step(gn.tensor(metric) if step % 2 else metric)
        torch_sched.step(metric)
        _assert_same(gn_opt, gn_sched, torch_opt, torch_sched, step)
        assert gn_sched.num_bad_epochs == torch_sched.num_bad_epochs
        assert gn_sched.in_cooldown == torch_sched.in_cooldown
    assert gn_sched.get_last_lr()[0] < LRS[0]


@pytest.mark.parametrize("schedule", [*SCHEDULES[:6], SCHEDULES[7], SCHEDULES[10]],
                         ids=_schedule_id)
def test_state_dict_resumes_the_schedule(schedule):
    name, options = schedule

    def make():
        opt = optim.SGD([{"params": [gn.tensor(np.ones(2), requires_grad=True)], "lr": lr}
                         for lr in LRS], momentum=0.9)
        return opt, getattr(lr_scheduler, name)(opt, **copy.deepcopy(options))

    straight_opt, straight = make()
    opt, sched = make()
    for step in range(1, STEPS + 1):
        if step == 11:
            saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
            opt, sched = make()
            lambdas = getattr(sched, "lr_lambdas", [])
            if lambdas:
                lambdas[1].epochs = 99  # the saved attributes win on load
            opt.load_state_dict(saved_opt)
            sched.load_state_dict(saved_sched)
            assert all(getattr(fn, "epochs", 10) == 10 for fn in lambdas)
        for o, s in ((straight_opt, straight), (opt, sched)):
            o.step()
            s.step()
        assert sched.get_last_lr() == straight.get_last_lr()
        assert _momenta(opt) == _momenta(straight_opt)


def test_plateau_state_dict_resumes():
    def make():
        opt = optim.SGD([gn.tensor(np.ones(2), requires_grad=True)], lr=0.1)
        return opt, lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1)

    straight_opt, straight = make()
    opt, sched = make()
    for step, metric in enumerate(METRICS):
        if step == 7:
            saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
            opt, sched = make()
            opt.load_state_dict(saved_opt)
            sched.load_state_dict(saved_sched)
        straight.step(metric)
        sched.step(metric)
        assert sched.get_last_lr() == straight.get_last_lr()
        assert (sched.best, sched.num_bad_epochs) == (straight.best, straight.num_bad_epochs)


def test_closed_forms():
    """The chained numbers agree with the textbook formulas."""
    opt = optim.SGD([gn.tensor(np.ones(1), requires_grad=True)], lr=0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    step_opt = optim.SGD([gn.tensor(np.ones(1), requires_grad=True)], lr=0.1)
    step_sched = lr_scheduler.StepLR(step_opt, step_size=3, gamma=0.5)
    for epoch in range(1, 25):
        opt.step()
        sched.step()
        step_opt.step()
        step_sched.step()
        cosine = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(cosine, abs=1e-12)
        assert step_sched.get_last_lr()[0] == pytest.approx(0.1 * 0.5 ** (epoch // 3))


def test_resuming_with_last_epoch():
    torch = pytest.importorskip("torch")
    gn_opt, torch_opt = _optimizers(torch)
    for group in (*gn_opt.param_groups, *torch_opt.param_groups):
        group["initial_lr"] = group["lr"]
    gn_sched = lr_scheduler.StepLR(gn_opt, step_size=3, gamma=0.5, last_epoch=5)
    torch_sched = torch.optim.lr_scheduler.StepLR(torch_opt, step_size=3, gamma=0.5,
                                                  last_epoch=5)
    for step in range(10):
        _assert_same(gn_opt, gn_sched, torch_opt, torch_sched, step)
        gn_opt.step()
        torch_opt.step()
        gn_sched.step()
        torch_sched.step()


def test_get_last_lr_is_a_copy():
    opt = optim.SGD([gn.tensor(np.ones(1), requires_grad=True)], lr=0.1)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    sched.get_last_lr()[0] = 123.0
    assert sched.get_last_lr() == [0.1]


def test_public_api():
    assert lr_scheduler.__all__ == sorted(lr_scheduler.__all__)
    for name in lr_scheduler.__all__:
        assert issubclass(getattr(lr_scheduler, name), lr_scheduler.LRScheduler)


# -- errors -------------------------------------------------------------------------


def _sgd():
    return optim.SGD([gn.tensor(np.ones(1), requires_grad=True)], lr=0.1, momentum=0.9)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: lr_scheduler.StepLR("sgd", step_size=2), GlassnetTypeError, "Optimizer"),
        (lambda: lr_scheduler.ReduceLROnPlateau(None), GlassnetTypeError, "Optimizer"),
        (lambda: lr_scheduler.StepLR(_sgd(), step_size=0), GlassnetValueError, "step_size"),
        (lambda: lr_scheduler.CosineAnnealingLR(_sgd(), T_max=0), GlassnetValueError, "T_max"),
        (lambda: lr_scheduler.LambdaLR(_sgd(), [abs, abs]), GlassnetValueError, "2 values"),
        (lambda: lr_scheduler.StepLR(_sgd(), 2, last_epoch=3), GlassnetValueError,
         "initial_lr"),
        (lambda: lr_scheduler.OneCycleLR(_sgd(), max_lr=1.0), GlassnetValueError,
         "total_steps"),
        (lambda: lr_scheduler.OneCycleLR(_sgd(), 1.0, total_steps=0), GlassnetValueError,
         "positive"),
        (lambda: lr_scheduler.OneCycleLR(_sgd(), 1.0, epochs=2, steps_per_epoch=-1),
         GlassnetValueError, "steps_per_epoch"),
        (lambda: lr_scheduler.OneCycleLR(_sgd(), 1.0, 10, pct_start=1.5),
         GlassnetValueError, "pct_start"),
        (lambda: lr_scheduler.OneCycleLR(_sgd(), 1.0, 10, anneal_strategy="exp"),
         GlassnetValueError, "anneal_strategy"),
        (lambda: lr_scheduler.OneCycleLR(
            optim.Adagrad([gn.tensor(np.ones(1), requires_grad=True)]), 1.0, 10),
         GlassnetValueError, "momentum or betas"),
        (lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), factor=1.0), GlassnetValueError,
         "factor"),
        (lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), mode="up"), GlassnetValueError, "mode"),
        (lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), threshold_mode="pct"),
         GlassnetValueError, "threshold_mode"),
        (lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), min_lr=[0.1, 0.2]),
         GlassnetValueError, "2 values"),
    ],
)
def test_construction_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = _sgd()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(GlassnetValueError, match="total_steps is 3"):
        sched.step()
