"""gn.explain.compiled: a captured step shown by hand — its tape with formulas and fused
groups, and on request one step run eagerly with its numbers."""

import numpy as np
import pytest

import glassnet as gn


def _tiny_step():
    gn.manual_seed(0)
    model = gn.nn.Sequential(gn.nn.Linear(2, 2), gn.nn.ReLU(), gn.nn.Linear(2, 2)).to(gn.float64)
    model[0].weight.data[...] = [[1.0, -1.0], [0.5, 2.0]]
    model[0].bias.data[...] = [0.0, -1.0]
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = gn.nn.CrossEntropyLoss()

    def train_step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return model, train_step


def test_tape_lists_formulas_replay_kinds_and_fused_groups():
    _, train_step = _tiny_step()
    step = gn.compile(train_step, fuse=False)
    assert gn.explain.compiled(step).to_text().splitlines()[3] == (
        "compiled train_step: not captured yet (call it once)")
    x, y = gn.tensor([[1.0, 2.0]], dtype=gn.float64), gn.tensor([1])
    step(x, y)
    explanation = gn.explain.compiled(step)
    text = explanation.to_text(width=200)
    lines = text.splitlines()
    assert lines[0] == "Compiled step by hand: train_step"
    assert lines[3] == "compiled train_step: 16 steps over 22 arrays — replayed as array calls"
    assert any(line.startswith("   2  ReLU             [reference] [replay: fused (numpy)]")
               and line.endswith("y = max(x, 0)") for line in lines)
    assert any("LinearOp ∂" in line and "dX = dZ·W; dW = dZᵀ·X; db = Σ_rows dZ" in line for line in lines)
    assert "── fused groups (4, numpy kernels) ──" in lines
    assert ("  steps 15       SGD update: v ← μ·v + g; p ← p − lr·v (one pass per parameter, or over all "
            "at once)") in lines
    assert ("  steps 1, 2     bias + ReLU: Y = max(X·Wᵀ + b, 0): the GEMM, then one pass adds b and "
            "clips") in lines
    assert explanation.numbers is None and explanation.tape is step.tape
    assert "<h3>Compiled step by hand: train_step</h3>" in explanation.to_html()


def test_numbers_replay_one_step_eagerly_with_the_real_values():
    model, train_step = _tiny_step()
    step = gn.compile(train_step, fuse=False)
    x, y = gn.tensor([[1.0, 2.0]], dtype=gn.float64), gn.tensor([1])
    step(x, y)
    w, b = model[0].weight.array.copy(), model[0].bias.array.copy()  # after the captured step
    explanation = gn.explain.compiled(step, x, y, numbers=True)
    lines = explanation.numbers.splitlines()
    assert lines[0] == "train_step, run eagerly: 8 primitives"  # 4 forward, 4 backward
    assert lines[1] == "   0  linearop: Z = X·Wᵀ + b   (each row: z = W·x + b)"
    assert lines[6] == "   1  relu: y = max(x, 0)"
    # the first layer's numbers are z = W·x + b with the weights the step found
    assert lines[5].startswith("        out = [[") and lines[5].endswith("[1, 2] float64")
    shown = [float(v) for v in lines[5].split("[[")[1].split("]]")[0].split(",")]
    np.testing.assert_allclose(shown, w @ np.array([1.0, 2.0]) + b, rtol=1e-3)
    assert not np.array_equal(model[0].weight.array, w)  # that step was real: SGD updated W
    assert explanation.to_text().count("run eagerly: 8 primitives") == 1


def test_refuses_what_is_not_compiled_and_numbers_without_arguments():
    _, train_step = _tiny_step()
    with pytest.raises(gn.GlassnetTypeError, match="expected what gn.compile returns, got function"):
        gn.explain.compiled(train_step)
    with pytest.raises(gn.GlassnetTypeError, match=r"pass the step's arguments too"):
        gn.explain.compiled(gn.compile(train_step), numbers=True)
