"""Tracing costs nothing when off: an MLP training step with ``glassnet.explain`` imported
and no trace active, against the same step in an interpreter that never imported it.

Each side runs in its own fresh subprocess (an import cannot be undone), alternating
A, B, A, B… so machine drift hits both alike; the ratio of medians is reported, along with
the cost of the same step *with* a trace active (for scale).

    python benchmarks/explain_overhead.py            # rewrites the "explain_overhead" section
    python benchmarks/explain_overhead.py --quick    # smoke run, prints only
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

from _common import (
    bench_parser,
    compare,
    fmt,
    load_average,
    markdown_table,
    now_utc,
    parse_bench_args,
    publish,
    run_worker,
    worker_facts,
)

SIZES = (40, 100, 100, 10)
BATCH = 100
SETUP = {
    "full": {"budget_s": 1.5, "target_batch_s": 0.05, "min_repeats": 15},
    "quick": {"budget_s": 0.02, "target_batch_s": 0.002, "min_repeats": 3, "warmup_s": 0.002},
}


def _step_namespace():
    import glassnet as gn
    from glassnet import nn, optim

    gn.manual_seed(0)
    layers = []
    for k, (i, o) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True)):
        layers += [nn.Linear(i, o)] + ([nn.ReLU()] if k < len(SIZES) - 2 else [])
    model = nn.Sequential(*layers)
    opt = optim.SGD(model.parameters(), lr=0.01)
    x, y = gn.randn(BATCH, SIZES[0]), gn.randint(0, SIZES[-1], (BATCH,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return {"step": step, "model": model, "gn": gn}


def worker(args):
    ns = _step_namespace()
    cases = {"step": ("step()", ns)}
    if args.explain:
        import glassnet.explain

        ns["explain"] = glassnet.explain
        cases["traced"] = ("with explain.trace(model):\n    step()", ns)
    results = compare(cases, **SETUP["quick" if args.quick else "full"])
    facts = worker_facts()
    out = {"explain": args.explain, "threads": args.threads, "facts": facts, "load_end": load_average(),
           "median": {k: v["median"] for k, v in results.items()}}
    Path(args.json_out).write_text(json.dumps(out))


def _medians(threads, quick, rounds):
    """Median µs per step (plain, explain imported, traced) over ``rounds`` alternating runs."""
    plain, imported, traced = [], [], []
    for _ in range(rounds):
        for explain in (False, True):
            extra = ["--explain"] if explain else []
            res = run_worker(Path(__file__), threads, extra + (["--quick"] if quick else []))
            (imported if explain else plain).append(res["median"]["step"])
            if explain:
                traced.append(res["median"]["traced"])
    return [statistics.median(v) for v in (plain, imported, traced)]


def parent(args):
    rounds = 1 if args.quick else 3
    rows = []
    for threads in args.threads:
        p, i, t = _medians(threads, args.quick, rounds)
        rows += [["MLP training step, glassnet.explain never imported", threads, fmt(p * 1e6), "1.00"],
                 ["… glassnet.explain imported, no trace active", threads, fmt(i * 1e6), f"{i / p:.2f}"],
                 ["… inside `with gn.explain.trace(model):`", threads, fmt(t * 1e6), f"{t / p:.2f}"]]
    text = (f"## explain_overhead\n\nAn MLP {'→'.join(map(str, SIZES))} training step (batch {BATCH}, "
            f"SGD), µs per step: median of {rounds} fresh-interpreter runs per side, alternating, "
            f"per BLAS thread count. Goal: the second row within noise (≈1.00) of the first — "
            f"observing costs one attribute check per op when nobody listens.\n\n"
            + markdown_table(["case", "threads", "µs / step", "ratio"], rows) + f"\n\nMeasured {now_utc()}.")
    publish("explain_overhead", text, args)


def main():
    ap = bench_parser(__doc__)
    ap.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parse_bench_args(ap)
    if args.worker:
        worker(args)
    else:
        parent(args)


if __name__ == "__main__":
    sys.exit(main())
