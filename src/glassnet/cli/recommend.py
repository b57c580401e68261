"""``glassnet recommend``: fit a recommender, show a user's top-k, find similar items.

Thin: parses arguments and calls :mod:`glassnet.recommend`.

    glassnet recommend fit ratings.csv --model als --rank 32 --out DIR
    glassnet recommend fit                        # a demo on synthetic ratings
    mpiexec -n 2 glassnet recommend fit --distributed   # ALS sharded over 2 ranks
    glassnet recommend top --model DIR --user U --k 10
    glassnet recommend similar --model DIR --item I --k 10
"""

import json
import os
import time

from glassnet.cli._parser import positive

NAME = "recommend"
HELP = "matrix-factorisation recommenders (fit, top, similar)"
DESCRIPTION = "Fit a recommender on user,item,rating rows and use it."
MODELS = ("als", "bias", "implicit-als", "mean", "mf", "popularity")
_FILE = "model.safetensors"


def add_arguments(parser):
    """The actions ``fit``, ``top`` and ``similar``, each with its own options."""
    sub = parser.add_subparsers(dest="recommend_command", metavar="ACTION", required=True,
                                parser_class=type(parser))
    _add_fit(sub.add_parser("fit", help="fit on a ratings file (or synthetic data) and evaluate"))
    for action, what in (("top", "user"), ("similar", "item")):
        q = sub.add_parser(action, help=f"the top-k items for a {what}" if action == "top"
                           else "the k items most similar to an item (cosine of factors)")
        q.add_argument("--model", required=True, help="a directory written by `recommend fit`")
        q.add_argument(f"--{what}", required=True)
        q.add_argument("--k", type=positive(int), default=10)
        if action == "top":
            q.add_argument("--include-seen", action="store_true",
                           help="also list items the user rated in training")


def _add_fit(fit):
    """``recommend fit``: the ratings (or a synthetic demo), the model and its options."""
    fit.add_argument("ratings", nargs="?", default=None,
                     help="user,item[,rating[,timestamp]] file (omit for a synthetic demo)")
    fit.add_argument("--model", choices=MODELS, default="als")
    fit.add_argument("--rank", type=positive(int), default=32)
    fit.add_argument("--reg", type=positive(float), default=None, help="L2 strength (model default)")
    fit.add_argument("--iterations", type=positive(int), default=15, help="ALS sweeps")
    fit.add_argument("--epochs", type=positive(int), default=20, help="mf epochs")
    fit.add_argument("--alpha", type=positive(float), default=40.0, help="implicit-als confidence")
    fit.add_argument("--k", type=positive(int), default=10, help="top-k for the ranking metrics")
    fit.add_argument("--test-fraction", type=positive(float), default=0.2)
    fit.add_argument("--split", choices=("random", "time"), default="random")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--out", default="runs/recommend", help="output directory")
    for name, default in (("--users", 2000), ("--items", 1000)):
        fit.add_argument(name, type=positive(int), default=default, help="synthetic demo size")
    fit.add_argument("--density", type=positive(float), default=0.05, help="synthetic demo density")
    fit.add_argument("--distributed", action="store_true",
                     help="shard ALS over the MPI ranks (mpiexec -n N glassnet recommend fit "
                          "--distributed …); rank 0 prints and writes")


def _build(args):
    """The recommender ``--model`` names, with the options given."""
    from glassnet import recommend as rec

    reg = {} if args.reg is None else {"reg": args.reg}
    if args.model == "als":
        return rec.ALS(rank=args.rank, iterations=args.iterations, seed=args.seed, **reg)
    if args.model == "implicit-als":
        return rec.ImplicitALS(rank=args.rank, iterations=args.iterations, alpha=args.alpha,
                               seed=args.seed, **reg)
    if args.model == "mf":
        return rec.MatrixFactorization(rank=args.rank, epochs=args.epochs, **reg)
    if args.model == "bias":
        return rec.BiasModel()
    return rec.Popularity() if args.model == "popularity" else rec.GlobalMean()


def _load_data(args, print_fn):
    from glassnet import recommend as rec

    if args.ratings is None:
        print_fn(f"no ratings file given: a demo on synthetic ratings ({args.users} users × "
                 f"{args.items} items, rank 8, noise 0.5)")
        return rec.synthetic(args.users, args.items, rank=8, density=min(args.density, 1.0),
                             noise=0.5, seed=args.seed)
    return rec.Ratings.from_csv(args.ratings)


def run_fit(args, print_fn=print):
    """Fit, evaluate against a bias baseline, save the model and ``results.json``."""
    import glassnet as gn
    from glassnet import recommend as rec
    from glassnet.io._atomic import atomic_write_text

    if not 0 < args.test_fraction < 1:
        raise gn.GlassnetValueError(f"--test-fraction must be in (0, 1), got {args.test_fraction}")
    writes = True
    if getattr(args, "distributed", False):  # every rank fits; ALS shards its rows over them
        from glassnet import distributed

        distributed.init_process_group()
        writes = distributed.get_rank() == 0
        print_fn = print_fn if writes else _silent
    gn.manual_seed(args.seed)
    data = _load_data(args, print_fn)
    train, test = data.split(args.test_fraction, by=args.split, seed=args.seed)
    print_fn(f"{data}; train {train.nnz}, test {test.nnz} interactions")
    model = _build(args)
    start = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - start
    table = rec.evaluate(model, test, k=args.k)
    baseline = rec.evaluate(rec.BiasModel().fit(train), test, k=args.k)
    print_fn(f"fitted {type(model).__name__} in {seconds:.2f} s")
    print_fn(str(table))
    if "rmse" in table:
        print_fn(f"(user/item bias baseline: rmse {baseline['rmse']:.4f})")
    results = {"model": type(model).__name__, "fit_seconds": seconds, "metrics": dict(table),
               "baseline_rmse": baseline["rmse"], "n_users": data.n_users,
               "n_items": data.n_items, "n_interactions": data.nnz}
    if getattr(args, "distributed", False):
        from glassnet import distributed

        results["world_size"] = distributed.get_world_size()
        print_fn(f"world size {results['world_size']}")
        distributed.destroy_process_group()
    if writes:
        os.makedirs(args.out, exist_ok=True)
        model.save(os.path.join(args.out, _FILE))
        atomic_write_text(os.path.join(args.out, "results.json"), json.dumps(results, indent=2))
        print_fn(f"wrote {os.path.join(args.out, _FILE)} and results.json")
    return results


def _silent(*args, **kwargs):
    """What ranks other than 0 print: nothing."""


def _open(path):
    from glassnet import recommend as rec

    return rec.load(os.path.join(path, _FILE) if os.path.isdir(path) else path)


def run_query(args, print_fn=print):
    """``top``: a user's top-k items; ``similar``: the items nearest to an item."""
    model = _open(args.model)
    if args.recommend_command == "top":
        items, scores = model.recommend(args.user, k=args.k, exclude_seen=not args.include_seen)
        print_fn(f"top {len(items)} for user {args.user} ({type(model).__name__}):")
    else:
        items, scores = model.similar_items(args.item, k=args.k)
        print_fn(f"{len(items)} items most similar to {args.item} (cosine of item factors):")
    for rank, (item, score) in enumerate(zip(items.tolist(), scores.tolist(), strict=True), 1):
        print_fn(f"{rank:>3}. {item}  {score:.4f}")
    return items, scores


def run(args, print_fn=print):
    if args.recommend_command == "fit":
        return run_fit(args, print_fn)
    return run_query(args, print_fn)
