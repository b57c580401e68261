"""gn.recommend: the conjugate-gradient solver of ALS/ImplicitALS and early stopping."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import recommend as rec

pytest.importorskip("scipy")
from glassnet.recommend import _normal  # noqa: E402
from glassnet.recommend._normal import cg_rows, csr, entry_dots, solve_rows  # noqa: E402


def _systems(k=5, n_rows=7, n_cols=9, seed=0):
    """Random sparse weights (one empty row), factors, a shared base and row scales."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n_rows, n_cols)) < 0.5
    mask[3] = False
    u, j = np.nonzero(mask)
    indptr = np.concatenate([[0], np.cumsum(mask.sum(1))])
    W = csr(rng.uniform(0.5, 3.0, u.size), j, indptr, n_cols)
    V = csr(rng.standard_normal(u.size), j, indptr, n_cols)
    F = rng.standard_normal((n_cols, k))
    base = F.T @ F
    return W, V, F, base, rng.uniform(1, 4, n_rows), rng.standard_normal((n_rows, k))


@pytest.mark.parametrize("shared", [False, True])
def test_cg_with_k_steps_reaches_the_exact_solution(shared):
    W, V, F, base, scale, x0 = _systems()
    kwargs = {"base": base, "row_scale": scale} if shared else {}
    exact = solve_rows(W, V, F, 0.3, **kwargs)
    np.testing.assert_allclose(cg_rows(W, V, F, 0.3, x0, steps=5, **kwargs), exact, rtol=1e-8, atol=1e-10)
    assert np.all(exact[3] == 0) and np.abs(cg_rows(W, V, F, 0.3, x0, steps=1)[3]).max() < 1e-12


def test_cg_error_shrinks_every_step():
    W, V, F, base, _, x0 = _systems(k=8)
    exact = solve_rows(W, V, F, 0.1, base=base)
    errors = [np.abs(cg_rows(W, V, F, 0.1, x0, base=base, steps=s) - exact).max() for s in (1, 2, 4, 8)]
    assert errors[0] < np.abs(x0 - exact).max() and errors[-1] < 1e-7
    assert all(a > b for a, b in zip(errors, errors[1:], strict=False))


def test_entry_dots_block_by_block_equal_the_dense_products(monkeypatch):
    W, _, F, _, _, X = _systems(k=4, n_rows=9, n_cols=6)   # row 3 is empty
    expected = (X @ F.T)[W.nonzero()]                      # (u, j) in CSR order
    np.testing.assert_allclose(entry_dots(W, F, X), expected, rtol=1e-12)
    monkeypatch.setattr(_normal, "_DOT_BLOCK_BYTES", 1)    # one row per block
    np.testing.assert_allclose(entry_dots(W, F, X), expected, rtol=1e-12)


def test_row_blocks_cover_every_row_once_and_never_split_one():
    indptr = np.array([0, 3, 3, 4, 9, 9, 10])
    for entries in (1, 2, 4, 100):
        blocks = _normal._row_blocks(indptr, entries)
        assert [b[0] for b in blocks[1:]] == [b[1] for b in blocks[:-1]]
        assert blocks[0][0] == 0 and blocks[-1][1] == 6
        assert all((indptr[r0], indptr[r1]) == (e0, e1) for r0, r1, e0, e1 in blocks)
    assert _normal._row_blocks(indptr, 100) == [(0, 6, 0, 10)]
    assert _normal._row_blocks(np.array([0, 0]), 4) == [(0, 1, 0, 0)]


@pytest.mark.parametrize("steps", [1, 3])
def test_cg_dots_tracked_through_the_steps_equal_a_fresh_pass(steps):
    W, V, F, base, scale, x0 = _systems(k=6)
    x = cg_rows(W, V, F, 0.3, x0, base=base, row_scale=scale, steps=steps)
    x2, dots = cg_rows(W, V, F, 0.3, x0, base=base, row_scale=scale, steps=steps, with_dots=True)
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_allclose(dots, entry_dots(W, F, x), rtol=1e-10, atol=1e-12)


def test_cg_right_hand_side_with_its_own_sparsity():
    W, V, F, _, _, x0 = _systems(k=5)
    data = V.data.copy()
    data[::3] = 0.0
    sparser = csr(data, V.indices, V.indptr, V.shape[1])
    sparser.eliminate_zeros()                              # fewer entries than W: the V @ F path
    assert sparser.nnz < W.nnz
    np.testing.assert_allclose(cg_rows(W, sparser, F, 0.3, x0, steps=5), solve_rows(W, sparser, F, 0.3),
                               rtol=1e-8, atol=1e-10)


def _tiny():
    rng = np.random.default_rng(0)
    mask = rng.random((6, 5)) < 0.6
    u, i = np.nonzero(mask)
    return rec.Ratings(u, i, rng.integers(1, 6, u.size).astype(float), np.arange(6), np.arange(5))


