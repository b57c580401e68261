"""gn.optim against torch.optim: same parameters, same gradients, same trajectories."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim
from glassnet._errors import GlassnetError, GlassnetTypeError, GlassnetValueError

SHAPES = [(3, 4), (4,), ()]
STEPS = 20

CASES = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05,
             "maximize": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3, "weight_decay": 0.1,
              "amsgrad": True, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-4, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3, "maximize": True}),
]

GROUP_CASES = [
    ("SGD", {"lr": 0.05}, {"lr": 0.2, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.01}, {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}, {"betas": (0.5, 0.9), "weight_decay": 0.0}),
    ("RMSprop", {"lr": 0.01}, {"lr": 0.001, "centered": True, "momentum": 0.9}),
    ("Adagrad", {"lr": 0.1}, {"lr": 0.3, "lr_decay": 0.1}),
]


def _case_id(case):
    name, *options = case
    return name + "-" + "-".join(f"{k}={v}" for opts in options for k, v in opts.items())


def _initial_arrays(seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def _gradient(step, index, value):
    """Gradient of a shared loss at ``value`` (each framework feeds its own numbers):
    the fixed noise of this step plus the pull of ``½·c·‖p‖²``."""
    noise = np.random.default_rng([step, index]).standard_normal(np.shape(value))
    return np.asarray(noise + 0.7 * value)


class Pair:
    """The same parameters in glassnet and in torch, stepped with the same gradients."""

    def __init__(self, torch, arrays):
        self.torch = torch
        self.gn_params = [gn.tensor(a, requires_grad=True) for a in arrays]
        self.torch_params = [torch.tensor(a, requires_grad=True) for a in arrays]

    def set_grads(self, step, skip=()):
        for i, (g, t) in enumerate(zip(self.gn_params, self.torch_params, strict=True)):
            if i in skip:
                g.grad, t.grad = None, None
                continue
            grad = _gradient(step, i, g.array)
            grad.setflags(write=False)  # an optimizer must never write to a gradient
            g.grad = gn.from_numpy(grad)
            t.grad = self.torch.from_numpy(_gradient(step, i, t.detach().numpy()))

    def optimizers(self, name, options, second=None, split=1):
        """The optimizer ``name`` with ``options`` over these parameters, in glassnet and in
        torch; given ``second``, the parameters from ``split`` on form a second group with
        those options."""
        def make(module, params):
            if second is not None:
                params = [{"params": params[:split]}, {"params": params[split:], **second}]
            return getattr(module, name)(params, **options)

        return make(optim, self.gn_params), make(self.torch.optim, self.torch_params)

    def assert_close(self, tol=1e-10):
        for g, t in zip(self.gn_params, self.torch_params, strict=True):
            assert g.array.dtype == np.float64
            np.testing.assert_allclose(g.array, t.detach().numpy(), rtol=tol, atol=tol)


def _check_same_trajectory(pair, gn_opt, torch_opt, steps, start=0, skip=()):
    for step in range(start, start + steps):
        pair.set_grads(step, skip)
        gn_opt.step()
        torch_opt.step()
        pair.assert_close()


def _check_case_trajectory(case, steps=STEPS):
    """``case = (name, options)`` steps as torch.optim does, and moves every parameter."""
    torch = pytest.importorskip("torch")
    name, options = case
    pair = Pair(torch, _initial_arrays())
    _check_same_trajectory(pair, *pair.optimizers(name, options), steps)
    moved = [np.abs(g.array - a).max() for g, a in zip(pair.gn_params, _initial_arrays(),
                                                       strict=True)]
    assert min(moved) > 1e-3


def _check_float32_matches_torch(name, steps):
    """float32 parameters stay float32 and follow torch's to float32 accuracy."""
    torch = pytest.importorskip("torch")
    arrays = [a.astype(np.float32) for a in _initial_arrays(5)]
    gn_params = [gn.tensor(a, requires_grad=True) for a in arrays]
    torch_params = [torch.tensor(a, requires_grad=True) for a in arrays]
    gn_opt = getattr(optim, name)(gn_params, lr=0.01)
    torch_opt = getattr(torch.optim, name)(torch_params, lr=0.01)
    for step in range(steps):
        for i, (g, t) in enumerate(zip(gn_params, torch_params, strict=True)):
            grad = np.random.default_rng([step, i]).standard_normal(g.shape).astype(np.float32)
            g.grad, t.grad = gn.tensor(grad), torch.tensor(grad)
        gn_opt.step()
        torch_opt.step()
    for g, t in zip(gn_params, torch_params, strict=True):
        assert g.array.dtype == np.float32
        np.testing.assert_allclose(g.array, t.detach().numpy(), rtol=1e-5, atol=1e-6)


