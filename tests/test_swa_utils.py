"""optim.swa_utils against torch.optim.swa_utils: the SWA recipe, EMA, SWALR and update_bn."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet._errors import GlassnetValueError
from glassnet.optim.swa_utils import (
    SWALR,
    AveragedModel,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    update_bn,
)

TOL = 1e-10


def _nets(seed=0):
    """The same float64 MLP with BatchNorm in glassnet and torch (torch's init, copied over)."""
    torch.manual_seed(seed)
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                               torch.nn.Linear(6, 2)).double()
    gnet = gn.nn.Sequential(gn.nn.Linear(4, 6), gn.nn.BatchNorm1d(6), gn.nn.ReLU(),
                            gn.nn.Linear(6, 2)).double()
    gnet.load_state_dict({k: gn.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    return gnet, tnet


def _batches(n=5, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((8, 4)), rng.standard_normal((8, 2))) for _ in range(n)]


def _close(g, t):
    np.testing.assert_allclose(np.asarray(g.detach().numpy(), dtype=np.float64),
                               t.detach().numpy().astype(np.float64), rtol=0, atol=TOL)


def _assert_state_equal(gmodel, tmodel):
    gs, ts = gmodel.state_dict(), tmodel.state_dict()
    assert list(gs) == list(ts)
    for key in ts:
        _close(gs[key], ts[key])


def _train_swa(lib, net, batches, strategy, epochs=8, swa_start=3, avg_kwargs=None):
    """PyTorch's SWA recipe; returns (averaged model, lr after each epoch)."""
    opt = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    swa_model = lib.optim.swa_utils.AveragedModel(net, **(avg_kwargs or {}))
    swa_sched = lib.optim.swa_utils.SWALR(opt, swa_lr=0.03, anneal_epochs=3, anneal_strategy=strategy)
    lrs = []
    for epoch in range(epochs):
        for x, y in batches:
            opt.zero_grad()
            lib.nn.functional.mse_loss(net(lib.tensor(x)), lib.tensor(y)).backward()
            opt.step()
        if epoch >= swa_start:
            swa_model.update_parameters(net)
            swa_sched.step()
        else:
            sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    loader = [lib.tensor(x) for x, _ in batches]
    lib.optim.swa_utils.update_bn(loader, swa_model)
    return swa_model, lrs


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swa_recipe_matches_torch(strategy):
    gnet, tnet = _nets()
    batches = _batches()
    gswa, glrs = _train_swa(gn, gnet, batches, strategy)
    tswa, tlrs = _train_swa(torch, tnet, batches, strategy)
    np.testing.assert_allclose(glrs, tlrs, rtol=0, atol=1e-15)
    assert int(gswa.n_averaged.item()) == int(tswa.n_averaged.item()) == 5
    _assert_state_equal(gswa, tswa)  # averaged weights and update_bn's running stats
    assert gswa.training and tswa.training  # update_bn restored the mode
    assert gswa.module[1].momentum == tswa.module[1].momentum == 0.1
    x = _batches(1, seed=7)[0][0]
    gswa.eval()
    tswa.eval()
    _close(gswa(gn.tensor(x)), tswa(torch.tensor(x)))


def test_ema_multi_avg_fn_with_buffers_matches_torch():
    gnet, tnet = _nets(seed=3)
    batches = _batches(seed=4)
    kwargs = lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(0.9),  # noqa: E731
                          "use_buffers": True}
    gema, _ = _train_swa(gn, gnet, batches, "cos", swa_start=0, avg_kwargs=kwargs(gn))
    tema, _ = _train_swa(torch, tnet, batches, "cos", swa_start=0, avg_kwargs=kwargs(torch))
    _assert_state_equal(gema, tema)


def test_ema_buffers_without_update_bn_match_torch():
    """use_buffers=True averages running stats (and the int num_batches_tracked) too."""
    gnet, tnet = _nets(seed=5)
    gema = AveragedModel(gnet, multi_avg_fn=get_ema_multi_avg_fn(0.8), use_buffers=True)
    tema = torch.optim.swa_utils.AveragedModel(
        tnet, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.8), use_buffers=True)
    for x, _ in _batches(4, seed=6):
        gnet(gn.tensor(x))
        tnet(torch.tensor(x))
        gema.update_parameters(gnet)
        tema.update_parameters(tnet)
    _assert_state_equal(gema, tema)
    # the int buffer's EMA truncates each time, as torch's copy_: 1, 0.8 + 0.4 → 1, …, 0.8 + 0.8 → 1
    assert gema.state_dict()["module.1.num_batches_tracked"].item() == 1


@pytest.mark.parametrize("which", ["ema", "swa", "custom"])
def test_avg_fn_matches_torch(which):
    gnet, tnet = _nets(seed=8)
    fns = {"ema": (get_ema_avg_fn(0.7), torch.optim.swa_utils.get_ema_avg_fn(0.7)),
           "swa": (get_swa_avg_fn(), torch.optim.swa_utils.get_swa_avg_fn()),
           "custom": (lambda a, m, n: 0.25 * a + 0.75 * m,) * 2}[which]
    gavg, tavg = AveragedModel(gnet, avg_fn=fns[0]), torch.optim.swa_utils.AveragedModel(tnet, avg_fn=fns[1])
    gopt = gn.optim.SGD(gnet.parameters(), lr=0.05)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.05)
    for x, y in _batches(4, seed=9):
        for lib, net, opt, avg in ((gn, gnet, gopt, gavg), (torch, tnet, topt, tavg)):
            opt.zero_grad()
            lib.nn.functional.mse_loss(net(lib.tensor(x)), lib.tensor(y)).backward()
            opt.step()
            avg.update_parameters(net)
    _assert_state_equal(gavg, tavg)


