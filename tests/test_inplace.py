"""In-place updates follow PyTorch: values, gradients, and the errors (issues #16, #21).

Each scenario is a function of a namespace ``t`` (``glassnet`` or ``torch``) that returns
numbers; run under both, the numbers agree. Scenarios PyTorch refuses are refused by
glassnet too, with a message that says what to do.
"""

import numpy as np
import pytest

import glassnet as gn


def _leaf(t, values):
    return t.tensor(values, dtype=t.float64, requires_grad=True)


def manual_sgd_update(t):  # the tutorial's loop: with no_grad(): p -= lr * p.grad
    w = _leaf(t, [1.0, -2.0, 3.0])
    for _ in range(3):
        loss = ((w * w).sum() - 1.0) ** 2
        loss.backward()
        with t.no_grad():
            w -= 0.01 * w.grad
            w.grad.zero_()
    return [w.detach().numpy()]


def every_operator_and_method(t):
    x = t.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=t.float64)
    x += 1
    x -= t.tensor([0.5, 0.25], dtype=t.float64)
    x *= 2
    x /= 4
    x **= 2
    x.add_(1, alpha=2).sub_(t.tensor(0.5, dtype=t.float64), alpha=3).mul_(1.5).div_(2)
    y = x.clone() if hasattr(x, "clone") else x * 1
    y.neg_().abs_().sqrt_().exp_().log_().clamp_(0.5, 1.5)
    z = x * 1
    z.tanh_().sigmoid_().relu_()
    m = x * 1
    m.masked_fill_(m > 1.2, -7.0)
    c = t.zeros(2, 2, dtype=t.float64)
    c.copy_(t.tensor([1.0, 2.0], dtype=t.float64))
    f = t.ones(3, dtype=t.float64).fill_(4.0)
    return [x.numpy(), y.numpy(), z.numpy(), m.numpy(), c.numpy(), f.numpy(), t.zeros(2).zero_().numpy()]


def relu_in_place_keeps_earlier_consumers_on_the_old_values(t):
    w = _leaf(t, [1.0, -2.0])
    h = w * 3
    z = h + 1  # made before the update: its gradient passes no ReLU mask
    h.relu_()  # PyTorch's relu saves its output, so a further in-place change would be refused
    (z.sum() + (h * h).sum()).backward()
    return [h.detach().numpy(), w.grad.numpy()]


def setitem_with_gradients(t):
    a, v = _leaf(t, [1.0, 2.0, 3.0, 4.0]), _leaf(t, [5.0])
    h = a * 2
    h[1] = v * 3       # a tensor value
    h[2:] = 0.5        # a number
    h[t.tensor([0])] = v[0] * 2
    (h * t.tensor([1.0, 2.0, 3.0, 4.0], dtype=t.float64)).sum().backward()
    return [h.detach().numpy(), a.grad.numpy(), v.grad.numpy()]


def setitem_on_data(t):
    x = t.zeros(3, 4, dtype=t.float64)
    x[0] = 1.0
    x[:, 1] = t.tensor([7.0, 8.0, 9.0], dtype=t.float64)
    x[x > 7.5] = -1.0
    x[t.tensor([2, 0]), t.tensor([3, 3])] = 2.0
    return [x.numpy()]


SCENARIOS = [manual_sgd_update, every_operator_and_method,
             relu_in_place_keeps_earlier_consumers_on_the_old_values, setitem_with_gradients, setitem_on_data]


def _numbers(scenario, t):
    return [np.asarray(v, dtype=np.float64) for v in scenario(t)]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_scenario_equals_pytorch(scenario):
    torch = pytest.importorskip("torch")
    mine = _numbers(scenario, gn)
    theirs = _numbers(scenario, torch)
    for a, b in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_manual_update_changes_the_parameter_without_torch():
    (w,) = manual_sgd_update(gn)
    assert not np.allclose(w, [1.0, -2.0, 3.0])  # the silent no-op of issue #16 is gone


def test_relu_in_place_numbers_without_torch():
    h, grad = relu_in_place_keeps_earlier_consumers_on_the_old_values(gn)
    np.testing.assert_allclose(h, [3.0, 0.0])
    # z path: 3 each; h path: d(Σ relu(3w)²)/dw = 2·relu(3w)·3·mask = [18, 0]
    np.testing.assert_allclose(grad, [3.0 + 18.0, 3.0])


# -- refusals, as PyTorch refuses -----------------------------------------------------------
INPLACE = "modified by an inplace operation"


def _raises_like_torch(build, glassnet_match, torch_match):
    with pytest.raises(gn.GlassnetError, match=glassnet_match):
        build(gn)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=torch_match):
        build(torch)


def test_modified_after_being_saved_for_backward_raises():  # issue #21, item 8
    def build(t):
        x = _leaf(t, [1.0, 2.0])
        y = x * 1
        z = (y * y).sum()
        y.fill_(10.0)
        z.backward()

    _raises_like_torch(build, "mul needs its input 0 .* modified in place", INPLACE)


def test_changing_memory_through_a_view_raises_for_ops_that_saved_another_view():
    def build(t):
        h = _leaf(t, [1.0, 2.0, 3.0]) * 1
        s = h[0:2]             # a view of h's memory
        y = (s * s).sum()      # mul saved the view
        h[0] = 5.0             # changes that memory
        y.backward()

    _raises_like_torch(build, "mul needs its input 0 .* modified in place", INPLACE)


def test_changing_a_saved_output_raises():
    def build(t):
        y = _leaf(t, [1.0, 2.0]).exp()
        y.add_(1)
        y.sum().backward()

    _raises_like_torch(build, "exp needs its output .* modified in place", INPLACE)


def test_leaf_requiring_grad_cannot_change_in_place_while_recording():  # issue #21, item 14
    def build(t):
        _leaf(t, [1.0]).fill_(3.0)

    _raises_like_torch(build, "leaf tensor that requires grad .* gn.no_grad",
                       "leaf Variable that requires grad")


def test_backward_twice_without_retain_graph_raises():  # issue #21, item 14
    def build(t):
        w = _leaf(t, [1.0, 2.0])
        loss = (w * w).sum()
        loss.backward()
        loss.backward()

    _raises_like_torch(build, "already used by a backward call; pass retain_graph=True",
                       "backward through the graph a second time")


def test_retain_graph_allows_a_second_backward_that_accumulates():
    w = gn.tensor([1.0, 2.0], dtype=gn.float64, requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 8.0])


def test_in_place_errors_name_dtype_and_shape():
    i = gn.tensor([1, 2])
    with pytest.raises(gn.GlassnetTypeError, match="dtype float32, which cannot be stored .* int64"):
        i += 0.5
    x = gn.zeros(3)
    with pytest.raises(gn.GlassnetValueError, match=r"shape \(2, 3\), which does not fit .* shape \(3,\)"):
        x.add_(gn.ones(2, 3))
    with pytest.raises(gn.GlassnetValueError, match=r"setitem: cannot write .* shape \(3,\)"):
        x[0:2] = gn.ones(3)


def test_version_tracking_ends_when_the_changed_arrays_are_gone():
    import gc

    from glassnet.autograd._inplace import live_versions

    gc.collect()
    alive = len(live_versions)
    x = gn.zeros(4)
    x += 1
    assert len(live_versions) == alive + 1  # while x lives, recorded ops note versions
    del x
    gc.collect()
    assert len(live_versions) == alive  # once no changed array is alive, ops record nothing extra