def _assert_same_state_dict(ours, theirs):
    """Our state dict has torch's group options, state keys in its order, and its numbers."""
    for ours_group, theirs_group in zip(ours["param_groups"], theirs["param_groups"],
                                        strict=True):
        assert {k: theirs_group[k] for k in ours_group} == ours_group
    assert ours["state"].keys() == theirs["state"].keys()
    for index, state in ours["state"].items():
        assert list(state) == list(theirs["state"][index])
        for key, value in state.items():
            np.testing.assert_allclose(value, theirs["state"][index][key].numpy(), rtol=1e-10)
        if "step" in state:
            assert type(state["step"]) is int


def _resume_from_torch(torch, name, options):
    """torch steps 5 times; glassnet loads its state dict and follows it 5 more steps.
    Returns the pair and both optimizers."""
    pair = Pair(torch, _initial_arrays(8))
    torch_opt = getattr(torch.optim, name)(pair.torch_params, **options)
    for step in range(5):
        pair.set_grads(step)
        torch_opt.step()
    for g, t in zip(pair.gn_params, pair.torch_params, strict=True):
        g.array[...] = t.detach().numpy()
    gn_opt = getattr(optim, name)(pair.gn_params, **options)
    gn_opt.load_state_dict(torch_opt.state_dict())
    _check_same_trajectory(pair, gn_opt, torch_opt, 5, start=5)
    return pair, gn_opt, torch_opt


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_trajectory_matches_torch(case):
    _check_case_trajectory(case)


@pytest.mark.parametrize("case", GROUP_CASES, ids=_case_id)
def test_two_param_groups_match_torch(case):
    torch = pytest.importorskip("torch")
    name, defaults, second = case
    pair = Pair(torch, _initial_arrays(1))
    _check_same_trajectory(pair, *pair.optimizers(name, defaults, second), STEPS)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_params_without_grad_are_skipped(name):
    torch = pytest.importorskip("torch")
    options = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    pair = Pair(torch, _initial_arrays(2))
    gn_opt, torch_opt = pair.optimizers(name, {"lr": 0.05, **options})
    frozen = pair.gn_params[1].array.copy()
    _check_same_trajectory(pair, gn_opt, torch_opt, 5, skip={1})
    np.testing.assert_array_equal(pair.gn_params[1].array, frozen)
    _check_same_trajectory(pair, gn_opt, torch_opt, 5, start=5)  # state appears late for parameter 1


def test_added_param_group_matches_torch():
    torch = pytest.importorskip("torch")
    pair = Pair(torch, _initial_arrays(3))
    gn_opt = optim.Adam(pair.gn_params[:2], lr=0.02)
    torch_opt = torch.optim.Adam(pair.torch_params[:2], lr=0.02)
    gn_opt.add_param_group({"params": [pair.gn_params[2]], "lr": 0.1, "amsgrad": True})
    torch_opt.add_param_group({"params": [pair.torch_params[2]], "lr": 0.1, "amsgrad": True})
    _check_same_trajectory(pair, gn_opt, torch_opt, 10)


def test_training_with_autograd_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, y, w0 = rng.standard_normal((8, 3)), rng.standard_normal((8, 2)), rng.standard_normal((3, 2))
    w = gn.tensor(w0, requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    gn_opt = optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)
    torch_opt = torch.optim.SGD([tw], lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)
    for _ in range(STEPS):
        gn_opt.zero_grad()
        torch_opt.zero_grad()
        ((gn.tensor(x) @ w - gn.tensor(y)) ** 2).mean().backward()
        ((torch.tensor(x) @ tw - torch.tensor(y)) ** 2).mean().backward()
        gn_opt.step()
        torch_opt.step()
        np.testing.assert_allclose(w.array, tw.detach().numpy(), rtol=1e-10, atol=1e-10)
    assert w.is_leaf and w.grad_fn is None


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_float32_parameters_stay_float32(name):
    _check_float32_matches_torch(name, 5)


# -- state_dict ---------------------------------------------------------------------


def _two_group_optimizer(name, params, options):
    return getattr(optim, name)(
        [{"params": params[:1]}, {"params": params[1:], "lr": 0.02}], **options)


@pytest.mark.parametrize("case", CASES[1::2], ids=_case_id)
def test_state_dict_resumes_exactly(case):
    name, options = case
    straight = [gn.tensor(a, requires_grad=True) for a in _initial_arrays(6)]
    opt = _two_group_optimizer(name, straight, options)
    resumed = [gn.tensor(a, requires_grad=True) for a in _initial_arrays(6)]
    first = _two_group_optimizer(name, resumed, options)
    for step in range(20):
        if step == 10:
            saved = first.state_dict()
            for p in resumed:  # scribble on the live state: the saved copy must not change
                for value in first.state[p].values():
                    if isinstance(value, np.ndarray):
                        value += 100.0
            first = _two_group_optimizer(name, resumed, {**options, "lr": 7.0})
            first.load_state_dict(saved)
        for params, o in ((straight, opt), (resumed, first)):
            for i, p in enumerate(params):
                p.grad = gn.tensor(_gradient(step, i, p.array))
            o.step()
    for a, b in zip(straight, resumed, strict=True):
        np.testing.assert_array_equal(a.array, b.array)
    assert first.param_groups[1]["lr"] == 0.02