def test_state_dict_keys_and_n_averaged():
    gnet, tnet = _nets()
    gavg, tavg = AveragedModel(gnet), torch.optim.swa_utils.AveragedModel(tnet)
    assert list(gavg.state_dict()) == list(tavg.state_dict())
    assert list(gavg.state_dict())[0] == "n_averaged"
    assert gavg.n_averaged.dtype == gn.int64 and gavg.n_averaged.shape == ()
    assert gavg.module is not gnet and gavg.module[0].weight is not gnet[0].weight
    restored = AveragedModel(gnet)
    gavg.update_parameters(gnet)
    restored.load_state_dict(gavg.state_dict())
    assert restored.n_averaged.item() == 1


@pytest.mark.parametrize("anneal_epochs", [0, 1, 4])
@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swalr_lrs_match_torch(strategy, anneal_epochs):
    """Two groups, per-group swa_lr, a lr changed by hand midway (SWALR is chained)."""
    def run(lib):
        w = [lib.nn.Parameter(lib.zeros(1)), lib.nn.Parameter(lib.zeros(1))]
        opt = lib.optim.SGD([{"params": [w[0]], "lr": 0.5}, {"params": [w[1]], "lr": 0.2}], lr=0.1)
        sched = lib.optim.swa_utils.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs,
                                          anneal_strategy=strategy)
        lrs = [sched.get_last_lr()]
        for i in range(7):
            opt.step()
            if i == 2:
                opt.param_groups[1]["lr"] = 0.3
            sched.step()
            lrs.append(sched.get_last_lr())
        return lrs, sched.state_dict()

    (glrs, gstate), (tlrs, tstate) = run(gn), run(torch)
    np.testing.assert_allclose(glrs, tlrs, rtol=0, atol=1e-15)
    assert set(gstate) <= set(tstate) | {"_is_initial"}
    assert "anneal_func" not in gstate and gstate["_anneal_strategy"] == strategy


def test_swalr_state_dict_round_trip():
    w = gn.nn.Parameter(gn.zeros(1))
    opt = gn.optim.SGD([w], lr=1.0)
    sched = SWALR(opt, swa_lr=0.1, anneal_epochs=5, anneal_strategy="linear")
    sched.step()
    other = SWALR(gn.optim.SGD([gn.nn.Parameter(gn.zeros(1))], lr=1.0), swa_lr=0.1)
    other.load_state_dict(sched.state_dict())
    assert other.anneal_func is SWALR._linear_anneal and other._step_count == sched._step_count


def test_update_bn_restores_eval_mode_and_skips_models_without_bn():
    gnet, tnet = _nets()
    gnet.eval()
    tnet.eval()
    loader = [(gn.tensor(x), gn.tensor(y)) for x, y in _batches(3)]
    update_bn(loader, gnet)
    torch.optim.swa_utils.update_bn([(torch.tensor(x), torch.tensor(y)) for x, y in _batches(3)], tnet)
    assert not gnet.training and not gnet[1].training
    _assert_state_equal(gnet, tnet)
    lin = gn.nn.Linear(2, 2)
    before = lin.weight.detach().numpy().copy()
    update_bn([gn.ones(1, 2)], lin)
    np.testing.assert_array_equal(lin.weight.detach().numpy(), before)


def test_errors_name_what_they_got():
    w = gn.nn.Parameter(gn.zeros(1))
    opt = gn.optim.SGD([w], lr=1.0)
    with pytest.raises(GlassnetValueError, match="anneal_strategy.*'exp'"):
        SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    with pytest.raises(GlassnetValueError, match="anneal_epochs.*-1"):
        SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
    with pytest.raises(GlassnetValueError, match="2 values for 1 parameter group"):
        SWALR(opt, swa_lr=[0.1, 0.2])
    with pytest.raises(GlassnetValueError, match="decay.*1.5"):
        get_ema_multi_avg_fn(1.5)
    with pytest.raises(GlassnetValueError, match="both avg_fn and multi_avg_fn"):
        AveragedModel(gn.nn.Linear(1, 1), avg_fn=get_swa_avg_fn(), multi_avg_fn=get_ema_multi_avg_fn())


def test_optim_import_does_not_pull_in_nn():
    code = ("import sys, glassnet.optim; assert 'glassnet.optim.swa_utils' not in sys.modules; "
            "import glassnet.optim as o; assert o.swa_utils.AveragedModel.__name__ == 'AveragedModel'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_listed_in_optim_all_and_dir_before_and_after_import():
    code = ("import glassnet.optim as o; assert 'swa_utils' in o.__all__ and 'swa_utils' in dir(o); "
            "import glassnet.optim.swa_utils; assert 'swa_utils' in dir(o)")
    subprocess.run([sys.executable, "-c", code], check=True)
