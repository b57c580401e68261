"""The convolution tiers (the reference im2col + GEMM; the kernels' batch rows, channels-last
and per-sample, channels-first layouts) and both max-pool tiers give the same numbers as
each other, as NumPy and as PyTorch.

The op registry's shapes mostly take the per-sample kernel (few channels); here every
registered convolution is rerun under the reference tier and with ``PER_SAMPLE_MAX_COLS``
forced to each side, so that each kernel serves every case."""

import contextlib
import warnings

import numpy as np
import pytest

import glassnet as gn
import glassnet.kernels._conv as conv_kernels
from op_registry import REGISTRY, make_inputs, to_torch

torch = pytest.importorskip("torch")

CONV_CASES = [pytest.param(spec, shapes, id=f"{spec.name}-{'x'.join(map(str, shapes))}")
              for spec in REGISTRY if spec.covers in ("Conv", "conv1d", "conv2d")
              for shapes in (*spec.shapes, spec.large_shapes)]
LAYOUTS = {"reference": None, "conv_per_sample": 10**9, "conv_rows": 0}


@contextlib.contextmanager
def _layout(name, monkeypatch):
    """Run convolutions under the reference tier or with one kernel forced."""
    if LAYOUTS[name] is None:
        with gn.kernels.use("reference"):
            yield
        return
    monkeypatch.setattr(conv_kernels, "PER_SAMPLE_MAX_COLS", LAYOUTS[name])
    with gn.kernels.use(name):
        yield


def _conv_ops_ran(out):
    """The Conv ops in the graph that made ``out``."""
    seen, stack, ops = set(), [out], []
    while stack:
        op = stack.pop().grad_fn
        if op is not None and id(op) not in seen:
            seen.add(id(op))
            ops += [op] if type(op).__name__ == "Conv" else []
            stack.extend(op.inputs)
    return ops


def _run_with_grads(run, arrays, weights):
    xs = [gn.tensor(a, requires_grad=True) for a in arrays]
    out = run(*xs)
    (out * gn.tensor(weights, dtype=out.dtype)).sum().backward()
    return out.numpy(), [x.grad.numpy() for x in xs]


