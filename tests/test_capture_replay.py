"""gn.compile's lowered replay: preallocated arrays and fused kernels give the numbers of the
recorded replay and of eager mode; numba's kernels (the ``fast`` extra) equal the NumPy ones."""

import json
import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import glassnet as gn
from glassnet.capture import _fused
from glassnet.capture import compile as capture_compile
from glassnet.capture._fused import NumpyKernels


def _model(dtype, optimizer, sizes=(12, 32, 32, 5), **options):
    gn.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers += [gn.nn.Linear(a, b), gn.nn.ReLU()] if i < len(sizes) - 2 else [gn.nn.Linear(a, b)]
    model = gn.nn.Sequential(*layers).to(dtype)
    opt = (gn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, **options) if optimizer == "sgd"
           else gn.optim.Adam(model.parameters(), lr=1e-2, **options))
    return model, opt, _training_step(model, opt)


def _training_step(model, opt):
    loss_fn = gn.nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        return out, loss
    return step


def _batches(dtype, n=12, batch=16, features=12, classes=5):
    rng = np.random.default_rng(1)
    return [(gn.from_numpy(rng.standard_normal((batch, features)).astype(dtype)),
             gn.from_numpy(rng.integers(0, classes, batch))) for _ in range(n)]


def _train(step, batches):
    return [(out.array.copy(), loss.item()) for out, loss in (step(x, y) for x, y in batches)]


def _assert_same(runs, model_a, model_b, dtype, float32_tol=0.0):
    (a, model_a), (b, model_b) = (runs[0], model_a), (runs[1], model_b)
    tol = 1e-12 if dtype == np.float64 else float32_tol
    for (out_a, loss_a), (out_b, loss_b) in zip(a, b, strict=True):
        np.testing.assert_allclose(out_b, out_a, rtol=tol, atol=tol)
        assert abs(loss_b - loss_a) <= tol * max(1.0, abs(loss_a))
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        np.testing.assert_allclose(q.array, p.array, rtol=tol, atol=tol)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_preallocated_replay_equals_eager(dtype, optimizer):
    eager_model, _, eager = _model(dtype, optimizer)
    model, _, step = _model(dtype, optimizer)
    compiled = capture_compile(step, fuse=False)
    batches = _batches(dtype)
    runs = [_train(eager, batches), _train(compiled, batches)]
    tape = compiled.tape
    assert tape.refusal is None and tape.kernels == "numpy" and len(compiled.log) == 1
    lowered = [e.name for e in tape.entries if e.replay]
    assert lowered.count("LinearOp") == 6 and lowered.count("ReLU") == 4  # forward and backward each
    update = "SGD update" if optimizer == "sgd" else "Adam update"
    assert [title for title, _, _ in tape.groups] == ["bias + ReLU", "bias + ReLU", "softmax + cross-entropy",
                                                      "ReLU backward", "ReLU backward", update]
    _assert_same(runs, eager_model, model, dtype)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_numba_replay_equals_the_numpy_replay(dtype, optimizer):
    pytest.importorskip("numba")
    numpy_model, _, numpy_step = _model(dtype, optimizer, sizes=(12, 300, 260, 5))
    fused_model, _, fused_step = _model(dtype, optimizer, sizes=(12, 300, 260, 5))
    unfused, fused = capture_compile(numpy_step, fuse=False), capture_compile(fused_step, fuse=True)
    batches = _batches(dtype, batch=260)
    runs = [_train(unfused, batches), _train(fused, batches)]
    assert fused.tape.kernels == "numba" and unfused.tape.kernels == "numpy"
    softmax = [e.replay for e in fused.tape.entries if e.name == "SoftmaxCrossEntropyIndex"]
    assert softmax == ["fused (numba)"] * 2
    # numba's exp and log may round the last bit differently from NumPy's (float32: 6e-8)
    _assert_same(runs, numpy_model, fused_model, dtype, float32_tol=1e-5)


def _edge_arrays(dtype, shape, rng):
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    flat[:4] = [np.nan, -0.0, 0.0, np.inf]
    return a


