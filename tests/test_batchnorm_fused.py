"""The fused batch-norm primitive: one graph node, float32 kept, running statistics as
PyTorch for (N, C) inputs, non-contiguous inputs, readable shape errors.

Gradients against finite differences and PyTorch come from the op registry
(``batch_norm_*`` entries in tests/op_registry.py)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.ops._batchnorm import BatchNorm

F = gn.nn.functional


def _ops_applied(fn):
    ops = []
    with gn.observe(lambda event: ops.append(type(event.op).__name__) if event.phase == "forward" else None):
        fn()
    return ops


def test_batchnorm_module_is_one_primitive_in_training_and_eval():
    bn = nn.BatchNorm2d(3)
    x = gn.randn(4, 3, 2, 2)
    assert _ops_applied(lambda: bn(x)) == ["BatchNorm"]
    bn.eval()
    assert _ops_applied(lambda: bn(x)) == ["BatchNorm"]


def test_float32_stays_float32_in_output_gradients_and_running_stats():
    bn = nn.BatchNorm1d(4)
    x = gn.tensor(np.random.default_rng(0).normal(3, 2, (8, 4, 5)).astype(np.float32), requires_grad=True)
    y = bn(x)
    (y * y).sum().backward()
    assert y.dtype == gn.float32 and x.grad.dtype == gn.float32
    assert bn.weight.grad.dtype == gn.float32 and bn.bias.grad.dtype == gn.float32
    assert bn.running_mean.dtype == gn.float32 and bn.running_var.dtype == gn.float32
    # normalised: per-channel mean 0 and (biased) variance 1 − ε-ish
    out = y.numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 2)), 0, atol=1e-6)
    np.testing.assert_allclose(out.var(axis=(0, 2)), 1, atol=1e-3)


def test_running_stats_of_2d_input_track_pytorch_with_cumulative_momentum():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    ours = nn.BatchNorm1d(3, momentum=None).double()
    ref = torch.nn.BatchNorm1d(3, momentum=None).double()
    for step in range(3):
        x = rng.normal(step, 1 + step, (6, 3))
        y, y_ref = ours(gn.tensor(x)), ref(torch.tensor(x))
        np.testing.assert_allclose(y.numpy(), y_ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.running_mean.numpy(), ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var.numpy(), ref.running_var.numpy(), rtol=1e-12)
    assert int(ours.num_batches_tracked.item()) == 3


def test_non_contiguous_input_matches_contiguous():
    rng = np.random.default_rng(2)
    base = rng.standard_normal((3, 5, 4))
    x_t = gn.tensor(base, requires_grad=True)
    x_c = gn.tensor(np.ascontiguousarray(base.transpose(2, 1, 0)), requires_grad=True)
    w, b = gn.tensor([1.5, -2.0, 0.5, 1.0, 3.0]), gn.tensor([0.1, 0.2, 0.3, 0.4, 0.5])
    dy = rng.standard_normal((4, 5, 3))
    y_t = F.batch_norm(x_t.permute(2, 1, 0), None, None, w, b, training=True)
    y_c = F.batch_norm(x_c, None, None, w, b, training=True)
    (y_t * gn.tensor(dy)).sum().backward()
    (y_c * gn.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y_t.numpy(), y_c.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x_t.grad.numpy().transpose(2, 1, 0), x_c.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_primitive_formula_and_shape_errors():
    assert "γ" in BatchNorm.formula and len(BatchNorm.grad_formulas) == 3
    with pytest.raises(gn.ShapeError, match=r"batch_norm: weight must be \(3,\) .* got \(4,\)"):
        F.batch_norm(gn.zeros(2, 3), None, None, gn.ones(4), training=True)
    with pytest.raises(gn.ShapeError, match=r"batch_norm: running_var must be \(3,\)"):
        F.batch_norm(gn.zeros(2, 3), gn.zeros(3), gn.ones(2))
