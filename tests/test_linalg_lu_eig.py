"""gn.linalg's LU (``lu_factor``, ``lu_factor_ex``, ``lu``, ``lu_solve``, ``lu_unpack``, the older
``torch.lu``), the general eigendecomposition (``eig``, ``eigvals``) and the LDL factorisation
(``ldl_factor``, ``ldl_factor_ex``, ``ldl_solve``) against torch: values on batched, square and
rectangular inputs in float64 (1e-10) and float32 (1e-4), the LU gradients, and the errors.
The registry entries (linalg_cases.py) gradient-check the differentiable ones."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops._linalg_lu_factor import _eliminate

torch = pytest.importorskip("torch")

L = gn.linalg
TOL = {"float64": {"rtol": 1e-10, "atol": 1e-10}, "float32": {"rtol": 1e-4, "atol": 1e-4}}
SHAPES = [(3, 3), (2, 4, 4), (2, 5, 3), (3, 2, 6), (1, 1)]


def _rand(shape, dtype="float64", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _close(ours, theirs, dtype="float64"):
    expect = theirs.detach().resolve_conj().numpy()
    assert tuple(ours.shape) == expect.shape
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.detach().numpy(), expect, **TOL[dtype])


# -- LU values ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_lu_factor_and_lu_match_torch(shape, dtype):
    a = _rand(shape, dtype)
    ours, theirs = L.lu_factor(gn.tensor(a)), torch.linalg.lu_factor(torch.tensor(a))
    _close(ours.LU, theirs.LU, dtype)
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    assert ours.pivots.dtype == gn.int32
    for x, y in zip(L.lu(gn.tensor(a)), torch.linalg.lu(torch.tensor(a)), strict=True):
        _close(x, y, dtype)
    for x, y in zip(gn.lu_unpack(*ours), torch.lu_unpack(*theirs), strict=True):
        _close(x, y, dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_numpy_elimination_gives_lapacks_factors(shape):
    """The fallback without SciPy: the same pivots as LAPACK, the same LU to rounding."""
    a = _rand(shape, seed=3)
    lu, pivots = _eliminate(a, True)
    theirs = torch.linalg.lu_factor(torch.tensor(a))
    np.testing.assert_array_equal(pivots, theirs.pivots.numpy())
    np.testing.assert_allclose(lu, theirs.LU.numpy(), rtol=1e-10, atol=1e-12)


def test_lu_without_pivoting_factors_a_with_identity_p():
    a = _rand((2, 3, 3)) + 5 * np.eye(3)
    p, lower, upper = L.lu(gn.tensor(a), pivot=False)
    np.testing.assert_array_equal(p.numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)))
    np.testing.assert_allclose((lower @ upper).numpy(), a, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(L.lu_factor(gn.tensor(a), pivot=False).pivots.numpy(), [[1, 2, 3]] * 2)


def test_singular_matrices_report_info_or_raise():
    a = _rand((2, 3, 3))
    a[1, :, 2] = a[1, :, 0] + a[1, :, 1]
    a[1] = np.round(a[1], 0)
    a[1, :, 2] = a[1, :, 0]  # an exactly repeated column: U[3, 3] = 0
    ours, theirs = L.lu_factor_ex(gn.tensor(a)), torch.linalg.lu_factor_ex(torch.tensor(a))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    assert ours.info.numpy().tolist() == [0, 3]
    with pytest.raises(L.LinAlgError, match=r"lu_factor: \(batch element 1\) U\[3,3\] is zero"):
        L.lu_factor(gn.tensor(a))
    with pytest.raises(RuntimeError):
        torch.linalg.lu_factor(torch.tensor(a))
    with pytest.raises(L.LinAlgError, match="U\\[3,3\\]"):
        L.lu_factor_ex(gn.tensor(a), check_errors=True)
    _close(L.lu(gn.tensor(a)).U, torch.linalg.lu(torch.tensor(a)).U)


@pytest.mark.filterwarnings("ignore:torch.lu.* deprecated:UserWarning")  # torch warns, glassnet does not
def test_older_torch_lu_and_tensor_lu():
    a = _rand((2, 4, 4))
    for ours, theirs in [
        (gn.lu(gn.tensor(a)), torch.lu(torch.tensor(a))),
        (gn.tensor(a).lu(get_infos=True), torch.tensor(a).lu(get_infos=True)),
    ]:
        assert len(ours) == len(theirs)
        _close(ours[0], theirs[0])
        np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    lu, piv = gn.lu(gn.tensor(a))
    b = _rand((2, 4, 2), seed=1)
    _close(gn.lu_solve(gn.tensor(b), lu, piv), torch.lu_solve(torch.tensor(b), *torch.lu(torch.tensor(a))))


def test_lu_unpack_flags_give_empty_parts():
    lu, piv = L.lu_factor(gn.tensor(_rand((3, 3))))
    tlu, tpiv = torch.linalg.lu_factor(torch.tensor(_rand((3, 3))))
    for flags in [(False, True), (True, False)]:
        for x, y in zip(gn.lu_unpack(lu, piv, *flags), torch.lu_unpack(tlu, tpiv, *flags), strict=True):
            assert tuple(x.shape) == tuple(y.shape)


# -- lu_solve ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((4, 4), (4, 2)), ((2, 3, 3), (3, 5)), ((3, 3), (2, 3, 3)), ((2, 1, 3, 3), (4, 3, 3))],
)
def test_lu_solve_matches_torch(a_shape, b_shape, left, adjoint, dtype):
    a, b = _rand(a_shape, dtype), _rand(b_shape, dtype, seed=1)
    if not left:
        b = np.swapaxes(b, -1, -2).copy()
    ours = L.lu_solve(*L.lu_factor(gn.tensor(a)), gn.tensor(b), left=left, adjoint=adjoint)
    theirs = torch.linalg.lu_solve(
        *torch.linalg.lu_factor(torch.tensor(a)), torch.tensor(b), left=left, adjoint=adjoint
    )
    _close(ours, theirs, dtype)


def test_lu_solve_errors_name_what_fits():
    lu, piv = L.lu_factor(gn.tensor(_rand((3, 3))))
    b = gn.tensor(_rand((3, 2)))
    with pytest.raises(gn.GlassnetTypeError, match="pivots should be a Tensor of dtype int32.*got int64"):
        L.lu_solve(lu, piv.long(), b)
    with pytest.raises(gn.GlassnetError, match=r"LU is 3×3 and B has shape \(4, 2\)"):
        L.lu_solve(lu, piv, gn.tensor(_rand((4, 2))))
    with pytest.raises(gn.GlassnetError, match="at least 2 dimensions"):
        L.lu_solve(lu, piv, gn.tensor(_rand((3,))))
    with pytest.raises(gn.GlassnetError, match=r"pivots must have shape \(3,\)"):
        L.lu_solve(lu, piv[:2], b)
    with pytest.raises(gn.GlassnetError, match="square"):
        L.lu_solve(L.lu_factor(gn.tensor(_rand((3, 4)))).LU, piv, b)
    with pytest.raises(gn.GlassnetTypeError, match="floating point"):
        L.lu_factor(gn.tensor(np.ones((2, 2), dtype=np.int64)))


# -- LU gradients against torch ------------------------------------------------------------------
def _grads(lib, fn, *arrays, seed=5):
    ts = [lib.tensor(x, requires_grad=True) for x in arrays]
    outs = fn(lib, *ts)
    rng = np.random.default_rng(seed)
    loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)))).sum() for o in outs)
    loss.backward()
    return [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (2, 3, 5)], ids=str)
def test_lu_gradients_match_torch(shape):
    a = _rand(shape, seed=7)
    lu = lambda lib, x: lib.linalg.lu(x)[1:]  # noqa: E731
    np.testing.assert_allclose(_grads(gn, lu, a)[0], _grads(torch, lu, a)[0], rtol=1e-10, atol=1e-10)
    packed = lambda lib, x: lib.linalg.lu_factor(x)[:1]  # noqa: E731
    np.testing.assert_allclose(_grads(gn, packed, a)[0], _grads(torch, packed, a)[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_gradients_match_torch(left, adjoint):
    a, b, piv = (
        _rand((2, 3, 3), seed=2) + 3 * np.eye(3),
        _rand((2, 3, 2), seed=3),
        np.array([[2, 2, 3], [3, 3, 3]]),
    )

    def fn(lib, lu, rhs):
        pivots = lib.tensor(piv, dtype=lib.int32)
        return [lib.linalg.lu_solve(lu, pivots, rhs if left else rhs.mT, left=left, adjoint=adjoint)]

    for ours, theirs in zip(_grads(gn, fn, a, b), _grads(torch, fn, a, b), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 3, 5)], ids=str)
def test_lu_second_derivatives_on_tall_and_wide_matrices(shape):
    """The registry's gradgradcheck sees square and tall inputs; the wide and tall forms here."""
    a = gn.tensor(_rand(shape, seed=9), requires_grad=True)
    assert gn.autograd.gradgradcheck(lambda x: L.lu_factor(x).LU, [a], eps=1e-6, atol=1e-5, rtol=1e-4)