@pytest.mark.parametrize("size", [(7, 5), (300, 300)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numba_kernels_equal_numpy_kernels_bit_for_bit(dtype, size):
    pytest.importorskip("numba")
    fast = _fused.kernels(True)
    rng = np.random.default_rng(0)
    z, b = _edge_arrays(dtype, size, rng), rng.standard_normal(size[1]).astype(dtype)
    out_np, out_nb = np.empty_like(z), np.empty_like(z)
    NumpyKernels.bias_relu(z, b, out_np)
    fast.bias_relu(z, b, out_nb)
    np.testing.assert_array_equal(np.signbit(out_nb), np.signbit(out_np))
    np.testing.assert_array_equal(out_nb, out_np)
    g, y = _edge_arrays(dtype, size, rng), _edge_arrays(dtype, size, rng)[::-1].copy()
    with np.errstate(invalid="ignore"):  # inf · 0, as the reference backward would warn
        NumpyKernels.relu_grad(g, y, out_np, np.empty(size, bool))
    fast.relu_grad(g, y, out_nb, None)
    np.testing.assert_array_equal(np.signbit(out_nb), np.signbit(out_np))
    np.testing.assert_array_equal(out_nb, out_np)
    scalars = [dtype(v) for v in (0.1, 0.999, 0.001, 0.3, 1e-8, 0.02)]
    flat = size[0] * size[1]  # the updates take flat arrays
    first = [rng.standard_normal(flat).astype(dtype) for _ in range(3)] + [rng.random(flat).astype(dtype)]
    states = [first, [a.copy() for a in first]]  # p, g, m, v
    NumpyKernels.adam(*states[0][:1], *states[0][1:], *scalars, np.empty(flat, dtype))
    fast.adam(*states[1][:1], *states[1][1:], *scalars, None)
    for mine, theirs in zip(states[1], states[0], strict=True):
        np.testing.assert_array_equal(mine, theirs)
    _check_softmax_ce(fast, dtype, size, rng)
    NumpyKernels.sgd_momentum(*states[0][:3], dtype(0.9), dtype(-0.05), np.empty(flat, dtype))
    fast.sgd_momentum(*states[1][:3], dtype(0.9), dtype(-0.05), None)
    for mine, theirs in zip(states[1], states[0], strict=True):
        np.testing.assert_array_equal(mine, theirs)


def _check_softmax_ce(fast, dtype, size, rng):
    """The forward to rounding (exp, log and the row sums' order), the backward bit for bit."""
    z = (rng.standard_normal(size) * 5).astype(dtype)
    labels = rng.integers(0, size[1], size[0])
    work_np, work_nb = _fused.SoftmaxWork(size, dtype), _fused.SoftmaxWork(size, dtype)
    losses_np = NumpyKernels.softmax_ce(z, labels, work_np).copy()
    losses_nb = fast.softmax_ce(z, labels, work_nb)
    tol = 1e-14 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(losses_nb, losses_np, rtol=tol, atol=tol)
    np.testing.assert_allclose(work_nb.prob, work_np.prob, rtol=tol, atol=tol)
    out_np, out_nb = np.empty(size, dtype), np.empty(size, dtype)
    scale = np.asarray(1.0, dtype) / size[0]
    NumpyKernels.softmax_ce_grad(work_np.prob, labels, scale, out_np, work_np.rows)
    fast.softmax_ce_grad(work_np.prob, labels, scale, out_nb, work_np.rows)
    np.testing.assert_array_equal(out_nb, out_np)
    for bad in (size[1], -size[1] - 1):  # a label out of range: NumPy's error, never a read past the row
        labels[size[0] // 2] = bad
        with pytest.raises(IndexError):
            fast.softmax_ce(z, labels, work_nb)
        with pytest.raises(IndexError):
            fast.softmax_ce_grad(work_np.prob, labels, scale, out_nb, work_np.rows)


def test_results_are_fresh_and_gradient_arrays_are_reused():
    model, _, step = _model(np.float64, "adam")
    compiled = capture_compile(step, fuse=False)
    (x1, y1), (x2, y2), (x3, y3) = _batches(np.float64, n=3)
    compiled(x1, y1)
    out2, loss2 = compiled(x2, y2)
    grads2 = [p.grad.array for p in model.parameters()]
    kept, kept_loss = out2.array.copy(), loss2.item()
    out3, loss3 = compiled(x3, y3)
    np.testing.assert_array_equal(out2.array, kept)  # the caller's result is not overwritten
    assert loss2.item() == kept_loss and out3.array is not out2.array
    assert all(p.grad.array is g for p, g in zip(model.parameters(), grads2, strict=True))


def test_replay_allocates_a_small_fraction_of_eager():
    """A step's arrays are allocated once per capture: a replay's own allocations (the loss,
    a per-row loss vector, Tensor wrappers) stay far below one eager step's."""
    _, _, eager = _model(np.float64, "sgd", sizes=(64, 256, 256, 10))
    _, _, step = _model(np.float64, "sgd", sizes=(64, 256, 256, 10))
    compiled = capture_compile(step, fuse=False)
    x, y = _batches(np.float64, n=1, batch=64, features=64, classes=10)[0]
    for _ in range(2):
        eager(x, y)
        compiled(x, y)

    def peak(fn):
        tracemalloc.start()
        try:
            fn(x, y)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    eager_peak, replay_peak = peak(eager), peak(compiled)
    assert eager_peak > 64 * 256 * 8 * 4  # several activations of (64, 256) float64
    assert replay_peak < eager_peak / 10, (replay_peak, eager_peak)


def test_update_falls_back_to_the_optimiser_when_options_leave_the_fused_case():
    eager_model, eager_opt, eager = _model(np.float64, "sgd")
    model, opt, step = _model(np.float64, "sgd")
    compiled = capture_compile(step, fuse=False)
    batches = _batches(np.float64)
    runs = [[], []]
    for k, (x, y) in enumerate(batches):
        if k == 4:  # Nesterov from now on, then a smaller learning rate (as a scheduler would)
            for o in (eager_opt, opt):
                o.param_groups[0]["nesterov"] = True
        if k == 8:
            for o in (eager_opt, opt):
                o.param_groups[0].update(nesterov=False, lr=0.01)
        for run, fn in zip(runs, (eager, compiled), strict=True):
            out, loss = fn(x, y)
            run.append((out.array.copy(), loss.item()))
    assert len(compiled.log) == 1  # one capture: options are read at every replay
    _assert_same(runs, eager_model, model, np.float64)


def test_fuse_option_is_checked(monkeypatch):
    with pytest.raises(gn.GlassnetValueError, match="fuse must be True, False or 'auto', got 'yes'"):
        capture_compile(lambda x: x, fuse="yes")
    monkeypatch.setattr(_fused, "available", lambda: False)
    with pytest.raises(gn.GlassnetValueError, match=r"need numba — pip install 'glassnet\[fast\]'"):
        capture_compile(lambda x: x, fuse=True)
    assert capture_compile(lambda x: x, fuse="auto").kernels is NumpyKernels


_CACHED_STEP = """
import json, sys
import numpy as np
import glassnet as gn
assert "numba" not in sys.modules  # import glassnet loads no numba (and so writes no cache)
gn.manual_seed(0)
model = gn.nn.Sequential(gn.nn.Linear(4, 8), gn.nn.ReLU(), gn.nn.Linear(8, 3))
opt, loss_fn = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), gn.nn.CrossEntropyLoss()

def step(x, y):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss

compiled = gn.compile(step, fuse=True)
assert "numba" not in sys.modules  # nor does compiling a function: numba is imported at its first capture
x, y = gn.from_numpy(np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4)), gn.from_numpy(np.arange(5) % 3)
losses = [compiled(x, y).item() for _ in range(3)]
from glassnet.capture import _numba_loops as loops
called = ("bias_relu", "relu_grad", "softmax_ce", "softmax_ce_grad", "sgd_momentum")  # by this step's replay
stats = {name: getattr(loops, name).stats for name in called}
print(json.dumps({"losses": losses,
                  "hits": sum(sum(s.cache_hits.values()) for s in stats.values()),
                  "misses": sum(sum(s.cache_misses.values()) for s in stats.values())}))
"""


def test_numba_kernels_compile_once_and_the_next_process_loads_them_from_disk(tmp_path):
    pytest.importorskip("numba")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def run():
        out = subprocess.run([sys.executable, "-c", _CACHED_STEP], env=env, check=True, capture_output=True,
                             text=True)
        return json.loads(out.stdout)
    first = run()
    cached = sorted(p.suffix for p in (tmp_path / "numba").rglob("*.nb*"))
    second = run()
    assert (first["hits"], first["misses"]) == (0, 5)
    # machine code and an index per loop: the five, and the label check that the softmax loops call
    assert cached == [".nbc"] * 6 + [".nbi"] * 6
    assert (second["hits"], second["misses"]) == (5, 0)
    assert second["losses"] == first["losses"] and first["losses"][2] < first["losses"][0]


@pytest.mark.parametrize("fuse", [False, "auto"])
def test_update_follows_arrays_that_are_replaced_between_steps(fuse):
    """The fused update keeps flat views of each parameter's arrays; a parameter rebound
    (``p.data = …``), optimiser state loaded anew, or a state array that is no longer
    contiguous (then the optimiser's own step runs) must give eager mode's numbers."""
    eager_model, eager_opt, eager = _model(np.float64, "adam")
    model, opt, step = _model(np.float64, "adam")
    compiled = capture_compile(step, fuse=fuse)
    runs = [[], []]
    for k, (x, y) in enumerate(_batches(np.float64)):
        for m, o in ((eager_model, eager_opt), (model, opt)):
            first = next(iter(m.parameters()))
            if k == 3:
                first.data = gn.from_numpy(first.array * 0.5)
            if k == 5:
                o.load_state_dict(o.state_dict())
            if k == 7:
                o.state[first]["exp_avg"] = np.asfortranarray(o.state[first]["exp_avg"])
        for run, fn in zip(runs, (eager, compiled), strict=True):
            out, loss = fn(x, y)
            run.append((out.array.copy(), loss.item()))
    assert len(compiled.log) == 1
    _assert_same(runs, eager_model, model, np.float64)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_update_runs_over_all_gradients_at_once(dtype, optimizer):
    """With the NumPy kernels the leaves' gradients are views of one array and the update runs
    over it in one pass: the optimiser's state becomes views of arrays laid out alike, and the
    numbers (state included) are eager mode's — the same bits in float32."""
    eager_model, eager_opt, eager = _model(dtype, optimizer)
    model, opt, step = _model(dtype, optimizer)
    compiled = capture_compile(step, fuse=False)
    batches = _batches(dtype)
    runs = [_train(eager, batches), _train(compiled, batches)]
    grads = [p.grad.array for p in model.parameters()]
    assert len({id(g.base) for g in grads}) == 1 and grads[0].base.size == sum(g.size for g in grads)
    keys = ("momentum_buffer",) if optimizer == "sgd" else ("exp_avg", "exp_avg_sq")
    for key in keys:
        bases = {id(opt.state[p][key].base) for p in model.parameters()}
        assert len(bases) == 1 and all(opt.state[p][key].base is not None for p in model.parameters())
    _assert_same(runs, eager_model, model, dtype)
    for p, q in zip(eager_model.parameters(), model.parameters(), strict=True):
        for key in keys:
            np.testing.assert_array_equal(opt.state[q][key], eager_opt.state[p][key])
        if optimizer == "adam":
            assert opt.state[q]["step"] == eager_opt.state[p]["step"] == len(batches)


def test_numpy_update_over_two_groups_and_step_counts_set_apart():
    """Two parameter groups (their own lr) are two runs; step counts set apart by hand make
    that run's parameters update one at a time — eager mode's numbers throughout."""
    def build():
        model, _, _ = _model(np.float64, "adam")
        params = list(model.parameters())
        opt = gn.optim.Adam([{"params": params[:4]}, {"params": params[4:], "lr": 3e-3}], lr=1e-2)
        return model, opt, _training_step(model, opt)
    (eager_model, eager_opt, eager), (model, opt, step) = build(), build()
    compiled = capture_compile(step, fuse=False)
    runs = [[], []]
    for k, (x, y) in enumerate(_batches(np.float64)):
        if k == 6:
            for o in (eager_opt, opt):
                o.state[o.param_groups[0]["params"][1]]["step"] += 3
        for run, fn in zip(runs, (eager, compiled), strict=True):
            out, loss = fn(x, y)
            run.append((out.array.copy(), loss.item()))
    assert len(compiled.log) == 1
    bases = {id(opt.state[p]["exp_avg"].base) for p in model.parameters()}
    assert len(bases) == 2  # one run per group
    _assert_same(runs, eager_model, model, np.float64)
    for p, q in zip(eager_model.parameters(), model.parameters(), strict=True):
        assert opt.state[q]["step"] == eager_opt.state[p]["step"]
        np.testing.assert_allclose(opt.state[q]["exp_avg_sq"], eager_opt.state[p]["exp_avg_sq"], rtol=1e-12)
