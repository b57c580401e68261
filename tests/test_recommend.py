"""gn.recommend: data, ALS/implicit ALS/MF/baselines, metrics, files."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import recommend as rec

pytest.importorskip("scipy")


@pytest.fixture(scope="module")
def split():
    data = rec.synthetic(600, 300, rank=4, density=0.2, noise=0.3, seed=0)
    return data.split(0.2, seed=0)


# -- data ---------------------------------------------------------------------------------
def test_ratings_string_ids_duplicates_last_and_mean():
    users = ["bob", "amy", "bob", "bob", "cat"]
    items = ["x", "y", "x", "z", "y"]
    r = rec.Ratings.from_arrays(users, items, [1.0, 2.0, 5.0, 3.0, 4.0], timestamps=[1, 2, 3, 4, 5])
    assert r.user_ids.tolist() == ["amy", "bob", "cat"] and r.item_ids.tolist() == ["x", "y", "z"]
    assert r.nnz == 4 and r.shape == (3, 3)
    dense = r.matrix.toarray()
    np.testing.assert_array_equal(dense, [[0, 2, 0], [5, 0, 3], [0, 4, 0]])  # last (bob, x) wins
    mean = rec.Ratings.from_arrays(users, items, [1.0, 2.0, 5.0, 3.0, 4.0], timestamps=[1, 2, 3, 4, 5],
                                   duplicates="mean")
    assert mean.matrix.toarray()[1, 0] == 3.0 and mean.timestamps.max() == 5.0
    np.testing.assert_array_equal(mean.indptr, [0, 1, 3, 4])
    with pytest.raises(gn.GlassnetValueError, match="duplicates"):
        rec.Ratings.from_arrays(users, items, np.ones(5), duplicates="first")
    with pytest.raises(ValueError, match="items has 2 entries"):
        rec.Ratings.from_arrays([1, 2, 3], [1, 2], [1.0, 2.0, 3.0])


def test_from_csv_header_separators_and_implicit(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("userId,movieId,rating,timestamp\n1,10,4.0,100\n2,10,3.5,50\n1,20,2,70\n")
    r = rec.Ratings.from_csv(a)
    assert r.user_ids.dtype == np.int64 and r.item_ids.tolist() == [10, 20]
    assert r.ratings.tolist() == [4.0, 2.0, 3.5] and r.timestamps.tolist() == [100, 70, 50]
    b = tmp_path / "b.dat"
    b.write_text("u1::i1::5::1\nu2::i1::1::2\n")
    assert rec.Ratings.from_csv(b).user_ids.tolist() == ["u1", "u2"]
    c = tmp_path / "c.tsv"
    c.write_text("user\titem\nann\tbook\nann\tfilm\n")
    implicit = rec.Ratings.from_csv(c)
    assert implicit.ratings.tolist() == [1.0, 1.0] and implicit.timestamps is None
    with pytest.raises(gn.GlassnetValueError, match="no such file"):
        rec.Ratings.from_csv(tmp_path / "missing.csv")


def test_split_per_user_random_and_time():
    data = rec.synthetic(200, 100, rank=3, density=0.2, seed=1)
    train, test = data.split(0.25, seed=3)
    assert train.nnz + test.nnz == data.nnz and train.shape == test.shape == data.shape
    counts = data.user_counts()
    np.testing.assert_array_equal(test.user_counts(), np.minimum(np.floor(0.25 * counts + 0.5),
                                                                 np.maximum(counts - 1, 0)))
    keys = set((train.users * 1000 + train.items).tolist())
    assert keys.isdisjoint((test.users * 1000 + test.items).tolist())
    train_t, test_t = data.split(0.25, by="time")
    last_train = np.full(data.n_users, -np.inf)
    np.maximum.at(last_train, train_t.users, train_t.timestamps)
    assert np.all(test_t.timestamps >= last_train[test_t.users])
    with pytest.raises(gn.GlassnetValueError, match="no timestamps"):
        rec.Ratings.from_arrays([1], [2], [3.0]).split(0.5, by="time")


def test_synthetic_density_skew_and_factors():
    data, truth = rec.synthetic(500, 400, rank=5, density=0.05, noise=0.0, seed=0, return_factors=True)
    assert data.nnz == 10_000 and truth["user_factors"].shape == (500, 5)
    counts = np.sort(data.item_counts())[::-1]
    assert counts[:40].sum() > 0.3 * data.nnz  # the top 10 % of items hold > 30 %
    u, i = data.users, data.items
    exact = (truth["mean"] + truth["user_bias"][u] + truth["item_bias"][i]
             + np.einsum("nk,nk->n", truth["user_factors"][u], truth["item_factors"][i]))
    np.testing.assert_allclose(data.ratings, exact)


# -- models: exact half-steps -------------------------------------------------------------
def _tiny():
    rng = np.random.default_rng(0)
    mask = rng.random((5, 4)) < 0.6
    mask[4] = False  # an empty row
    u, i = np.nonzero(mask)
    return rec.Ratings(u, i, rng.integers(1, 6, u.size).astype(float), np.arange(5), np.arange(4))


@pytest.mark.parametrize("biases", [False, True])
def test_als_step_is_the_closed_form_normal_equations(biases):
    data = _tiny()
    model = rec.ALS(rank=3, reg=0.7, iterations=0, biases=biases, dtype=np.float64,
                    solver="exact").fit(data)
    Y, c = model.item_factors_.copy(), model.item_bias_.copy()
    X = model.step_users(data)
    R = data.matrix.toarray()
    for u in range(5):
        seen = R[u] != 0
        F = np.hstack([Y, np.ones((4, 1))]) if biases else Y
        target = R[u, seen] - model.global_mean_ - (c[seen] if biases else 0)
        A = F[seen].T @ F[seen] + 0.7 * np.eye(F.shape[1])
        expected = np.linalg.solve(A, F[seen].T @ target)
        np.testing.assert_allclose(X[u], expected[:3], rtol=1e-10, atol=1e-12)
        if biases:
            np.testing.assert_allclose(model.user_bias_[u], expected[3], rtol=1e-10, atol=1e-12)
    assert np.all(X[4] == 0)  # the empty row: (reg·I) x = 0


def test_implicit_als_matches_direct_weighted_least_squares():
    data = _tiny()
    model = rec.ImplicitALS(rank=3, reg=0.5, alpha=2.0, iterations=1, dtype=np.float64,
                            solver="exact").fit(data)
    X, Y = model.user_factors_, model.step_items(data)
    R = data.matrix.toarray()
    P, C = (R > 0).astype(float), 1 + 2.0 * R
    for i in range(4):  # x minimises Σ_u c_ui (p_ui − x_u·y_i)² + reg ‖y_i‖² over ALL users
        Cd = np.diag(C[:, i])
        expected = np.linalg.solve(X.T @ Cd @ X + 0.5 * np.eye(3), X.T @ Cd @ P[:, i])
        np.testing.assert_allclose(Y[i], expected, rtol=1e-9, atol=1e-12)


# -- models: recovery ---------------------------------------------------------------------
def test_als_recovers_low_rank_ratings_near_the_noise_level(split):
    train, test = split
    als = rec.evaluate(rec.ALS(rank=4, reg=1.0, iterations=15).fit(train), test)
    bias = rec.evaluate(rec.BiasModel().fit(train), test)
    mean = rec.evaluate(rec.GlobalMean().fit(train), test)
    assert als["rmse"] < 0.3 * 1.2 < bias["rmse"] / 2 and bias["rmse"] < mean["rmse"]
    assert als["mae"] < bias["mae"] / 2


def test_matrix_factorization_through_autograd_recovers_ratings(split):
    train, test = split
    gn.manual_seed(0)
    mf = rec.MatrixFactorization(rank=4, reg=0.05, epochs=25, lr=0.02, batch_size=2048).fit(train)
    bias = rec.evaluate(rec.BiasModel().fit(train), test)["rmse"]
    assert mf.history_[-1] < mf.history_[0]
    assert rec.evaluate(mf, test)["rmse"] < 0.6 * bias


def test_matrix_factorization_is_a_module_with_gradients_everywhere():
    mf = rec.MatrixFactorization(5, 4, rank=3).double()
    names = [n for n, _ in mf.named_parameters()]
    assert names == ["user_factors.weight", "item_factors.weight", "user_bias.weight", "item_bias.weight"]
    users, items = np.array([0, 0, 2]), np.array([1, 3, 1])
    out = mf(users, items)
    assert out.shape == (3,)
    out.sum().backward()
    P, Q = mf.user_factors.weight.numpy(), mf.item_factors.weight.numpy()
    expected = np.zeros_like(P)
    np.add.at(expected, users, Q[items])  # user 0 appears twice: its gradient rows add
    np.testing.assert_allclose(mf.user_factors.weight.grad.numpy(), expected)
    np.testing.assert_allclose(mf.item_bias.weight.grad.numpy()[:, 0], [0, 2, 0, 1])
    assert "global_mean" in mf.state_dict()


def test_matrix_factorization_matches_pytorch():
    torch = pytest.importorskip("torch")
    mf = rec.MatrixFactorization(6, 5, rank=3).double()
    tables = {k: torch.tensor(v.numpy()) for k, v in mf.state_dict().items()}
    u, i = np.array([0, 5, 2, 2]), np.array([4, 0, 1, 1])
    tu, ti = torch.tensor(u), torch.tensor(i)
    ref = ((tables["user_factors.weight"][tu] * tables["item_factors.weight"][ti]).sum(1)
           + tables["user_bias.weight"][tu, 0] + tables["item_bias.weight"][ti, 0])
    np.testing.assert_allclose(mf(u, i).numpy(), ref.numpy(), rtol=1e-12)


def test_implicit_als_and_popularity_rank_held_out_items(split):
    train, test = split
    implicit = rec.evaluate(rec.ImplicitALS(rank=8, reg=0.1, alpha=2.0, iterations=10).fit(train), test)
    popular = rec.evaluate(rec.Popularity().fit(train), test)
    chance = rec.evaluate(rec.GlobalMean().fit(train), test)
    assert "rmse" not in implicit and implicit["precision@10"] > 2 * chance["precision@10"]
    assert popular["ndcg@10"] > 2 * chance["ndcg@10"]


def test_ranking_metrics_count_repeated_items_once():
    from glassnet.recommend import map_at_k, ndcg_at_k, precision_at_k, recall_at_k

    assert recall_at_k([[1, 1]], [[1]], 2) == 1.0
    assert ndcg_at_k([[1, 1]], [[1]], 2) == 1.0
    assert map_at_k([[1, 1]], [[1]], 2) == 1.0
    assert precision_at_k([[1, 1]], [[1]], 2) == 0.5
    assert recall_at_k([[1]], [[1, 1]], 1) == 1.0  # the relevant list is a set
