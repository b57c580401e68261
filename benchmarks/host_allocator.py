"""Host allocator: what glassnet's opt-in malloc tuning buys, measured in fresh processes.

``import glassnet`` leaves malloc alone. ``gn.backend.tune_host_allocator()`` (or
``GLASSNET_HOST_ALLOCATOR=tuned`` before the import) raises glibc's mmap threshold to
32 MiB and its trim threshold to 64 MiB, so a training step's large temporaries are
reused from the heap instead of being mapped fresh (and page-faulted in) every step
(src/glassnet/_allocator.py says why and what it costs). Two glassnet training steps,
float32, run with the C library's defaults and with the opt-in:

1. LSTM: ``nn.LSTM(1, 128)`` over a sequence of 40, batch 100: forward, the outputs' sum,
   backward (zero grads first);
2. MLP 784-256-256-10 (Linear/ReLU), batch 1024: zero grads, forward, cross-entropy,
   backward, SGD update.

Every (case, setting) runs in a fresh worker process (the setting is process-wide and is
read at import), ``ROUNDS`` rounds of them with the order of the two settings alternating,
1 BLAS thread by default. A worker warms up, then times each step on its own: the report
gives the median step (p10–p90 over all timed steps of all rounds), minor page faults per
step (``getrusage`` ``ru_minflt`` over the timed steps) and the worker's peak resident
memory; *default / tuned* is the median over rounds of the ratio of the two workers'
median steps. ``--host-allocator`` is ignored here: both settings run.

    python benchmarks/host_allocator.py            # rewrites the "host_allocator" section
    python benchmarks/host_allocator.py --quick    # smoke run, prints only
"""

import json
import resource
import statistics
import sys
import time
from pathlib import Path

from _common import (
    HOST_ALLOCATOR_VAR,
    bench_parser,
    fmt,
    load_average,
    markdown_table,
    now_utc,
    parse_bench_args,
    peak_mb,
    publish,
    run_worker,
    threads_label,
    worker_facts,
)

CASES = {"lstm": "LSTM(1 → 128), sequence 40, batch 100, forward + backward",
         "mlp": "MLP 784-256-256-10, batch 1024, SGD step"}
SETTINGS = ("system", "tuned")
ROUNDS, STEPS, WARMUP = 5, 30, 5
QUICK_ROUNDS, QUICK_STEPS, QUICK_WARMUP = 1, 3, 1


# -- the two steps --------------------------------------------------------------------
def _lstm_step(np, gn):
    gn.manual_seed(0)
    lstm = gn.nn.LSTM(1, 128)
    x = gn.tensor(np.random.default_rng(0).standard_normal((40, 100, 1), dtype=np.float32))

    def step():
        lstm.zero_grad()
        out, _ = lstm(x)
        out.sum().backward()

    return step


def _mlp_step(np, gn):
    gn.manual_seed(0)
    nn = gn.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal((1024, 784), dtype=np.float32))
    y = gn.tensor(rng.integers(0, 10, 1024))
    opt, loss_fn = gn.optim.SGD(model.parameters(), lr=0.01), nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def _minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def measure(step, steps, warmup):
    """Warm up, then time ``steps`` calls one by one: (seconds per call, minor faults per call)."""
    for _ in range(warmup):
        step()
    times, faults = [], _minor_faults()
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times, (_minor_faults() - faults) / steps


# -- worker / parent -----------------------------------------------------------------
def worker(args):
    import numpy as np

    import glassnet as gn

    steps, warmup = (QUICK_STEPS, QUICK_WARMUP) if args.quick else (STEPS, WARMUP)
    make = {"lstm": _lstm_step, "mlp": _mlp_step}[args.case]
    times, faults = measure(make(np, gn), steps, warmup)
    result = {"case": args.case, "threads": args.threads, "facts": worker_facts(),
              "allocator": gn.backend.host_allocator(), "times": times, "faults_per_step": faults,
              "peak_mb": peak_mb(), "load_end": load_average()}
    Path(args.json_out).write_text(json.dumps(result))


def run_all(args):
    """``{(threads, case, setting): [worker result per round]}``; the two settings of a
    case run next to each other, in alternating order from round to round."""
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    extra = ["--quick"] if args.quick else []
    runs = {}
    for threads in args.threads:
        for r in range(rounds):
            for case in CASES:
                for setting in SETTINGS[:: 1 if r % 2 == 0 else -1]:
                    print(f"[host_allocator, {threads_label(threads)}] round {r + 1}/{rounds}: {case}, "
                          f"{setting}", file=sys.stderr, flush=True)
                    result = run_worker(Path(__file__), threads, ["--case", case, *extra],
                                        env={HOST_ALLOCATOR_VAR: setting})
                    runs.setdefault((threads, case, setting), []).append(result)
    return runs


