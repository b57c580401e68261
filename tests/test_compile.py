"""gn.compile: a captured step replays to the same numbers as eager mode, re-captures on a
new signature or a changed branch, and refuses (runs eagerly, saying why) what it cannot follow."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.capture import compile as capture_compile


def _mlp(dtype, optimizer):
    gn.manual_seed(0)
    model = gn.nn.Sequential(gn.nn.Linear(6, 16), gn.nn.ReLU(), gn.nn.Linear(16, 16), gn.nn.Tanh(),
                             gn.nn.Linear(16, 3)).to(dtype)
    opt = (gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if optimizer == "sgd"
           else gn.optim.Adam(model.parameters(), lr=1e-2))
    loss_fn = gn.nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return model, step


def _batches(dtype, n=20, batch=8, features=6, classes=3):
    rng = np.random.default_rng(0)
    return [(gn.tensor(rng.standard_normal((batch, features)).astype(dtype)),
             gn.tensor(rng.integers(0, classes, batch))) for _ in range(n)]


def _max_difference(a, b):
    pairs = zip(a.parameters(), b.parameters(), strict=True)
    return max(float(np.abs(p.array - q.array).max()) for p, q in pairs)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_training_matches_eager_over_20_steps(dtype, optimizer):
    eager_model, eager_step = _mlp(dtype, optimizer)
    model, step = _mlp(dtype, optimizer)
    compiled = capture_compile(step, fuse=False)  # numba's fused exp/log round differently (its own test)
    eager_losses, losses = [], []
    for x, y in _batches(dtype):
        eager_losses.append(eager_step(x, y).item())
        losses.append(compiled(x, y).item())
    assert compiled.tape.refusal is None and len(compiled.log) == 1  # captured once, replayed 19 times
    if dtype == np.float64:
        assert _max_difference(eager_model, model) <= 1e-12
        np.testing.assert_allclose(losses, eager_losses, rtol=1e-12)
    else:  # the same kernels in the same order: bit for bit
        assert _max_difference(eager_model, model) == 0.0
        assert losses == eager_losses


def test_replay_builds_no_graph_and_sets_grads():
    model, step = _mlp(np.float64, "sgd")
    compiled = capture_compile(step)
    (x, y), (x2, y2) = _batches(np.float64, n=2)
    compiled(x, y)
    loss = compiled(x2, y2)
    assert loss.grad_fn is None and not loss.requires_grad
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())


def test_inference_forward_under_no_grad():
    model, _ = _mlp(np.float64, "sgd")
    compiled = capture_compile(gn.no_grad()(lambda x: gn.nn.functional.softmax(model(x), dim=1)))
    for x, _ in _batches(np.float64, n=4):
        expected = gn.nn.functional.softmax(model(x), dim=1)
        np.testing.assert_array_equal(compiled(x).array, expected.array)
    assert compiled.tape.refusal is None


def test_forward_whose_result_needs_a_graph_runs_eagerly():
    model, _ = _mlp(np.float64, "sgd")
    compiled = capture_compile(lambda x: model(x))
    x, _ = _batches(np.float64, n=1)[0]
    out = compiled(x)
    out.sum().backward()  # the eager result keeps its graph
    assert "carries a graph" in compiled.tape.refusal
    assert compiled(x).grad_fn is not None  # still eager, never a detached replay


def test_cnn_step_matches_eager():
    def make():
        gn.manual_seed(0)
        m = gn.nn.Sequential(gn.nn.Conv2d(1, 4, 3), gn.nn.ReLU(), gn.nn.MaxPool2d(2), gn.nn.Flatten(),
                             gn.nn.Linear(36, 5)).to(gn.float64)
        opt = gn.optim.Adam(m.parameters(), lr=1e-2)

        def step(x, y):
            opt.zero_grad()
            loss = gn.nn.functional.cross_entropy(m(x), y)
            loss.backward()
            opt.step()
            return loss
        return m, step
    rng = np.random.default_rng(1)
    data = [(gn.tensor(rng.standard_normal((4, 1, 8, 8))), gn.tensor(rng.integers(0, 5, 4)))
            for _ in range(6)]
    (m1, s1), (m2, s2) = make(), make()
    compiled = capture_compile(s2)
    for x, y in data:
        s1(x, y)
        compiled(x, y)
    assert compiled.tape.refusal is None
    assert _max_difference(m1, m2) <= 1e-12
    kernels = {e.kernel.name for e in compiled.tape.entries if e.kernel is not None}
    assert kernels >= {"conv_per_sample", "max_pool_separable"}  # the fast tier replays as captured


def test_new_shape_captures_again_and_cache_is_bounded():
    eager_model, eager_step = _mlp(np.float64, "sgd")
    model, step = _mlp(np.float64, "sgd")
    compiled = capture_compile(step, cache_size=2)
    for batch in (8, 5, 8, 3, 8, 5):  # 8 replays once; then 3 pushes 5 out, which comes back
        (x, y), = _batches(np.float64, n=1, batch=batch)
        np.testing.assert_allclose(compiled(x, y).array, eager_step(x, y).array, rtol=1e-12)
    assert _max_difference(eager_model, model) <= 1e-12
    assert sum("captured" in line for line in compiled.log) == 4
    assert any("cache full (2 signatures)" in line for line in compiled.log)
    assert len(compiled._cache) == 2


def test_branch_on_a_tensor_value_is_checked_at_every_replay():
    w = gn.tensor([1.0, -2.0], dtype=gn.float64)

    def f(x):
        s = (x * w).sum()
        if s > 0:  # bool(tensor): a guard
            return s * 2.0
        return s * -3.0
    compiled = capture_compile(f)
    up, down = gn.tensor([3.0, 1.0], dtype=gn.float64), gn.tensor([1.0, 1.0], dtype=gn.float64)
    assert compiled(up).item() == 2.0
    assert compiled(gn.tensor([5.0, 1.0], dtype=gn.float64)).item() == 6.0  # replayed, same branch
    assert compiled(down).item() == 3.0  # the guard caught the other branch: re-captured
    assert any("re-capturing: bool(tensor)" in line and "was True when captured, now False" in line
               for line in compiled.log)
    assert compiled(down).item() == 3.0


def test_branch_that_keeps_changing_ends_eager():
    def f(x):
        return x * 2.0 if x.sum() > 0 else x * -1.0
    compiled = capture_compile(f)
    for i in range(10):
        x = gn.tensor([1.0 if i % 2 else -1.0], dtype=gn.float64)
        assert compiled(x).item() == (2.0 if i % 2 else 1.0)
    assert "changed 4 times" in compiled.tape.refusal


def test_item_inside_the_step_is_refused_and_runs_eagerly(capsys):
    model, step = _mlp(np.float64, "sgd")
    eager_model, eager_step = _mlp(np.float64, "sgd")
    compiled = capture_compile(lambda x, y: step(x, y).item(), explain=True)
    for x, y in _batches(np.float64, n=3):
        assert compiled(x, y) == eager_step(x, y).item()
    assert "item() at" in compiled.tape.refusal and "test_compile.py" in compiled.tape.refusal
    assert "runs eagerly: item() at" in capsys.readouterr().err
    assert _max_difference(eager_model, model) == 0.0


def test_random_draws_are_refused():
    gn.manual_seed(0)
    compiled = capture_compile(gn.no_grad()(lambda x: gn.nn.functional.dropout(x, 0.5)))
    x = gn.ones(4, 6)
    first, second = compiled(x), compiled(x)
    assert "draws random numbers" in compiled.tape.refusal
    assert not np.array_equal(first.array, second.array)  # fresh masks: eager each time


def test_array_copied_by_tensor_is_refused():
    w = gn.tensor([[1.0, 2.0]], dtype=gn.float64)
    compiled = capture_compile(gn.no_grad()(lambda a: gn.tensor(a) @ w.T))
    assert compiled(np.array([[1.0, 1.0]])).item() == 3.0
    assert compiled(np.array([[2.0, 1.0]])).item() == 4.0  # eager, not the first call's copy
    assert "matmul reads a tensor made by tensor() outside the recorded primitives" in compiled.tape.refusal


def test_comparisons_are_recorded():
    compiled = capture_compile(gn.no_grad()(lambda x: (x > 0).float() * x))
    assert compiled(gn.tensor([1.0, -1.0])).tolist() == [1.0, -0.0]
    assert compiled(gn.tensor([-1.0, 2.0])).tolist() == [-0.0, 2.0]
    assert compiled.tape.refusal is None


def test_tensor_made_outside_primitives_is_refused():
    compiled = capture_compile(gn.no_grad()(lambda x: x.argmax(dim=1).float() + x[:, 0]))
    assert compiled(gn.tensor([[1.0, 3.0]])).tolist() == [2.0]
    assert compiled(gn.tensor([[5.0, 3.0]])).tolist() == [5.0]
    assert "made by argmax() outside the recorded primitives" in compiled.tape.refusal


def test_manual_sgd_under_no_grad_is_replayed():
    def make():
        gn.manual_seed(0)
        w = gn.randn(3, 2, dtype=gn.float64, requires_grad=True)

        def step(x):
            w.grad = None
            loss = ((x @ w) ** 2).mean()
            loss.backward()
            with gn.no_grad():
                w.sub_(0.1 * w.grad)
            return loss
        return w, step
    (w1, s1), (w2, s2) = make(), make()
    compiled = capture_compile(s2)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = gn.tensor(rng.standard_normal((4, 3)))
        s1(x)
        compiled(x)
    assert compiled.tape.refusal is None
    np.testing.assert_allclose(w2.array, w1.array, rtol=0, atol=1e-15)


def test_explain_lists_the_primitives_with_their_formulas():
    _, step = _mlp(np.float64, "adam")
    compiled = capture_compile(step, fuse=False)
    assert compiled.explain() == "compiled step: not captured yet (call it once)"
    x, y = _batches(np.float64, n=1)[0]
    compiled(x, y)
    text = compiled.explain()
    lines = text.splitlines()
    assert lines[0] == "compiled step: 22 steps over 32 arrays — replayed as array calls"
    assert lines[1:3] == ["── gradients (1 steps) ──", "   0  Adam             Adam.zero_grad() run as is"]
    assert "── forward (7 steps) ──" in lines  # six primitives and the guard on the .grad state
    assert "── backward (13 steps) ──" in lines
    assert "── update (1 steps) ──" in lines
    assert ("  21  Adam             [replay: fused (numpy)] Adam.step(), fused (its own step() in cases "
            "not covered)") in lines
    assert ("   1  LinearOp         [reference] [replay: out= (GEMM; + b fused below)] s0[8, 6] s2[16, 6] "
            "s3[16] → s4[8, 16]   Z = X·Wᵀ + b   (each row: z = W·x + b)") in lines
    assert any("ReLU ∂" in line and "dx = dy · [x > 0]" in line for line in lines)
    # the second Linear feeds a Tanh, not a ReLU: its bias is added in its own step
    assert any(line.startswith("   3  LinearOp         [reference] [replay: out=] ") for line in lines)
    assert lines[-5:] == [
        "── fused groups (4, numpy kernels) ──",
        "  steps 1, 2     bias + ReLU: Y = max(X·Wᵀ + b, 0): the GEMM, then one pass adds b and clips",
        "  steps 6        softmax + cross-entropy: per row: max, exp, Σ, Ŷ = exp / Σ and L_i = log Σ − "
        "(z_{y_i} − max); L = mean_i L_i",
        "  steps 13       ReLU backward: dX = dY · [Y > 0] in one pass",
        "  steps 21       Adam update: m ← m + (1 − β1)·(g − m); v ← β2·v + (1 − β2)·g²; p ← p − "
        "lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps) (one pass per parameter, or over all at once)",
    ]
    assert gn.capture.explain(compiled) == text


def test_replay_eagerly_renders_numbers():
    gn.manual_seed(0)
    lin = gn.nn.Linear(2, 1).to(gn.float64)
    lin.weight.data[...] = [[1.0, 2.0]]
    lin.bias.data[...] = [0.5]
    compiled = capture_compile(lambda x: lin(x).sum())
    text = compiled.replay_eagerly(gn.tensor([[1.0, 1.0]], dtype=gn.float64))
    assert text.splitlines()[0] == "<lambda>, run eagerly: 2 primitives"
    assert "out = [[3.5]]  [1, 1] float64" in text


def test_gn_compile_is_the_capture_and_keeps_pytorch_forms():
    model = gn.nn.Linear(2, 2)
    assert gn.compile(model) is model
    assert gn.compile(mode="max-autotune")(len) is not len
    assert gn.compile(len, disable=True) is len
    with pytest.raises(gn.GlassnetTypeError, match="unknown option"):
        gn.compile(len, speed=3)


def test_fit_with_compile_matches_eager(monkeypatch):
    import glassnet.capture

    made = []
    monkeypatch.setattr(glassnet.capture, "compile", lambda fn: made.append(capture_compile(fn)) or made[-1])
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 6)), rng.integers(0, 3, 50)  # batches of 16 and a last one of 2

    def train(compile):
        model, _ = _mlp(np.float64, "sgd")
        opt = gn.optim.Adam(model.parameters(), lr=1e-2)
        history = gn.train.fit(model, (X, y), gn.nn.CrossEntropyLoss(), opt, epochs=3, batch_size=16, seed=0,
                               progress=False, compile=compile)
        return model, history
    (m1, h1), (m2, h2) = train(False), train(True)
    assert _max_difference(m1, m2) <= 1e-12
    np.testing.assert_allclose(h2["loss"], h1["loss"], rtol=1e-12)
    assert [line.split(": ")[1][:8] for line in made[0].log] == ["captured", "new sign"] + ["captured"]
    assert made[0].tape.refusal is None


def test_cli_train_takes_compile(tmp_path):
    from glassnet.cli import main

    assert main(["train", "--dataset", "digits", "--epochs", "1", "--compile", "--no-progress",
                 "--out", str(tmp_path / "run")]) in (0, None)
    assert (tmp_path / "run" / "results.json").exists()


def test_batchnorm_in_training_mode_runs_eagerly():
    gn.manual_seed(0)
    bn = gn.nn.BatchNorm1d(3, momentum=None).to(gn.float64)
    compiled = capture_compile(gn.no_grad()(lambda x: bn(x)))
    x = gn.tensor(np.arange(12.0).reshape(4, 3))
    compiled(x)
    compiled(x)
    assert int(bn.num_batches_tracked.item()) == 2
    assert "num_batches_tracked" in compiled.tape.refusal
