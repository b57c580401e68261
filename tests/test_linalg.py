"""gn.linalg beyond the op registry (tests/linalg_cases.py): the outputs that are not
differentiable (signs, ranks, lstsq's extra results), the errors PyTorch raises, gradients
at the edges (a singular determinant, degenerate eigenvalues), and the public surface."""

import math

import numpy as np
import pytest

import glassnet as gn
from op_registry import REGISTRY

L = gn.linalg
torch = pytest.importorskip("torch")


def _pair(array, requires_grad=False):
    return gn.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- the surface ---------------------------------------------------------------------------------
def test_every_linalg_function_is_torch_linalg_and_differentiable_ones_are_registered():
    import torch.linalg as tl

    assert [name for name in L.__all__ if not hasattr(tl, name)] == []
    assert L.matmul is gn.matmul  # registered as matmul
    # ldl_*: values only (PyTorch has no derivative for them either; they refuse requires_grad)
    not_differentiable = {"LinAlgError", "matrix_rank", "matmul", "ldl_factor", "ldl_factor_ex", "ldl_solve"}
    registered = {spec.name for spec in REGISTRY}
    missing = [
        name
        for name in set(L.__all__) - not_differentiable
        if not any(case.startswith(f"linalg_{name}") for case in registered)
    ]
    assert missing == []


def test_tensor_methods_and_top_level_names_match_torch():
    a = _rng(1).standard_normal((3, 3)) + 4 * np.eye(3)
    g, t = _pair(a)
    for name in ("det", "logdet", "inverse", "pinverse"):
        np.testing.assert_allclose(getattr(g, name)().numpy(), getattr(t, name)().numpy(), rtol=1e-12)
        np.testing.assert_allclose(getattr(gn, name)(g).numpy(), getattr(torch, name)(t).numpy(), rtol=1e-12)
    sign, logabs = g.slogdet()
    np.testing.assert_allclose([sign.item(), logabs.item()], [v.item() for v in t.slogdet()], rtol=1e-12)
    np.testing.assert_allclose(g.matrix_power(-3).numpy(), t.matrix_power(-3).numpy(), rtol=1e-12)
    spd = g @ g.mT
    np.testing.assert_allclose(
        spd.cholesky(upper=True).numpy(), torch.linalg.cholesky(t @ t.mT).mT.numpy(), rtol=1e-12
    )  # Tensor.cholesky is deprecated in PyTorch (it warns)


