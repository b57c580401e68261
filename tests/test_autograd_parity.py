"""Autograd as PyTorch programs use it: autograd.grad, backward(inputs=), hooks, grad_fn,
custom functions written PyTorch's way, inference_mode — each run under both libraries."""

import numpy as np
import pytest

import glassnet as gn


def _leaf(t, values):
    return t.tensor(values, dtype=t.float64, requires_grad=True)


def grad_of_two_outputs(t):
    x, w = _leaf(t, [1.0, -2.0, 0.5]), _leaf(t, [[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]])
    h = w @ x
    y1, y2 = (h * h).sum(), (h.exp() * 2).sum()
    gx, gh = t.autograd.grad([y1, y2], [x, h], grad_outputs=[t.tensor(1.0, dtype=t.float64),
                                                          t.tensor(0.5, dtype=t.float64)])
    assert x.grad is None and w.grad is None  # nothing stored
    return [gx.numpy(), gh.numpy()]


def backward_into_chosen_inputs(t):
    a, b = _leaf(t, [1.0, 2.0]), _leaf(t, [3.0, -1.0])
    mid = a * b
    mid.retain_grad()
    loss = (mid * mid + b).sum()
    loss.backward(inputs=[a, mid])
    assert b.grad is None
    return [a.grad.numpy(), mid.grad.numpy()]


def hooks_change_the_gradient(t):
    x = _leaf(t, [1.0, 2.0, 3.0])
    h = x * 2
    handle = h.register_hook(lambda g: g * 10)
    x.register_hook(lambda g: g + 1)
    (h * h).sum().backward()
    first = x.grad.numpy().copy()
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    return [first, x.grad.numpy()]


def custom_function(t):
    class ClampedExp(t.autograd.Function):
        @staticmethod
        def forward(ctx, x, limit):
            y = x.exp().clamp(max=limit)
            ctx.save_for_backward(y)
            ctx.limit = limit
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y * (y < ctx.limit), None

    x = _leaf(t, [0.0, 1.0, 3.0])
    y = ClampedExp.apply(x, 5.0)
    (y * t.tensor([1.0, 2.0, 3.0], dtype=t.float64)).sum().backward()
    return [y.detach().numpy(), x.grad.numpy()]


def retain_graph_then_second_backward(t):
    w = _leaf(t, [0.5, -1.5])
    loss = (w.exp() * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    return [w.grad.numpy()]


SCENARIOS = [grad_of_two_outputs, backward_into_chosen_inputs, hooks_change_the_gradient, custom_function,
             retain_graph_then_second_backward]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_scenario_equals_pytorch(scenario):
    torch = pytest.importorskip("torch")
    for a, b in zip(scenario(gn), scenario(torch), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_custom_function_numbers_without_torch():
    y, grad = custom_function(gn)
    np.testing.assert_allclose(y, [1.0, np.e, 5.0])
    np.testing.assert_allclose(grad, [1.0, 2 * np.e, 0.0])


def test_grad_fn_names_and_next_functions():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2 + 1
    assert y.grad_fn.name() == "AddBackward" and y.grad_fn.name == "add"
    (mul, _), (const, _) = y.grad_fn.next_functions
    assert mul.name() == "MulBackward" and const is None
    ((leaf, _), _) = mul.next_functions
    assert leaf.name() == "AccumulateGrad" and leaf.variable is x


def test_autograd_grad_refuses_unused_inputs_unless_allowed():
    x, unused = gn.tensor([1.0], requires_grad=True), gn.tensor([2.0], requires_grad=True)
    y = (x * 3).sum()
    with pytest.raises(gn.GlassnetValueError, match="input 1 .* not used .* allow_unused=True"):
        gn.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = gn.autograd.grad(y, [x, unused], allow_unused=True)
    assert gx.tolist() == [3.0] and gu is None


def test_inference_mode_records_nothing_and_false_changes_nothing():
    x = gn.tensor([1.0], requires_grad=True)
    with gn.autograd.inference_mode():
        assert not (x * 2).requires_grad
    with gn.autograd.inference_mode(False):
        assert (x * 2).requires_grad

    @gn.autograd.inference_mode
    def predict(v):
        return v * 2

    assert not predict(x).requires_grad
    assert gn.autograd.Variable is gn.Tensor
