"""The float32 exact-GELU path of the ``gelu_keep_cdf`` kernel: its Φ(x) from a fitted erfc
(glassnet.kernels._normal_cdf32) against the exact Φ, against the reference tier and
against PyTorch, values and gradients."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.kernels._normal_cdf32 import COEFFICIENTS, fit_coefficients, gelu_grad32, normal_cdf32

special = pytest.importorskip("scipy.special")

GRID = np.linspace(-14, 14, 400_003).astype(np.float32)


def test_the_coefficients_are_the_least_squares_fit_they_claim():
    # 1e-9: the fit depends on the BLAS thread count in the last digits; float32 keeps 7
    np.testing.assert_allclose(fit_coefficients(), COEFFICIENTS, rtol=1e-9, atol=1e-9)


def test_fast_phi_is_within_3e_7_of_the_exact_normal_cdf():
    exact = special.ndtr(GRID.astype(np.float64))
    phi = normal_cdf32(GRID)
    assert phi.dtype == np.float32 and phi.shape == GRID.shape
    assert np.abs(phi - exact).max() <= 3e-7
    tail = exact > 1e-37  # float32's normal range: relative precision holds in the far tail
    assert (np.abs(phi - exact) / exact)[tail].max() <= 3e-5


def test_gelu_gradient_formula_is_within_3e_7_of_exact():
    x64 = GRID.astype(np.float64)
    exact = special.ndtr(x64) + x64 * np.exp(-0.5 * x64 * x64) / np.sqrt(2 * np.pi)
    g = np.full_like(GRID, 1.0)
    dx = gelu_grad32(g, GRID, normal_cdf32(GRID))
    assert np.abs(dx - exact).max() <= 3e-7


def test_chunk_boundaries_and_shapes_do_not_matter():
    x = np.random.default_rng(0).standard_normal((3, 5, 17001)).astype(np.float32) * 3
    whole = normal_cdf32(x)
    piecewise = np.stack([normal_cdf32(row) for row in x])
    np.testing.assert_array_equal(whole, piecewise)


def _gelu_step(x, tier):
    t = gn.tensor(x, requires_grad=True)
    with gn.kernels.use(tier):
        y = gn.nn.functional.gelu(t)
        w = gn.tensor(np.linspace(-1, 1, x.size, dtype=np.float32).reshape(x.shape))
        (y * w).sum().backward()
    return y.numpy(), t.grad.numpy()


def test_float32_kernel_equals_reference_tier_to_float32_precision():
    x = np.random.default_rng(1).standard_normal((64, 300)).astype(np.float32) * 4
    y, dx = _gelu_step(x, "gelu_keep_cdf")
    y_ref, dx_ref = _gelu_step(x, "reference")
    assert y.dtype == dx.dtype == np.float32
    np.testing.assert_allclose(y, y_ref, rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(dx, dx_ref, rtol=2e-6, atol=1e-6)


def test_float32_gelu_equals_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((32, 257)).astype(np.float32) * 3
    y, dx = _gelu_step(x, "fast")
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.gelu(tx)
    (ty * torch.linspace(-1, 1, x.size).reshape(x.shape)).sum().backward()
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=2e-6, atol=1e-6)