# -- eig ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 5, 5), (1, 1)], ids=str)
def test_eig_values_and_vectors(shape, dtype):
    a = _rand(shape, dtype, seed=11)
    values, vectors = L.eig(gn.tensor(a))
    theirs = torch.linalg.eig(torch.tensor(a))
    assert values.dtype == vectors.dtype == (gn.complex128 if dtype == "float64" else gn.complex64)
    assert str(values.dtype) == str(theirs.eigenvalues.dtype).removeprefix("torch.")
    key = lambda v: np.sort_complex(np.round(v, 6))  # noqa: E731  (a multiset: sorted)
    np.testing.assert_allclose(key(values.numpy()), key(theirs.eigenvalues.numpy()), **TOL[dtype])
    np.testing.assert_allclose(L.eigvals(gn.tensor(a)).numpy(), values.numpy(), rtol=1e-6, atol=1e-6)
    v, w = vectors.numpy(), values.numpy()
    np.testing.assert_allclose(a @ v, v * w[..., None, :], **TOL[dtype])
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, **TOL[dtype])


def test_eig_of_a_rotation_is_complex_and_real_eigenvalues_stay_complex():
    rotation = gn.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=gn.float64)
    np.testing.assert_allclose(np.sort_complex(L.eigvals(rotation).numpy()), [-1j, 1j], atol=1e-15)
    diagonal = L.eigvals(gn.tensor(np.diag([3.0, 1.0])))
    assert diagonal.dtype == gn.complex128 and diagonal.numpy().tolist() == [3, 1]