def test_slogdet_sign_and_singular_values():
    a = np.array([[[0.0, 2.0], [3.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]])
    sign, logabs = L.slogdet(gn.tensor(a))
    ref = torch.linalg.slogdet(torch.tensor(a))
    np.testing.assert_array_equal(sign.numpy(), ref.sign.numpy())  # [-1, 0]
    np.testing.assert_array_equal(logabs.numpy(), ref.logabsdet.numpy())  # [log 6, -inf]
    assert sign.dtype == gn.float64 and not sign.requires_grad
    assert math.isnan(gn.logdet(gn.tensor(a[0])).item())


def test_lstsq_returns_torchs_four_results_for_each_driver():
    a, b = _rng(2).standard_normal((6, 3)), _rng(3).standard_normal((6, 2))
    (ga, ta), (gb, tb) = _pair(a), _pair(b)
    for driver in (None, "gelsy", "gelsd", "gelss", "gels"):
        got, ref = L.lstsq(ga, gb, driver=driver), torch.linalg.lstsq(ta, tb, driver=driver)
        for field in ("solution", "residuals", "rank", "singular_values"):
            g, t = getattr(got, field), getattr(ref, field)
            assert g.shape == tuple(t.shape) and str(g.dtype) == str(t.dtype).removeprefix("torch."), (
                driver,
                field,
            )
            np.testing.assert_allclose(
                g.numpy(), t.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{driver} {field}"
            )


def test_lstsq_fits_a_line_and_its_gradient_is_torchs():
    x = np.linspace(0, 1, 8)
    a = np.stack([x, np.ones_like(x)], axis=1)
    y = 3 * x - 1 + 0.01 * _rng(4).standard_normal(8)
    (ga, ta), (gy, ty) = _pair(a, True), _pair(y[:, None], True)
    fit, ref = L.lstsq(ga, gy).solution, torch.linalg.lstsq(ta, ty).solution
    np.testing.assert_allclose(fit.numpy(), ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(fit.numpy()[:, 0], np.polyfit(x, y, 1), rtol=1e-10)
    (fit**2).sum().backward()
    (ref**2).sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gy.grad.numpy(), ty.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_matrix_rank_with_tolerances_and_hermitian():
    a = _rng(5).standard_normal((2, 5, 3)) @ _rng(6).standard_normal((3, 4))  # rank 3
    g, t = _pair(a)
    assert L.matrix_rank(g).dtype == gn.int64
    np.testing.assert_array_equal(L.matrix_rank(g).numpy(), torch.linalg.matrix_rank(t).numpy())
    for kwargs in ({"atol": 1.0}, {"rtol": 0.5}, {"atol": 0.1, "rtol": 0.2}):
        np.testing.assert_array_equal(
            L.matrix_rank(g, **kwargs).numpy(), torch.linalg.matrix_rank(t, **kwargs).numpy()
        )
    sym = a[0].T @ a[0]
    assert L.matrix_rank(gn.tensor(sym), hermitian=True).item() == 3


def test_det_gradient_of_a_singular_matrix_is_the_adjugate():
    """∂det/∂A = adj(A)ᵀ, not 0, at a matrix of rank n−1 (PyTorch 2.13 returns 0 there: its
    backward solves with det(A)·G = 0; docs/coming_from_pytorch.md names the difference)."""
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2
    g = gn.tensor(a, requires_grad=True)
    L.det(g).backward()
    cofactors = np.array([[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(g.grad.numpy(), cofactors, atol=1e-12)
    step = 1e-6 * np.eye(3)[0][:, None] * np.eye(3)[0]  # a central difference along A[0, 0]
    assert (np.linalg.det(a + step) - np.linalg.det(a - step)) / 2e-6 == pytest.approx(4.0, rel=1e-6)


def test_matrix_power_zero_is_the_identity_and_integers_work():
    a = gn.tensor([[[1, 2], [3, 4]]] * 2)
    np.testing.assert_array_equal(
        L.matrix_power(a, 0).numpy(), np.broadcast_to(np.eye(2, dtype=np.int64), (2, 2, 2))
    )
    np.testing.assert_array_equal(L.matrix_power(a, 3).numpy(), np.linalg.matrix_power(a.numpy(), 3))
    assert L.matrix_power(a, 3).dtype == gn.int64


def test_norm_follows_torchs_choice_of_vector_or_matrix_norm():
    a = _rng(7).standard_normal((3, 4))
    g, t = _pair(a)
    for kwargs in (
        {},
        {"ord": 2},
        {"ord": "nuc"},
        {"ord": -math.inf},
        {"ord": 1, "dim": 0},
        {"ord": 1, "dim": (1, 0)},
        {"dim": (0, 1), "keepdim": True},
    ):
        np.testing.assert_allclose(
            L.norm(g, **kwargs).numpy(), torch.linalg.norm(t, **kwargs).numpy(), rtol=1e-12
        )
    v = gn.tensor([3.0, 0.0, -4.0])
    assert L.vector_norm(v, 0).item() == 2.0 and L.vector_norm(v, -math.inf).item() == 0.0


# -- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["inv", "det", "cholesky", "eigh", "svd", "qr", "pinv"])
def test_integers_are_refused_as_torch_does(name):
    with pytest.raises(gn.GlassnetTypeError, match=f"linalg.{name}: expected a floating point"):
        getattr(L, name)(gn.tensor([[1, 2], [3, 4]]))
    with pytest.raises((RuntimeError, NotImplementedError)):
        getattr(torch.linalg, name)(torch.tensor([[1, 2], [3, 4]]))


def test_singular_inverse_names_the_batch_element():
    a = np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]])
    with pytest.raises(L.LinAlgError, match=r"linalg.inv: \(batch element 1\) the 2×2 matrix is singular"):
        L.inv(gn.tensor(a))
    with pytest.raises(torch.linalg.LinAlgError, match=r"Batch element 1"):
        torch.linalg.inv(torch.tensor(a))
    with pytest.raises(RuntimeError, match="lstsq"):  # a LinAlgError is a RuntimeError, as in PyTorch
        L.solve(gn.tensor(a), gn.ones(2, 2, dtype=gn.float64))


def test_cholesky_of_an_indefinite_matrix_names_the_minor():
    a = np.stack([np.eye(3), np.diag([1.0, 2.0, -1.0])])
    with pytest.raises(L.LinAlgError, match=r"\(batch element 1\).*leading minor of order 3"):
        L.cholesky(gn.tensor(a))
    with pytest.raises(torch.linalg.LinAlgError, match=r"Batch element 1.*minor of order 3"):
        torch.linalg.cholesky(torch.tensor(a))


def test_shapes_that_do_not_fit_are_refused():
    with pytest.raises(gn.ShapeError, match="square"):
        L.inv(gn.ones(2, 3))
    with pytest.raises(gn.ShapeError, match="at least 2 dimensions"):
        L.det(gn.ones(3))
    with pytest.raises(gn.ShapeError, match=r"linalg.solve: A \(3, 3\) and B \(2, 1\)"):
        L.solve(gn.eye(3), gn.ones(2, 1))
    with pytest.raises(gn.ShapeError, match="length 3"):
        L.cross(gn.ones(2), gn.ones(2))
    with pytest.raises(gn.GlassnetValueError, match="1-D or 2-D"):
        L.norm(gn.ones(2, 2, 2), ord=2)
    with pytest.raises(gn.GlassnetValueError, match="mode must be"):
        L.qr(gn.ones(2, 2), mode="full")


def test_qr_refuses_the_gradients_torch_refuses():
    for mode, shape, message in (
        ("r", (3, 2), "not computed when mode='r'"),
        ("complete", (3, 2), "mode='complete' and nrows > ncols"),
    ):
        a = gn.tensor(_rng(8).standard_normal(shape), requires_grad=True)
        q, r = L.qr(a, mode=mode)
        with pytest.raises(gn.GlassnetValueError, match=message):
            r.sum().backward()
        assert (
            q.shape
            == ((0,) if mode == "r" else (3, 3))
            == tuple(torch.linalg.qr(torch.ones(3, 2), mode=mode).Q.shape)
        )


def test_eigenvector_gradient_at_repeated_eigenvalues_is_refused_values_are_fine():
    a = gn.tensor(np.diag([1.0, 1.0, 2.0]), requires_grad=True)
    values, vectors = L.eigh(a)
    values.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(3), atol=1e-15)  # d trace / dA
    _, vectors = L.eigh(a)
    with pytest.raises(gn.GlassnetValueError, match="two eigenvalues are equal.*entries 0 and 1"):
        (vectors[:, 0] * gn.tensor([1.0, 2.0, 3.0], dtype=gn.float64)).sum().backward()


def test_legacy_svd_without_uv_gives_torchs_zero_factors():
    a = _rng(10).standard_normal((2, 4, 3))
    ours, theirs = gn.svd(gn.tensor(a), compute_uv=False), torch.svd(torch.tensor(a), compute_uv=False)
    for g, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)
        assert g.shape == tuple(t.shape)


