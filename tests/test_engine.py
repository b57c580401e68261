"""The autograd engine: graph order, accumulation, grad modes, detach, retain_grad,
the observer hook, anomaly detection, and broadcasting undone in one place."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import glassnet as gn
from glassnet.autograd import unbroadcast


def f64(data, requires_grad=True):
    return gn.tensor(data, dtype=gn.float64, requires_grad=requires_grad)


# -- graph shapes -----------------------------------------------------------------------------
def test_diamond_whose_short_branch_is_listed_first():
    # y = x · exp(x): the mul sees x directly and through exp; x must wait for both.
    x = f64([0.5, 1.0, -2.0])
    (x * x.exp()).sum().backward()
    v = np.array([0.5, 1.0, -2.0])
    np.testing.assert_allclose(x.grad.numpy(), np.exp(v) * (1 + v), rtol=1e-14)


def test_diamond_through_two_intermediates():
    x = f64([0.3, -0.7])
    a, b = x * 2, x.exp()
    ((a + b) * (a - b)).sum().backward()  # 4x² - e^{2x}
    v = np.array([0.3, -0.7])
    np.testing.assert_allclose(x.grad.numpy(), 8 * v - 2 * np.exp(2 * v), rtol=1e-14)


def test_nested_diamonds_with_a_shared_non_leaf():
    x = f64(1.5)
    h = x * x  # used by both branches and again at the end
    y = (h.exp() + h.sqrt()) * h
    y.backward()
    v = 1.5
    hv = v * v
    dy_dh = (math.exp(hv) + math.sqrt(hv)) + hv * (math.exp(hv) + 0.5 / math.sqrt(hv))
    assert x.grad.item() == pytest.approx(dy_dh * 2 * v, rel=1e-13)


def test_a_node_reused_many_times():
    x = f64([1.0, 2.0])
    h = x.exp()
    total = h * 0
    for k in range(1, 51):
        total = total + h * k
    total.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1275 * np.exp([1.0, 2.0]), rtol=1e-13)


def test_the_same_leaf_as_both_operands():
    x = f64([3.0, -4.0])
    (x * x + x / x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, -8.0], rtol=1e-15)


def test_a_deep_chain_does_not_recurse():
    x = f64(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**5000, rel=1e-10)


def test_backward_on_a_leaf_and_with_an_explicit_gradient():
    x = f64([1.0, 2.0])
    x.backward(gn.tensor([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    y = f64([[1.0, 2.0], [3.0, 4.0]])
    (y * y).backward(np.ones((2, 2)))
    np.testing.assert_array_equal(y.grad.numpy(), [[2.0, 4.0], [6.0, 8.0]])


# -- accumulation and ownership of .grad ----------------------------------------------------------
def test_gradients_accumulate_across_backward_calls():
    x = f64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_leaf_gradients_never_share_memory():
    x, y = f64([1.0, 2.0]), f64([3.0, 4.0])
    (x + y).sum().backward()  # add hands the same array to both inputs
    x.grad.zero_()
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
    seed = np.ones(2)
    a = f64([1.0, 2.0])
    (a + 0).backward(seed)
    a.grad.zero_()
    np.testing.assert_array_equal(seed, [1.0, 1.0])  # the caller's gradient is untouched
    h, leaf = f64([1.0, 2.0]), f64([5.0, 6.0])
    m = (h * 1).retain_grad()
    (m + leaf).sum().backward()
    leaf.grad.zero_()
    np.testing.assert_array_equal(m.grad.numpy(), [1.0, 1.0])


def test_zero_dim_results_and_gradients_are_arrays():
    a, b = f64(2.0), f64(3.0)
    c = a * b
    assert isinstance(c.array, np.ndarray) and c.shape == ()
    c.backward()
    assert isinstance(a.grad.array, np.ndarray)
    a.grad.zero_()  # optimisers update gradients in place
    assert a.grad.item() == 0.0 and b.grad.item() == 2.0
    (a * b).backward()
    assert isinstance(a.grad.array, np.ndarray) and a.grad.item() == 3.0


def test_grad_dtype_equals_param_dtype():
    w = gn.tensor([1.0, 2.0], requires_grad=True)  # float32
    x = gn.tensor(np.array([0.5, 0.25]))  # float64 data
    out = w * x
    assert out.dtype == np.float64
    out.sum().backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.numpy(), [0.5, 0.25])
    v = gn.tensor([1.0, 2.0], requires_grad=True)
    (v.double() ** 2).sum().backward()
    assert v.grad.dtype == np.float32
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 4.0])


def test_only_leaves_that_require_grad_get_one():
    x, c = f64([1.0]), f64([2.0], requires_grad=False)
    h = x * c
    (h * h).sum().backward()
    assert c.grad is None and h.grad is None
    assert x.grad.item() == 8.0  # d(4x²)/dx at 1
    assert x.is_leaf and not h.is_leaf and h.grad_fn.name == "mul"


def test_backward_seed_errors():
    x = f64([1.0, 2.0])
    with pytest.raises(gn.GlassnetError, match=r"shape \(3,\) does not match .* \(2,\)"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(ValueError, match="does not require grad"):
        f64([1.0], requires_grad=False).backward()
    with pytest.raises(ValueError, match="non-leaf"):
        (x * 2).requires_grad = False


# -- grad modes, detach, retain_grad -----------------------------------------------------------
def test_no_grad_context_records_nothing_and_restores():
    x = f64([1.0])
    with gn.no_grad():
        assert not gn.is_grad_enabled()
        y = x * 2
    assert gn.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    with pytest.raises(RuntimeError), gn.no_grad():
        raise RuntimeError("boom")
    assert gn.is_grad_enabled()


@pytest.mark.parametrize("decorator", [gn.no_grad(), gn.no_grad], ids=["called", "bare"])
def test_no_grad_as_a_decorator(decorator):
    @decorator
    def double(t):
        """doc"""
        return t * 2

    y = double(f64([1.0]))
    assert isinstance(y, gn.Tensor) and not y.requires_grad
    assert y.item() == 2.0 and double.__doc__ == "doc"
    assert gn.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = f64([2.0])
    with gn.no_grad():
        with gn.enable_grad():
            assert gn.is_grad_enabled()
            y = x * x
        z = x * x
        assert not gn.is_grad_enabled()

        @gn.enable_grad
        def square(t):
            return t * t

        w = square(x)
    assert y.requires_grad and not z.requires_grad and w.requires_grad
    y.backward()
    assert x.grad.item() == 4.0


def test_set_grad_enabled_as_function_context_and_decorator():
    try:
        gn.set_grad_enabled(False)
        assert not gn.is_grad_enabled()
    finally:
        gn.set_grad_enabled(True)
    assert gn.is_grad_enabled()
    with gn.set_grad_enabled(False):
        assert not gn.is_grad_enabled()
    assert gn.is_grad_enabled()

    @gn.set_grad_enabled(False)
    def inside():
        return gn.is_grad_enabled()

    assert gn.is_grad_enabled() and inside() is False and gn.is_grad_enabled()


def test_detach_shares_data_and_stops_gradients():
    x = f64([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.array, x.array)
    (x * d).sum().backward()  # d is a constant: d(x·c)/dx = c
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])


def test_retain_grad_keeps_an_intermediate_gradient():
    x = f64([1.0, -2.0])
    h = x * 3
    h.retain_grad()
    k = x * 2  # not retained
    (h * h + k).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [6.0, -12.0])  # 2h
    assert k.grad is None
    np.testing.assert_array_equal(x.grad.numpy(), [18 + 2, -36 + 2])


def test_indexing_with_repeated_indices_adds_gradients():
    x = f64([10.0, 20.0, 30.0])
    y = x[[0, 0, 1]]
    np.testing.assert_array_equal(y.numpy(), [10.0, 10.0, 20.0])
    (y * gn.tensor([1.0, 2.0, 4.0], dtype=gn.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0, 0.0])
    m = f64([[1.0, 2.0], [3.0, 4.0]])
    m[gn.tensor([1, 1, 1]), 0].sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), [[0.0, 0.0], [3.0, 0.0]])


# -- the observer hook ---------------------------------------------------------------------------
def test_observe_sees_forward_and_backward_events():
    x = f64([[1.0, 2.0]])
    w = f64([[0.5], [-1.0]])
    events = []
    with gn.observe(events.append):
        z = (x @ w).relu()
        z.sum().backward()
    forward = [(e.op.name, e.op.formula) for e in events if e.phase == "forward"]
    backward = [e.op.name for e in events if e.phase == "backward"]
    assert [n for n, _ in forward] == ["matmul", "relu", "sum"]
    assert forward[0][1] == "C = A · B,  C[i,j] = Σ_k A[i,k] · B[k,j]"
    assert backward == ["sum", "relu", "matmul"]
    mm_back = events[-1]
    assert mm_back.op.grad_formulas == ("dA = dC · Bᵀ", "dB = Aᵀ · dC")
    assert mm_back.inputs == (x, w) and mm_back.output.shape == (1, 1)
    np.testing.assert_array_equal(mm_back.grad_output, [[0.0]])  # relu(-1.5) = 0
    fwd_mm = events[0]
    assert fwd_mm.grad_output is None and fwd_mm.grad_inputs is None
    np.testing.assert_array_equal(fwd_mm.output.numpy(), [[-1.5]])


def test_observe_stops_after_unsubscribing():
    events = []
    x = f64([1.0])
    with gn.observe(events.append):
        x * 2
    n = len(events)
    assert n == 1
    (x * 2).sum().backward()
    assert len(events) == n
    with pytest.raises(KeyError), gn.observe(events.append):
        raise KeyError("inside")
    x.exp()
    assert len(events) == n  # unsubscribed on the way out of an exception too


def test_observers_nest():
    outer, inner = [], []
    x = f64([1.0])
    with gn.observe(outer.append):
        with gn.observe(inner.append):
            x.exp()
        x.log()
    assert [e.op.name for e in outer] == ["exp", "log"]
    assert [e.op.name for e in inner] == ["exp"]


# -- anomaly detection -----------------------------------------------------------------------------
def test_log_of_a_negative_is_nan_without_warnings():
    y = gn.log(gn.tensor([-1.0, 0.0, 1.0]))
    out = y.numpy()
    assert np.isnan(out[0]) and out[1] == -np.inf and out[2] == 0.0
    assert np.isnan(gn.sqrt(gn.tensor([-4.0])).item())


def test_detect_anomaly_names_the_forward_op():
    x = gn.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(gn.GlassnetError, match=r"anomaly: log forward .*log\(x\).*\(2,\)"), \
            gn.detect_anomaly():
        (x * 2).log()
    (x * 2).log()  # off again: NaN allowed


def test_detect_anomaly_names_the_backward_op():
    x = gn.tensor([0.0, 4.0], requires_grad=True)
    y = x.sqrt().sum()  # finite forward, infinite gradient at 0
    with pytest.raises(ValueError, match=r"anomaly: sqrt backward"), gn.detect_anomaly():
        y.backward()


# -- custom Functions and the one unbroadcast --------------------------------------------------
class Cube(gn.Function):
    formula = "y = x³"
    grad_formulas = ("dx = 3x² dy",)

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, g):
        return 3 * self.x**2 * g


class BadShape(gn.Function):
    def forward(self, x):
        return x * 1

    def backward(self, g):
        return g.sum(axis=0)


def test_a_user_defined_function_passes_gradcheck():
    x = f64([[0.5, -1.5], [2.0, 0.1]])
    assert gn.testing.gradcheck(Cube.apply, [x])
    assert Cube.apply(x).grad_fn.name == "cube"


def test_a_wrong_backward_shape_is_reported_with_the_op_name():
    x = f64([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(gn.GlassnetError, match=r"backward of badshape: .*\(2,\).*\(2, 2\)"):
        BadShape.apply(x).sum().backward()


def test_unbroadcast_sums_the_broadcast_axes():
    g = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(unbroadcast(g, (2,)), [6.0, 9.0])
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), [[1.0], [5.0], [9.0]])
    assert unbroadcast(g, ()) == 15.0


# -- broadcasting, as properties --------------------------------------------------------------------
def _np_sum_to(grad, shape):
    """Σ of ``grad`` over every output cell that read each input cell (bincount, not
    the engine's axis arithmetic)."""
    size = math.prod(shape)
    idx = np.broadcast_to(np.arange(size).reshape(shape), grad.shape)
    return np.bincount(idx.ravel(), weights=grad.ravel(), minlength=size).reshape(shape)


BINARY_OPS = {
    "add": (gn.add, np.add, lambda x, y, w: (w, w)),
    "sub": (gn.sub, np.subtract, lambda x, y, w: (w, -w)),
    "mul": (gn.mul, np.multiply, lambda x, y, w: (w * y, w * x)),
    "div": (gn.div, np.divide, lambda x, y, w: (w / y, -w * x / y**2)),
    "maximum": (gn.maximum, np.maximum, lambda x, y, w: (w * (x > y), w * (y > x))),
}


@settings(max_examples=60, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=1, max_side=3),
       op=st.sampled_from(sorted(BINARY_OPS)), seed=st.integers(0, 2**16))