def test_registry_has_convolutions_to_check():
    assert len({c.values[0].name for c in CONV_CASES}) >= 8


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("spec, shapes", CONV_CASES)
def test_each_layout_gradchecks_and_matches_torch(spec, shapes, layout, monkeypatch):
    arrays = make_inputs(spec, shapes, seed=5)
    with _layout(layout, monkeypatch):
        assert gn.testing.gradcheck(spec.run, [gn.tensor(a, requires_grad=True) for a in arrays],
                                    eps=spec.eps, atol=spec.atol)
        out = spec.run(*[gn.tensor(a, requires_grad=True) for a in arrays])
        ran = {getattr(op.kernel, "name", "reference") for op in _conv_ops_ran(out)}
        assert ran == {layout}, ran
        weights = np.random.default_rng(6).standard_normal(out.shape)
        mine, grads = _run_with_grads(spec.run, arrays, weights)
    ts = [to_torch(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():  # torch: "padding='same' with even kernel lengths … copy"
        warnings.simplefilter("ignore", UserWarning)
        ref = spec.run_torch(*ts)
    (ref * to_torch(weights)).sum().backward()
    np.testing.assert_allclose(mine, ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    for g, t in zip(grads, ts, strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kwargs", [{}, {"padding": 1, "stride": 2}, {"groups": 2, "dilation": 2},
                                    {"padding": (2, 0), "stride": (1, 3)}])
def test_layouts_agree_in_float32_on_a_large_map(kwargs, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 21, 19), dtype=np.float32)
    w = rng.standard_normal((6, 4 // kwargs.get("groups", 1), 3, 3), dtype=np.float32)
    run = lambda a, b: gn.nn.functional.conv2d(a, b, **kwargs)  # noqa: E731
    results = {}
    for name in LAYOUTS:
        with _layout(name, monkeypatch):
            out = run(gn.tensor(x), gn.tensor(w))
            results[name] = _run_with_grads(run, [x, w], np.ones(out.shape, dtype=np.float32))
    y0, (dx0, dw0) = results["reference"]
    for name, (y, (dx, dw)) in results.items():
        assert y.dtype == dx.dtype == dw.dtype == np.float32, name
        assert y.flags.c_contiguous, name
        np.testing.assert_allclose(y, y0, rtol=1e-5, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(dx, dx0, rtol=1e-5, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(dw, dw0, rtol=1e-4, atol=1e-3, err_msg=name)


def test_first_layer_takes_the_per_sample_layout_and_a_wide_one_the_rows():
    seen = []
    x = gn.tensor(np.ones((2, 1, 28, 28), dtype=np.float32))
    w = gn.tensor(np.ones((4, 1, 3, 3), dtype=np.float32))
    with gn.observe(lambda event: seen.append(event.op)):
        y = gn.nn.functional.conv2d(x, w)
    ops = [op for op in seen if type(op).__name__ == "Conv"]
    assert len(ops) == 1 and ops[0].kernel.name == "conv_per_sample"
    assert ops[0].cols.shape == (2, 1, 9, 26 * 26)
    np.testing.assert_array_equal(y.numpy(), 9.0)
    seen.clear()
    with gn.observe(lambda event: seen.append(event.op)):
        gn.nn.functional.conv2d(gn.tensor(np.ones((2, 16, 6, 6))), gn.tensor(np.ones((3, 16, 3, 3))))
    rows = [op for op in seen if type(op).__name__ == "Conv"][0]
    assert rows.kernel.name == "conv_rows" and rows.cols.shape == (2 * 4 * 4, 9 * 16)
    seen.clear()
    with gn.kernels.use("reference"), gn.observe(lambda event: seen.append(event.op)):
        gn.nn.functional.conv2d(gn.tensor(np.ones((2, 16, 6, 6))), gn.tensor(np.ones((3, 16, 3, 3))))
    reference = [op for op in seen if type(op).__name__ == "Conv"][0]
    assert reference.kernel is None and [c.shape for c in reference.cols] == [(2 * 4 * 4, 16 * 9)]


@pytest.mark.parametrize("tier", ["fast", "reference"])
@pytest.mark.parametrize("kwargs", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
                                    {"kernel_size": 3, "stride": 3}])
def test_max_pool_sends_ties_to_the_first_maximum_like_torch(kwargs, tier):
    """After ReLU most windows tie at 0: the gradient goes to the first one only."""
    rng = np.random.default_rng(1)
    x = np.maximum(rng.standard_normal((2, 3, 9, 10)), 0).round(1)  # many ties, at 0 and above
    g = rng.standard_normal(torch.nn.functional.max_pool2d(torch.from_numpy(x), **kwargs).shape)
    xs = gn.tensor(x, requires_grad=True)
    with gn.kernels.use(tier):
        out = gn.nn.functional.max_pool2d(xs, **kwargs)
        (out * gn.tensor(g)).sum().backward()
    ts = to_torch(x, requires_grad=True)
    ref = torch.nn.functional.max_pool2d(ts, **kwargs)
    (ref * to_torch(g)).sum().backward()
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    np.testing.assert_allclose(xs.grad.numpy(), ts.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(xs.grad.numpy() != 0, ts.grad.numpy() != 0)
    if kwargs["kernel_size"] == kwargs.get("stride", kwargs["kernel_size"]):  # disjoint windows
        assert (xs.grad.numpy() != 0).sum() == (g != 0).sum()  # each window's gradient lands once


def test_reused_scratch_buffers_never_leak_into_results():
    """Conv/pool reuse internal scratch memory between calls; an output or a kept
    intermediate must never be overwritten by a later call of the same shape."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((64, 1, 40, 40)).astype(np.float32) for _ in range(2)]
    w = rng.standard_normal((1, 1, 11, 11)).astype(np.float32)
    conv = gn.nn.functional.conv2d
    first = conv(gn.tensor(xs[0]), gn.tensor(w), padding=2)
    kept = first.numpy().copy()
    conv(gn.tensor(xs[1]), gn.tensor(w), padding=2)
    np.testing.assert_array_equal(first.numpy(), kept)
    ref = torch.nn.functional.conv2d(torch.tensor(xs[0]), torch.tensor(w), padding=2).numpy()
    np.testing.assert_allclose(kept, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("channels", [3, 16])  # the per-sample and the rows kernel
def test_two_live_graphs_of_the_same_shape_give_torch_gradients(channels):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w = rng.standard_normal((8, channels, 3, 3)).astype(np.float32)
    xs = [rng.standard_normal((16, channels, 20, 20)).astype(np.float32) for _ in range(2)]
    weights = [gn.tensor(w, requires_grad=True) for _ in xs]
    losses = [gn.nn.functional.max_pool2d(gn.nn.functional.conv2d(gn.tensor(x), wt), 2).sum()
              for x, wt in zip(xs, weights, strict=True)]  # both graphs alive before backward
    for loss in losses:
        loss.backward()
    for x, wt in zip(xs, weights, strict=True):
        wt_t = torch.tensor(w, requires_grad=True)
        torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(torch.tensor(x), wt_t), 2).sum().backward()
        np.testing.assert_allclose(wt.grad.numpy(), wt_t.grad.numpy(), rtol=1e-4, atol=1e-3)
