"""Adadelta, Adamax, NAdam, RAdam and LBFGS against torch.optim: same trajectories in
float64 (1e-10), same state-dict layout, exact resumption."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim
from test_optim import (
    Pair,
    _assert_same_state_dict,
    _case_id,
    _check_case_trajectory,
    _check_float32_matches_torch,
    _check_same_trajectory,
    _gradient,
    _initial_arrays,
    _resume_from_torch,
)

STEPS = 20
# torch's own LBFGS calls float(loss) on a loss that requires grad, which PyTorch warns about
TORCH_FLOAT_WARNING = "ignore:Converting a tensor with requires_grad=True to a scalar"

CASES = [
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4}),
    ("Adadelta", {"weight_decay": 0.1, "maximize": True}),
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3, "maximize": True}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.05, "momentum_decay": 0.01, "betas": (0.8, 0.95), "maximize": True}),
    ("RAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3, "maximize": True}),
]
NAMES = ["Adadelta", "Adamax", "NAdam", "RAdam"]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_trajectory_matches_torch(case):
    _check_case_trajectory(case, STEPS)


@pytest.mark.parametrize("name", NAMES)
def test_groups_skipped_params_and_late_state_match_torch(name):
    torch = pytest.importorskip("torch")
    pair = Pair(torch, _initial_arrays(1))
    gn_opt, torch_opt = pair.optimizers(name, {"lr": 0.1}, {"lr": 0.01, "weight_decay": 0.05})
    frozen = pair.gn_params[2].array.copy()
    _check_same_trajectory(pair, gn_opt, torch_opt, 5, skip={2})
    np.testing.assert_array_equal(pair.gn_params[2].array, frozen)
    _check_same_trajectory(pair, gn_opt, torch_opt, 5, start=5)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_layout_matches_torch(name):
    torch = pytest.importorskip("torch")
    pair = Pair(torch, _initial_arrays(7))
    gn_opt, torch_opt = pair.optimizers(name, {"lr": 0.1})
    _check_same_trajectory(pair, gn_opt, torch_opt, 3, skip={1})
    ours, theirs = gn_opt.state_dict(), torch_opt.state_dict()
    assert ours["state"].keys() == {0, 2}
    _assert_same_state_dict(ours, theirs)


@pytest.mark.parametrize("name", NAMES)
def test_load_a_torch_state_dict_and_resume_exactly(name):
    torch = pytest.importorskip("torch")
    pair, gn_opt, _ = _resume_from_torch(torch, name, {"lr": 0.05})
    # our own state dict: a fresh optimizer resumes bit for bit
    twin = [gn.tensor(p.array.copy(), requires_grad=True) for p in pair.gn_params]
    twin_opt = getattr(optim, name)(twin, lr=0.5)
    twin_opt.load_state_dict(gn_opt.state_dict())
    for step in range(10, 15):
        for params, opt in ((pair.gn_params, gn_opt), (twin, twin_opt)):
            for i, p in enumerate(params):
                p.grad = gn.tensor(_gradient(step, i, p.array))
            opt.step()
    for a, b in zip(pair.gn_params, twin, strict=True):
        np.testing.assert_array_equal(a.array, b.array)


@pytest.mark.parametrize("name", NAMES)
def test_float32_parameters_stay_float32(name):
    _check_float32_matches_torch(name, 8)


@pytest.mark.parametrize(("make", "match"), [
    (lambda w: optim.Adadelta([w], rho=1.5), "rho"),
    (lambda w: optim.Adadelta([w], lr=-1), "lr must be >= 0"),
    (lambda w: optim.Adamax([w], betas=(0.9, 1.0)), "betas"),
    (lambda w: optim.NAdam([w], momentum_decay=-1), "momentum_decay"),
    (lambda w: optim.RAdam([w], eps=-1), "eps"),
    (lambda w: optim.NAdam([w], capturable=True), "capturable=True is not supported"),
    (lambda w: optim.RAdam([w], differentiable=True), "differentiable=True is not supported"),
])
def test_construction_errors(make, match):
    with pytest.raises(gn.GlassnetValueError, match=match):
        make(gn.tensor(np.ones(2), requires_grad=True))


def test_torch_speed_hints_are_accepted():
    w = gn.tensor(np.ones(2), requires_grad=True)
    for cls in (optim.Adadelta, optim.Adamax, optim.NAdam, optim.RAdam):
        assert "foreach" not in cls([w], foreach=True).param_groups[0]


# -- LBFGS ------------------------------------------------------------------------------


def _problem(fw, params):
    """Rosenbrock in v (6,), a tanh regression in W (3, 2), a quadratic in s (): the loss
    a closure evaluates, written once for both frameworks."""
    v, W, s = params
    rng = np.random.default_rng(11)
    A, B = fw.tensor(rng.standard_normal((5, 3))), fw.tensor(rng.standard_normal((5, 2)))
    rosen = (10 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2).sum()
    fit = ((fw.tanh(A @ W) - B) ** 2).sum()
    return rosen + fit + (s - 0.5) ** 2 * 3


def _lbfgs_pair(torch, **options):
    rng = np.random.default_rng(3)
    arrays = [rng.uniform(-1.2, 1.2, 6), rng.standard_normal((3, 2)) * 0.5, np.array(2.0)]
    gn_params = [gn.tensor(a, requires_grad=True) for a in arrays]
    torch_params = [torch.tensor(a, requires_grad=True) for a in arrays]
    return (gn_params, optim.LBFGS(gn_params, **options),
            torch_params, torch.optim.LBFGS(torch_params, **options))


def _closure(fw, opt, params):
    def closure():
        opt.zero_grad()
        loss = _problem(fw, params)
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("options", [
    {},
    {"max_iter": 4, "history_size": 3},
    {"lr": 0.5, "max_iter": 7, "history_size": 2, "max_eval": 8},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "max_iter": 5, "history_size": 3},
], ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "defaults")
@pytest.mark.filterwarnings(TORCH_FLOAT_WARNING)
def test_lbfgs_trajectory_matches_torch(options):
    torch = pytest.importorskip("torch")
    gn_params, gn_opt, torch_params, torch_opt = _lbfgs_pair(torch, **options)
    losses = []
    for _ in range(3):  # up to 60 iterations; nearer the minimum, float64 rounding (1e-16
        # per iteration: sums and dot products in another order) grows past 1e-10
        ours = gn_opt.step(_closure(gn, gn_opt, gn_params))
        theirs = torch_opt.step(_closure(torch, torch_opt, torch_params))
        losses.append(float(theirs.detach()))
        np.testing.assert_allclose(float(ours), losses[-1], rtol=1e-10)
        for g, t in zip(gn_params, torch_params, strict=True):
            np.testing.assert_allclose(g.array, t.detach().numpy(), rtol=1e-10, atol=1e-10)
        ours_state = gn_opt.state[gn_params[0]]
        theirs_state = torch_opt.state[torch_params[0]]
        assert (ours_state["func_evals"], ours_state["n_iter"]) == (
            theirs_state["func_evals"], theirs_state["n_iter"])
        assert len(ours_state["old_dirs"]) == len(theirs_state["old_dirs"])
    assert losses[0] > losses[1] > losses[2]  # it optimises


def test_lbfgs_state_dict_resumes_exactly():
    torch = pytest.importorskip("torch")
    options = {"max_iter": 3, "history_size": 4, "line_search_fn": "strong_wolfe"}
    straight, straight_opt, _, _ = _lbfgs_pair(torch, **options)
    resumed, first_opt, _, _ = _lbfgs_pair(torch, **options)
    for _ in range(2):
        straight_opt.step(_closure(gn, straight_opt, straight))
        first_opt.step(_closure(gn, first_opt, resumed))
    saved = first_opt.state_dict()
    assert saved["param_groups"][0]["line_search_fn"] == "strong_wolfe"
    assert list(saved["state"]) == [0]
    second_opt = optim.LBFGS(resumed, lr=0.1)
    second_opt.load_state_dict(saved)
    for _ in range(2):
        straight_opt.step(_closure(gn, straight_opt, straight))
        second_opt.step(_closure(gn, second_opt, resumed))
    for a, b in zip(straight, resumed, strict=True):
        np.testing.assert_array_equal(a.array, b.array)


def test_lbfgs_stops_at_once_when_the_gradient_is_zero():
    w = gn.tensor(np.zeros(3), requires_grad=True)
    opt = optim.LBFGS([w])
    loss = opt.step(_zero_loss_closure(opt, w))
    assert float(loss) == 0.0 and opt.state[w]["func_evals"] == 1
    assert opt.state[w]["n_iter"] == 0


def _zero_loss_closure(opt, w):
    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    return closure


def test_lbfgs_errors():
    a = gn.tensor(np.ones(2), requires_grad=True)
    b = gn.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(gn.GlassnetValueError, match="parameter groups"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    with pytest.raises(gn.GlassnetValueError, match="strong_wolfe"):
        optim.LBFGS([a], line_search_fn="backtracking")
    with pytest.raises(gn.GlassnetTypeError, match="needs a closure"):
        optim.LBFGS([a]).step()
    assert optim.LBFGS([a], max_iter=8).param_groups[0]["max_eval"] == 10