def test_svd_of_a_wide_and_tall_batch_reconstructs():
    for shape in ((2, 3, 5), (2, 5, 3)):
        a = _rng(9).standard_normal(shape)
        u, s, vh = L.svd(gn.tensor(a), full_matrices=False)
        np.testing.assert_allclose((u * s.unsqueeze(-2) @ vh).numpy(), a, atol=1e-12)
        u, s, vh = L.svd(gn.tensor(a))
        assert u.shape == shape[:-2] + (shape[-2],) * 2 and vh.shape == shape[:-2] + (shape[-1],) * 2


@pytest.mark.parametrize("p", ["fro", "nuc", 1, -1, math.inf, -math.inf])
def test_norm_based_condition_numbers_match_torch_and_gradcheck(p):
    """PyTorch 2.13 computes these but its backward fails (an in-place change to inv_ex's
    output), so the gradient is checked against central differences only."""
    a = _rng(11).standard_normal((2, 3, 3)) + 3 * np.eye(3)
    np.testing.assert_allclose(
        L.cond(gn.tensor(a), p).numpy(), torch.linalg.cond(torch.tensor(a), p).numpy(), rtol=1e-12
    )
    assert gn.testing.gradcheck(lambda x: L.cond(x, p), [gn.tensor(a, requires_grad=True)])