@pytest.mark.parametrize("case", [CASES[2], CASES[11], CASES[19], CASES[23]], ids=_case_id)
def test_state_dict_layout_matches_torch(case):
    torch = pytest.importorskip("torch")
    name, options = case
    pair = Pair(torch, _initial_arrays(7))
    gn_opt, torch_opt = pair.optimizers(name, options, {"lr": 0.2}, split=2)
    _check_same_trajectory(pair, gn_opt, torch_opt, 3, skip={1})
    ours, theirs = gn_opt.state_dict(), torch_opt.state_dict()
    assert [g["params"] for g in ours["param_groups"]] == [[0, 1], [2]]
    assert [g["params"] for g in theirs["param_groups"]] == [[0, 1], [2]]
    _assert_same_state_dict(ours, theirs)


@pytest.mark.parametrize("case", [CASES[6], CASES[11], CASES[19], CASES[24]], ids=_case_id)
def test_load_a_torch_state_dict(case):
    torch = pytest.importorskip("torch")
    name, options = case
    _resume_from_torch(torch, name, options)


def test_state_dict_is_plain_data_and_copies():
    w = gn.tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = gn.tensor(np.full(3, 2.0))
    opt.step()
    saved = opt.state_dict()
    assert saved["param_groups"] == [{"lr": 0.1, "momentum": 0.9, "dampening": 0,
                                      "weight_decay": 0, "nesterov": False,
                                      "maximize": False, "params": [0]}]
    buf = saved["state"][0]["momentum_buffer"]
    np.testing.assert_array_equal(buf, np.full(3, 2.0))
    assert buf is not opt.state[w]["momentum_buffer"]
    opt.load_state_dict(saved)
    assert opt.state[w]["momentum_buffer"] is not buf


def test_adagrad_state_exists_before_the_first_step():
    w = gn.tensor(np.zeros((2, 2)), requires_grad=True)
    opt = optim.Adagrad([w], initial_accumulator_value=0.5)
    state = opt.state_dict()["state"][0]
    assert state["step"] == 0
    np.testing.assert_array_equal(state["sum"], np.full((2, 2), 0.5))


# -- behaviour ----------------------------------------------------------------------


def test_zero_grad_set_to_none_and_zeros():
    w = gn.tensor(np.ones(3), requires_grad=True)
    shared = np.arange(3.0)
    w.grad = gn.from_numpy(shared)
    opt = optim.SGD([w], lr=0.1)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.array, np.zeros(3))
    np.testing.assert_array_equal(shared, np.arange(3.0))  # the old array is untouched
    opt.zero_grad()
    assert w.grad is None


def test_step_runs_the_closure_with_grad_and_records_no_graph():
    w = gn.tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with gn.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 5.0
    np.testing.assert_array_equal(w.array, [0.5, -1.0])  # w − 0.25·2w
    assert w.is_leaf and gn.is_grad_enabled()


def test_updates_are_in_place():
    w = gn.tensor(np.ones(3), requires_grad=True)
    data = w.array
    opt = optim.Adam([w], lr=0.1)
    w.grad = gn.tensor(np.ones(3))
    opt.step()
    assert w.array is data
    assert opt.state[w]["step"] == 1


def test_zero_dim_parameters_keep_array_state():
    for opt_cls in (optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad):
        w = gn.tensor(np.array(1.0), requires_grad=True)
        opt = opt_cls([w], lr=0.1, weight_decay=0.1)
        for _ in range(2):
            w.grad = gn.tensor(np.array(0.5))
            opt.step()
        assert isinstance(w.array, np.ndarray) and w.array < 1.0
        arrays = [v for v in opt.state[w].values() if not isinstance(v, int)]
        assert all(isinstance(v, np.ndarray) for v in arrays)


def test_repr_lists_groups():
    w = gn.tensor(np.ones(2), requires_grad=True)
    text = repr(optim.SGD([w], lr=0.5, momentum=0.9))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.5" in text


def test_public_api():
    assert optim.__all__ == sorted(optim.__all__)
    public = {n for n in dir(optim) if not n.startswith("_")}
    assert set(optim.__all__) == public
    assert issubclass(optim.AdamW, optim.Adam)


# -- errors -------------------------------------------------------------------------


