"""Recommendation by matrix factorisation: learn user and item factors, recommend top-k,
evaluate honestly.

>>> from glassnet import recommend
>>> train, test = recommend.synthetic(300, 200, rank=4, density=0.1, seed=0).split(0.2)
>>> model = recommend.ALS(rank=4, reg=1.0, iterations=10).fit(train)
>>> table = recommend.evaluate(model, test, k=10)      # rmse, mae, precision@10, ...

SciPy (the ``data`` extra) is imported only when a sparse product is needed.
"""

from glassnet.recommend._als import ALS, ImplicitALS
from glassnet.recommend._base import Recommender
from glassnet.recommend._baselines import BiasModel, GlobalMean, Popularity
from glassnet.recommend._files import load
from glassnet.recommend._metrics import (
    EvalTable,
    evaluate,
    mae,
    map_at_k,
    ndcg_at_k,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
    rmse,
)
from glassnet.recommend._mf import MatrixFactorization
from glassnet.recommend._ratings import Ratings
from glassnet.recommend._synthetic import synthetic

__all__ = [
    "ALS",
    "BiasModel",
    "EvalTable",
    "GlobalMean",
    "ImplicitALS",
    "MatrixFactorization",
    "Popularity",
    "Ratings",
    "Recommender",
    "evaluate",
    "load",
    "mae",
    "map_at_k",
    "ndcg_at_k",
    "precision_at_k",
    "ranking_metrics",
    "recall_at_k",
    "rmse",
    "synthetic",
]