def test_eig_refuses_gradients_and_non_square():
    a = gn.tensor(_rand((3, 3)), requires_grad=True)
    with pytest.raises(gn.GlassnetTypeError, match="linalg.eig: the input requires grad.*no_grad"):
        L.eig(a)
    with pytest.raises(gn.GlassnetTypeError, match="linalg.eigvals: the input requires grad"):
        L.eigvals(a)
    with gn.no_grad():
        assert L.eig(a).eigenvalues.shape == (3,)
    with pytest.raises(gn.GlassnetError, match=r"linalg.eig: A must be batches of square.*\(3, 4\)"):
        L.eig(gn.tensor(_rand((3, 4))))


# -- LDL ---------------------------------------------------------------------------------------
def _symmetric(shape, dtype="float64", seed=0):
    x = _rand(shape, dtype, seed)
    return x + np.swapaxes(x, -1, -2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(5, 5), (3, 4, 4), (1, 1)], ids=str)
def test_ldl_matches_torch(shape, dtype):
    a = _symmetric(shape, dtype, seed=4)
    ours, theirs = L.ldl_factor(gn.tensor(a)), torch.linalg.ldl_factor(torch.tensor(a))
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    assert ours.pivots.dtype == gn.int32
    _close(ours.LD, theirs.LD, dtype)
    b = _rand(shape[:-1] + (2,), dtype, seed=6)
    solution = L.ldl_solve(*ours, gn.tensor(b))
    _close(solution, torch.linalg.ldl_solve(*theirs, torch.tensor(b)), dtype)
    _close(solution, torch.linalg.solve(torch.tensor(a), torch.tensor(b)), dtype)
    ex = L.ldl_factor_ex(gn.tensor(a), hermitian=True)
    np.testing.assert_array_equal(ex.info.numpy(), torch.linalg.ldl_factor_ex(torch.tensor(a)).info.numpy())


def test_ldl_uses_two_by_two_blocks_where_torch_does():
    a = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    ours, theirs = L.ldl_factor(gn.tensor(a)), torch.linalg.ldl_factor(torch.tensor(a))
    assert (theirs.pivots.numpy() < 0).any()
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    _close(ours.LD, theirs.LD)


def test_ldl_errors():
    with pytest.raises(L.LinAlgError, match="ldl_factor: \\(batch element 1\\) D\\[1,1\\] is exactly zero"):
        L.ldl_factor(gn.tensor(np.stack([np.eye(2), np.zeros((2, 2))])))
    assert L.ldl_factor_ex(gn.tensor(np.zeros((2, 2)))).info.item() == 1
    with pytest.raises(
        gn.GlassnetTypeError, match="ldl_factor_ex: an input requires grad.*not differentiable"
    ):
        L.ldl_factor(gn.tensor(_symmetric((3, 3)), requires_grad=True))
    ld, piv = L.ldl_factor(gn.tensor(_symmetric((3, 3))))
    with pytest.raises(gn.GlassnetTypeError, match="pivots should be a Tensor of dtype int32"):
        L.ldl_solve(ld, piv.long(), gn.tensor(_rand((3, 1))))
    with pytest.raises(gn.GlassnetError, match=r"B must be \(\.\.\., 3, k\)"):
        L.ldl_solve(ld, piv, gn.tensor(_rand((2, 1))))