def _summary(results):
    times = [t for r in results for t in r["times"]]
    deciles = statistics.quantiles(times, n=10, method="inclusive") if len(times) > 1 else times * 9
    return {"median": statistics.median(times), "p10": deciles[0], "p90": deciles[-1],
            "faults": statistics.median(r["faults_per_step"] for r in results),
            "peak_mb": statistics.median(r["peak_mb"] for r in results),
            "applied": all(r["allocator"]["tuned"] for r in results),
            "reason": results[0]["allocator"]["reason"], "steps": len(times), "rounds": len(results)}


def _paired(system, tuned):
    """Median over rounds of (default worker's median step) / (tuned worker's median step)."""
    return statistics.median(statistics.median(a["times"]) / statistics.median(b["times"])
                             for a, b in zip(system, tuned, strict=True))


def _ms(s):
    return f"{fmt(s['median'] * 1e3)} ({fmt(s['p10'] * 1e3)}–{fmt(s['p90'] * 1e3)})"


def render(runs, quick):
    rows, lines = [], []
    for threads, case in dict.fromkeys((t, c) for t, c, _ in runs):
        summary = {s: _summary(runs[threads, case, s]) for s in SETTINGS}
        for setting, s in summary.items():
            label = "tuned (opt-in)" if setting == "tuned" else "C library defaults"
            if setting == "tuned" and not s["applied"]:
                label += f" — not applied: {s['reason']}"
            rows.append([CASES[case], threads, label, _ms(s), fmt(s["faults"]), fmt(s["peak_mb"]),
                         f"{s['rounds']} × {s['steps'] // s['rounds']}"])
        ratio = _paired(runs[threads, case, "system"], runs[threads, case, "tuned"])
        lines.append(f"- {CASES[case]}, {threads_label(threads)}: default / tuned step time {ratio:.2f}×; "
                     f"minor page faults per step {fmt(summary['system']['faults'])} → "
                     f"{fmt(summary['tuned']['faults'])}; peak RSS {fmt(summary['system']['peak_mb'])} → "
                     f"{fmt(summary['tuned']['peak_mb'])} MB")
    results = [r for rs in runs.values() for r in rs]
    loads = [v for r in results for v in (r["facts"].get("load_start"), r.get("load_end")) if v is not None]
    load = f"{fmt(min(loads))}–{fmt(max(loads))}" if loads else "—"
    table = markdown_table(["step (glassnet, float32)", "threads", "host allocator",
                            "step ms, median (p10–p90)", "minor page faults per step",
                            "peak RSS MB", "workers × timed steps"], rows, align="lrlrrrr")
    return (f"## host_allocator\n\n_Measured {now_utc()}; 1-minute load average {load} over the "
            "workers" + (" — QUICK SMOKE RUN_" if quick else "_") + "\n\n"
            "`import glassnet` leaves malloc at the C library's defaults; "
            "`gn.backend.tune_host_allocator()` (or `GLASSNET_HOST_ALLOCATOR=tuned` before the import) "
            "is the opt-in: glibc's mmap threshold 32 MiB and trim threshold 64 MiB, so freed activation "
            "buffers are reused from the heap instead of being mapped and page-faulted in again each step. "
            "Its cost is resident memory that stays with the process after large temporaries are freed "
            "(src/glassnet/_allocator.py). Every other benchmark runs with the defaults unless given "
            "`--host-allocator tuned` (then for every framework alike).\n\n"
            + "\n".join(lines) + "\n\n" + table + "\n\n"
            "Each row: fresh worker processes, one per round, the two settings next to each other in "
            "alternating order; each worker warms up, then times its steps one by one. *Minor page "
            "faults*: `getrusage` `ru_minflt` over the timed steps; *default / tuned*: median over rounds "
            "of the ratio of the two workers' median steps.\n")


def main(argv=None):
    parser = bench_parser(__doc__)
    parser.set_defaults(threads="1")
    args = parse_bench_args(parser, argv)
    if args.worker:
        return worker(args)
    publish("host_allocator", render(run_all(args), args.quick), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
