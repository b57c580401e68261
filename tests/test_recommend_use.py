"""gn.recommend in use: recommend, similar_items, unknown ids, metrics, files, the CLI."""

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet import recommend as rec
from glassnet.cli import main

pytest.importorskip("scipy")


@pytest.fixture(scope="module")
def fitted():
    data = rec.synthetic(150, 60, rank=3, density=0.2, noise=0.2, seed=2)
    train, test = data.split(0.2, seed=0)
    return train, test, rec.ALS(rank=3, reg=1.0, iterations=8).fit(train)


def test_exclude_seen_never_returns_a_training_item(fitted):
    train, _, model = fitted
    R = train.matrix.toarray() != 0
    for user in range(0, 150, 7):
        items, scores = model.recommend(user, k=20)
        assert len(items) == 20 and not R[user, items].any()
        assert np.all(np.diff(scores) <= 0)
    heavy = int(np.argmax(train.user_counts()))
    items, _ = model.recommend(heavy, k=60)  # asks for more than are unseen
    assert len(items) == 60 - train.user_counts()[heavy] and not R[heavy, items].any()
    with_seen, _ = model.recommend(heavy, k=60, exclude_seen=False)
    assert len(with_seen) == 60


def test_predict_matches_recommend_scores_and_unknown_ids(fitted):
    _, _, model = fitted
    items, scores = model.recommend(5, k=3)
    np.testing.assert_allclose(model.predict([5, 5, 5], items), scores, rtol=1e-5)
    with pytest.raises(gn.GlassnetValueError, match=r"unknown user id\(s\) \[999\].*150 users"):
        model.predict([999], [1])
    with pytest.raises(ValueError, match="unknown item"):
        model.similar_items(12345)
    fallback = model.predict([999, 5], [1, 77777], unknown="mean")
    assert fallback.tolist() == [model.global_mean_] * 2


def test_similar_items_is_cosine_of_item_factors(fitted):
    _, _, model = fitted
    items, sims = model.similar_items(7, k=5)
    Y = model.item_factors_.astype(np.float64)
    cos = Y @ Y[7] / (np.linalg.norm(Y, axis=1) * np.linalg.norm(Y[7]))
    cos[7] = -np.inf
    np.testing.assert_array_equal(items, np.argsort(-cos)[:5])
    np.testing.assert_allclose(sims, np.sort(cos)[::-1][:5], rtol=1e-10)
    with pytest.raises(gn.GlassnetError, match="no item factors"):
        rec.BiasModel().fit(fitted[0]).similar_items(7)


def test_metrics_against_hand_computed_values():
    recommended = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    relevant = [[2, 4, 9], [5]]
    # user 0: hits at ranks 2, 4 of k=4; user 1: a hit at rank 1
    assert rec.precision_at_k(recommended, relevant, 4) == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert rec.recall_at_k(recommended, relevant, 4) == pytest.approx((2 / 3 + 1) / 2)
    dcg0 = 1 / np.log2(3) + 1 / np.log2(5)
    idcg0 = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert rec.ndcg_at_k(recommended, relevant, 4) == pytest.approx((dcg0 / idcg0 + 1) / 2)
    ap0 = (1 / 2 + 2 / 4) / 3
    assert rec.map_at_k(recommended, relevant, 4) == pytest.approx((ap0 + 1) / 2)
    assert rec.precision_at_k(recommended, relevant, 1) == pytest.approx(0.5)
    assert rec.rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(np.sqrt(4 / 3))
    assert rec.mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    table = rec.ranking_metrics(np.array([[True, False], [False, False]]), [1, 0])  # 2nd: no items
    assert table == {"precision": 0.5, "recall": 1.0, "ndcg": 1.0, "map": 1.0}


def test_evaluate_returns_a_table(fitted):
    train, test, model = fitted
    table = rec.evaluate(model, test, k=5)
    assert list(table) == ["rmse", "mae", "precision@5", "recall@5", "ndcg@5", "map@5", "test users"]
    assert "precision@5" in str(table) and table["test users"] == int((test.user_counts() > 0).sum())
    other = rec.synthetic(10, 10, rank=2, density=0.5, seed=0)
    with pytest.raises(gn.GlassnetValueError, match="id maps"):
        rec.evaluate(model, other)


