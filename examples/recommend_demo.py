"""Recommendation by matrix factorisation on synthetic ratings with known low-rank factors.

Fits the baselines, ALS, implicit ALS and the autograd MatrixFactorization module on the
same train/test split, prints one evaluation table, then recommends for one user and
finds items similar to one item. GLASSNET_QUICK=1 runs it at tiny size.
"""

import os
import time

import glassnet as gn
from glassnet import recommend

QUICK = os.environ.get("GLASSNET_QUICK") == "1"
N_USERS, N_ITEMS, RANK, NOISE = (300, 150, 4, 0.5) if QUICK else (5000, 2000, 8, 0.5)


def main():
    gn.manual_seed(0)
    data = recommend.synthetic(N_USERS, N_ITEMS, rank=RANK, density=0.05, noise=NOISE, seed=0)
    train, test = data.split(0.2, seed=0)
    print(f"{data}: train {train.nnz}, test {test.nnz}; noise level {NOISE}")
    models = {
        "global mean": recommend.GlobalMean(),
        "popularity": recommend.Popularity(),
        "user/item biases": recommend.BiasModel(),
        "ALS": recommend.ALS(rank=RANK, reg=1.0, iterations=15),
        "implicit ALS": recommend.ImplicitALS(rank=RANK, reg=0.1, alpha=2.0, iterations=15),
        "MF (autograd, Adam)": recommend.MatrixFactorization(rank=RANK, epochs=3 if QUICK else 15,
                                                             lr=0.02, batch_size=2048),
    }
    header = f"{'model':<20} {'fit s':>6} {'rmse':>7} {'mae':>7} {'prec@10':>8} {'ndcg@10':>8}"
    print(header + "\n" + "─" * len(header))
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - start
        t = recommend.evaluate(model, test, k=10)
        rmse = f"{t['rmse']:.4f}" if "rmse" in t else "—"
        mae = f"{t['mae']:.4f}" if "mae" in t else "—"
        print(f"{name:<20} {seconds:>6.2f} {rmse:>7} {mae:>7} {t['precision@10']:>8.4f} "
              f"{t['ndcg@10']:>8.4f}")
    als = models["ALS"]
    items, scores = als.recommend(0, k=5)
    print("ALS top 5 for user 0:", ", ".join(f"{i} ({s:.2f})" for i, s in zip(items, scores, strict=True)))
    items, sims = als.similar_items(0, k=3)
    print("items most like item 0:", ", ".join(f"{i} ({s:.2f})" for i, s in zip(items, sims, strict=True)))


if __name__ == "__main__":
    main()