@pytest.mark.parametrize("make", [
    lambda **kw: rec.ALS(rank=3, reg=0.7, iterations=2, dtype=np.float64, **kw),
    lambda **kw: rec.ImplicitALS(rank=3, reg=0.5, alpha=2.0, iterations=2, dtype=np.float64, **kw),
], ids=["ALS", "ImplicitALS"])
def test_model_half_steps_with_many_cg_steps_equal_the_exact_ones(make):
    data = _tiny()
    exact, cg = make(solver="exact").fit(data), make(solver="cg", cg_steps=12).fit(data)
    np.testing.assert_allclose(cg.user_factors_, exact.user_factors_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(cg.item_factors_, exact.item_factors_, rtol=1e-7, atol=1e-9)
    few = make(solver="cg", cg_steps=1).fit(data)
    assert np.abs(few.item_factors_ - exact.item_factors_).max() > 1e-4  # 1 step is not exact


def test_implicit_training_loss_matches_the_dense_sum():
    data = _tiny()
    model = rec.ImplicitALS(rank=3, reg=0.5, alpha=2.0, iterations=2, dtype=np.float64).fit(data)
    R = data.matrix.toarray()
    S = model.user_factors_ @ model.item_factors_.T
    dense = np.sum((1 + 2.0 * R) * ((R > 0) - S) ** 2)
    dense += 0.5 * (np.sum(model.user_factors_ ** 2) + np.sum(model.item_factors_ ** 2))
    assert model.training_loss(data) == pytest.approx(dense, rel=1e-12)


@pytest.mark.parametrize("cls", [rec.ALS, rec.ImplicitALS])
def test_tol_stops_early_on_a_non_increasing_training_loss(cls):
    data = rec.synthetic(200, 100, rank=3, density=0.2, noise=0.3, seed=2)
    full = cls(rank=4, iterations=30, tol=1e-12).fit(data).history_
    assert len(full) == 30 and np.all(np.diff(full) <= 1e-5 * full[0])
    early = cls(rank=4, iterations=30, tol=0.01).fit(data).history_
    assert 2 <= len(early) < 30 and early[-2] - early[-1] <= 0.01 * early[-2]
    assert cls(rank=4, iterations=3).fit(data).history_ == []  # tol=0: nothing recorded


@pytest.mark.parametrize("kwargs", [{}, {"solver": "exact"}, {"biases": False, "weighted_reg": True}])
@pytest.mark.parametrize("cls", [rec.ALS, rec.ImplicitALS])
def test_history_is_the_training_loss_after_each_sweep(cls, kwargs):
    data = rec.synthetic(150, 60, rank=3, density=0.2, noise=0.3, seed=4)
    if cls is rec.ImplicitALS:
        kwargs = {k: v for k, v in kwargs.items() if k == "solver"}
    model = cls(rank=4, iterations=3, tol=1e-12, dtype=np.float64, **kwargs).fit(data)
    assert model.history_[-1] == pytest.approx(model.training_loss(data), rel=1e-12)
    ref = cls(rank=4, iterations=0, dtype=np.float64, **kwargs).fit(data)
    losses = []
    for _ in range(3):                                      # the same sweeps by hand
        ref.step_users(data)
        ref.step_items(data)
        losses.append(ref.training_loss(data))
    assert 2 <= len(model.history_)  # (weighted_reg's objective is not this loss: it may stop)
    np.testing.assert_allclose(model.history_, losses[:len(model.history_)], rtol=1e-12)


def test_steps_by_hand_follow_the_ratings_they_are_given():
    a = _tiny()
    b = rec.Ratings(a.users, a.items, a.ratings[::-1].copy(), a.user_ids, a.item_ids)
    model = rec.ALS(rank=3, reg=0.7, iterations=1, dtype=np.float64, solver="exact").fit(a)
    other = rec.ALS(rank=3, reg=0.7, iterations=1, dtype=np.float64, solver="exact").fit(a)
    model.step_users(a)                                     # a's sides, then b's (same mean)
    np.testing.assert_array_equal(model.step_users(b), other.step_users(b))


def test_steps_by_hand_follow_changed_settings():
    ratings = _tiny()
    model = rec.ImplicitALS(rank=3, reg=0.5, alpha=2.0, iterations=0, dtype=np.float64).fit(ratings)
    fresh = rec.ImplicitALS(rank=3, reg=0.5, alpha=40.0, iterations=0, dtype=np.float64).fit(ratings)
    model.step_users(ratings)                               # sides built with alpha 2 …
    model.user_factors_ = fresh.user_factors_.copy()
    model.alpha = 40.0                                      # … must not serve alpha 40
    np.testing.assert_array_equal(model.step_users(ratings), fresh.step_users(ratings))


def test_cg_right_hand_side_of_a_wider_dtype_keeps_the_factors_dtype():
    W, V, F, _, _, x0 = _systems(k=4)
    F32, W32 = F.astype(np.float32), csr(W.data.astype(np.float32), W.indices, W.indptr, W.shape[1])
    data = V.data.copy()
    data[::2] = 0.0
    sparser = csr(data, V.indices, V.indptr, V.shape[1])   # float64, its own sparsity
    sparser.eliminate_zeros()
    x = cg_rows(W32, sparser, F32, 0.3, x0.astype(np.float32), steps=4)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, cg_rows(W, sparser, F, 0.3, x0, steps=4), rtol=1e-3, atol=1e-4)


def test_solver_arguments_are_checked_and_saved(tmp_path):
    with pytest.raises(gn.GlassnetValueError, match="solver must be 'cg' or 'exact'.*got solver='lu'"):
        rec.ALS(solver="lu")
    with pytest.raises(ValueError, match="cg_steps=0"):
        rec.ImplicitALS(cg_steps=0)
    model = rec.ALS(rank=2, iterations=1, solver="exact", tol=0.5).fit(_tiny())
    loaded = rec.load(model.save(tmp_path / "m"))
    assert (loaded.solver, loaded.cg_steps, loaded.tol) == ("exact", 3, 0.5)