@pytest.mark.parametrize("make", [
    lambda: rec.ALS(rank=3, iterations=3), lambda: rec.ImplicitALS(rank=3, iterations=3),
    lambda: rec.MatrixFactorization(rank=3, epochs=2), rec.BiasModel, rec.Popularity, rec.GlobalMean,
], ids=["ALS", "ImplicitALS", "MF", "Bias", "Popularity", "GlobalMean"])
def test_save_load_round_trip_with_string_ids(make, tmp_path):
    rng = np.random.default_rng(0)
    users = np.array([f"user{n}" for n in rng.integers(0, 30, 400)])
    items = np.array([f"item-{n}" for n in rng.integers(0, 20, 400)])
    data = rec.Ratings.from_arrays(users, items, rng.integers(1, 6, 400))
    model = make().fit(data)
    path = model.save(tmp_path / "m.safetensors")
    loaded = rec.load(path)
    assert type(loaded) is type(model) and loaded.user_ids.tolist() == model.user_ids.tolist()
    np.testing.assert_array_equal(loaded.recommend("user3", 5)[0], model.recommend("user3", 5)[0])
    np.testing.assert_allclose(loaded.predict(["user1"], ["item-2"]), model.predict(["user1"], ["item-2"]))


def test_load_rejects_other_files(tmp_path):
    gn.save({"w": gn.ones(2)}, tmp_path / "plain.safetensors")
    with pytest.raises(gn.GlassnetError, match="not a glassnet recommender"):
        rec.load(tmp_path / "plain.safetensors")


def test_load_rejects_tampered_interactions(tmp_path):
    data = rec.synthetic(12, 8, rank=2, density=0.5, seed=0)
    path = rec.Popularity().fit(data).save(tmp_path / "m.safetensors")
    arrays, meta = gn.load(path), gn.io.load_metadata(path)
    arrays["seen_indices"] = gn.tensor(arrays["seen_indices"].numpy() + 100)
    user_meta = {k: v for k, v in meta.items() if k not in ("format", "format_version",
                                                            "glassnet_version", "dtype")}
    gn.save(arrays, tmp_path / "bad.safetensors", metadata=user_meta)
    with pytest.raises(gn.GlassnetError, match="seen_indices fall outside the 8 items"):
        rec.load(tmp_path / "bad.safetensors")


def test_cli_fit_top_similar(tmp_path, capsys):
    csv = tmp_path / "r.csv"
    data = rec.synthetic(80, 40, rank=2, density=0.3, seed=0)
    csv.write_text("user,item,rating\n" + "".join(
        f"u{u},i{i},{r:.3f}\n" for u, i, r in zip(data.users, data.items, data.ratings, strict=True)))
    out = tmp_path / "run"
    assert main(["recommend", "fit", str(csv), "--model", "als", "--rank", "2", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["metrics"]["rmse"] < results["baseline_rmse"] and results["n_users"] == 80
    assert main(["recommend", "top", "--model", str(out), "--user", "u3", "--k", "4"]) == 0
    printed = capsys.readouterr().out
    assert "top 4 for user u3" in printed and "  4. i" in printed
    assert main(["recommend", "similar", "--model", str(out), "--item", "i1", "--k", "2"]) == 0
    assert main(["recommend", "top", "--model", str(out), "--user", "nobody"]) == 2
    assert "unknown user" in capsys.readouterr().err


def test_cli_demo_on_synthetic_data(tmp_path, capsys):
    code = main(["recommend", "fit", "--model", "implicit-als", "--rank", "4", "--users", "100",
                 "--items", "50", "--iterations", "3", "--out", str(tmp_path)])
    assert code == 0 and "synthetic" in capsys.readouterr().out
    assert (tmp_path / "model.safetensors").exists()