def test_broadcasting_forward_and_gradients(shapes, op, seed):
    (sx, sy), out_shape = shapes.input_shapes, shapes.result_shape
    fn, ref, grads = BINARY_OPS[op]
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, sx) * rng.choice([-1, 1], sx)
    b = rng.uniform(0.5, 2.0, sy) * rng.choice([-1, 1], sy)
    x, y = f64(a), f64(b)
    out = fn(x, y)
    assert out.shape == out_shape
    np.testing.assert_allclose(out.numpy(), ref(a, b), rtol=1e-15)
    w = rng.standard_normal(out_shape)
    (out * f64(w, requires_grad=False)).sum().backward()
    assert x.grad.shape == sx and y.grad.shape == sy
    ga, gb = grads(np.broadcast_to(a, out_shape), np.broadcast_to(b, out_shape), w)
    np.testing.assert_allclose(x.grad.numpy(), _np_sum_to(ga, sx), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(y.grad.numpy(), _np_sum_to(gb, sy), rtol=1e-12, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=1, max_side=3))
def test_expand_then_reduce_gradients_match_numpy(shapes):
    (sx, _), out_shape = shapes.input_shapes, shapes.result_shape
    a = np.arange(1.0, math.prod(sx) + 1).reshape(sx)
    x = f64(a)
    w = np.linspace(-1.0, 1.0, math.prod(out_shape)).reshape(out_shape)
    (x.expand(out_shape) * f64(w, requires_grad=False)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _np_sum_to(w, sx), rtol=1e-12, atol=1e-14)


def test_a_parameters_grad_and_its_hooks_see_plain_tensors_as_in_pytorch():
    """``p.grad`` of a Parameter is a Tensor, not a Parameter (PyTorch: ``type(p.grad) is
    torch.Tensor``), and a hook on it receives a Tensor."""
    layer = gn.nn.Linear(3, 2)
    seen = []
    layer.weight.register_hook(lambda g: seen.append(type(g)))
    layer(gn.ones(4, 3)).sum().backward()
    assert type(layer.weight.grad) is gn.Tensor and not isinstance(layer.weight.grad, gn.nn.Parameter)
    assert seen == [gn.Tensor]
    np.testing.assert_array_equal(layer.weight.grad.numpy(), np.full((2, 3), 4.0, np.float32))