def _w():
    return gn.tensor(np.ones(2), requires_grad=True)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: optim.SGD([], lr=0.1), GlassnetValueError, "empty parameter list"),
        (lambda: optim.SGD([_w()], lr=-0.1), GlassnetValueError, "lr must be >= 0"),
        (lambda: optim.Adam([{"params": [_w()], "lr": -1.0}]), GlassnetValueError, "lr"),
        (lambda: optim.SGD([np.ones(2)], lr=0.1), GlassnetTypeError, "only optimize Tensors"),
        (lambda: optim.SGD(_w(), lr=0.1), GlassnetTypeError, "single Tensor"),
        (lambda: optim.SGD(3, lr=0.1), GlassnetTypeError, "iterable"),
        (lambda: optim.SGD({_w()}, lr=0.1), GlassnetTypeError, "not a set"),
        (lambda: optim.SGD([_w() * 2], lr=0.1), GlassnetValueError, "non-leaf"),
        (lambda: optim.SGD([_w()], nesterov=True), GlassnetValueError, "Nesterov"),
        (lambda: optim.SGD([_w()], momentum=-0.5), GlassnetValueError, "momentum"),
        (lambda: optim.Adam([_w()], betas=(1.0, 0.9)), GlassnetValueError, "betas"),
        (lambda: optim.Adam([_w()], eps=-1e-8), GlassnetValueError, "eps"),
        (lambda: optim.AdamW([_w()], weight_decay=-1), GlassnetValueError, "weight_decay"),
        (lambda: optim.RMSprop([_w()], alpha=-0.1), GlassnetValueError, "alpha"),
        (lambda: optim.Adagrad([_w()], lr_decay=-1), GlassnetValueError, "lr_decay"),
    ],
)
def test_construction_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_duplicate_and_overlapping_params_are_refused():
    w = _w()
    with pytest.raises(GlassnetValueError, match="twice"):
        optim.SGD([w, w], lr=0.1)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(GlassnetValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(GlassnetTypeError, match="dict"):
        opt.add_param_group([_w()])
    with pytest.raises(GlassnetValueError, match="'params'"):
        opt.add_param_group({"lr": 0.1})


def test_load_state_dict_errors():
    a, b, c = _w(), _w(), _w()
    saved = optim.SGD([{"params": [a]}, {"params": [b, c]}], lr=0.1).state_dict()
    with pytest.raises(GlassnetValueError, match="2 parameter group"):
        optim.SGD([a, b, c], lr=0.1).load_state_dict(saved)
    with pytest.raises(GlassnetValueError, match="group 1 has 2 parameter"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(GlassnetValueError, match="'state' and 'param_groups'"):
        optim.SGD([a], lr=0.1).load_state_dict({"state": {}})
    bad = {"state": {0: {"momentum_buffer": np.zeros(5)}},
           "param_groups": [{"lr": 0.1, "params": [0]}]}
    with pytest.raises(GlassnetValueError, match=r"shape \(5,\)"):
        optim.SGD([a], lr=0.1, momentum=0.9).load_state_dict(bad)
    stray = {"state": {9: {}}, "param_groups": [{"lr": 0.1, "params": [0]}]}
    with pytest.raises(GlassnetError, match="no parameter group lists"):
        optim.SGD([a], lr=0.1).load_state_dict(stray)
    negative = {"state": {}, "param_groups": [{"lr": -0.1, "params": [0]}]}
    with pytest.raises(GlassnetValueError, match="lr must be >= 0"):
        optim.SGD([a], lr=0.1).load_state_dict(negative)


def test_load_state_dict_fills_missing_options_from_defaults():
    w = _w()
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    opt.load_state_dict({"state": {}, "param_groups": [{"lr": 0.3, "params": [0]}]})
    assert opt.param_groups[0]["lr"] == 0.3 and opt.param_groups[0]["momentum"] == 0.9
    assert opt.param_groups[0]["params"][0] is w


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_on_large_parameters_uses_the_same_update(dtype, momentum):
    """Parameters above the BLAS-axpy size threshold follow p ← p − lr·d exactly as small
    ones do (the in-place axpy path must not change the numbers)."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((80, 80)).astype(dtype)
    grads = [rng.standard_normal((80, 80)).astype(dtype) for _ in range(3)]
    p = gn.tensor(start.copy(), requires_grad=True)
    opt = gn.optim.SGD([p], lr=0.1, momentum=momentum)
    expected, buf = start.astype(np.float64), None
    for g in grads:
        p.grad = gn.tensor(g)
        opt.step()
        buf = g.astype(np.float64) if buf is None or momentum == 0 else momentum * buf + g
        expected = expected - 0.1 * buf
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(p.numpy(), expected, rtol=tol, atol=tol)
